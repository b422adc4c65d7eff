import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ChainInputError } from '../../agent/chain/errors.js'
import { PRESETS, cliquePreset, gasLimitFloor, isForked, resolvePreset } from '../../agent/chain/presets.js'
import { minTimestampGapS } from '../../agent/chain/verify/rules-time.js'
import { tribeOf } from '../fixtures/chain/make-headers.js'

describe('chain presets', () => {
  it('default: the issue\'s chain ids, genesis hashes and engines', () => {
    assert.equal(PRESETS.mainnet.chainId, 20180430n)
    assert.equal(PRESETS.mainnet.genesisHash, '0xa8ab5ecb308dd061e6baa8c8a04a62b3e35fae7aae1393921f8d52deac2c5712')
    assert.equal(PRESETS.testnet.chainId, 2022n)
    assert.equal(PRESETS.testnet.genesisHash, '0x464dfae7a2e140e76376f732c6be542880064d0a9b8350ceb2259b811827e7c6')
    assert.equal(PRESETS.dev.chainId, 20180430n)
    assert.deepEqual([PRESETS.mainnet.engine, PRESETS.testnet.engine, PRESETS.dev.engine], ['tribe', 'tribe', 'none'])
    assert.equal(PRESETS.dev.genesisHash, null, 'anvil makes a new genesis per run: the anchor comes from config')
  })

  it('args: overrides set unknown fork numbers and the anchor', () => {
    const testnet = tribeOf(resolvePreset('testnet', { chief100Block: 1000n, sip002Block: 10n, maxFutureS: 30 }))
    assert.equal(testnet.tribe.chief100Block, 1000n)
    assert.equal(testnet.maxFutureS, 30)
    assert.equal(tribeOf(resolvePreset('testnet')).tribe.chief100Block, null, 'presets themselves are not changed')
    const dev = resolvePreset('dev', { genesisHash: '0x' + '11'.repeat(32) as `0x${string}` })
    assert.equal(dev.genesisHash, '0x' + '11'.repeat(32))
  })

  it('error: unknown names and overrides that do not apply', () => {
    assert.throws(() => resolvePreset('ropsten'), (e: unknown) => e instanceof ChainInputError && e.code === 'CHAIN_PRESET_INVALID' && /expected one of mainnet, testnet, dev/.test(e.message))
    assert.throws(() => resolvePreset('toString'), ChainInputError)
    assert.throws(() => resolvePreset('dev', { chief100Block: 5n }), /no Tribe fork numbers/)
  })

  it('behavior: gas floor, time gap and fork tests by block number', () => {
    const rules = PRESETS.mainnet.gasLimit
    assert.equal(gasLimitFloor(rules, 8_654_320n), 5000n)
    assert.equal(gasLimitFloor(rules, 8_654_321n), 40_000_000n)
    const mainnet = resolvePreset('mainnet')
    assert.equal(minTimestampGapS(mainnet, 588_887n), 15n)
    assert.equal(minTimestampGapS(mainnet, 588_888n), 14n)
    assert.equal(minTimestampGapS(resolvePreset('testnet'), 5n), 14n, 'unknown SIP002: the looser gap')
    assert.equal(minTimestampGapS(resolvePreset('dev'), 5n), 1n)
    assert.equal(minTimestampGapS(cliquePreset({ chainId: 1n, periodS: 0 }), 5n), 0n, 'Clique period 0 allows equal timestamps, as geth does')
    assert.equal(isForked(null, 5n), undefined)
    assert.equal(isForked(5n, 5n), true)
    assert.equal(isForked(6n, 5n), false)
  })
})
