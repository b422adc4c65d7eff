import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createBlockHeaderFromRPC } from '@ethereumjs/block'
import { Common, Hardfork, Mainnet } from '@ethereumjs/common'
import { bytesToHex, concatBytes, hexToBytes, keccak256 } from '../../agent/chain/bytes.js'
import { ChainInputError } from '../../agent/chain/errors.js'
import { headerFromRpc, headerToRpc } from '../../agent/chain/header-rpc.js'
import { decodeHeader, encodeHeader, headerHash, headerItems, sealHash, withFields } from '../../agent/chain/header.js'
import { encodeRlp } from '../../agent/chain/rlp.js'
import { MAINNET_BLOCK_1, MAINNET_GENESIS } from '../fixtures/chain/ethereum-mainnet.js'

const fieldError = (field: string, message?: RegExp) => (e: unknown): boolean =>
  e instanceof ChainInputError && e.code === 'CHAIN_HEADER_INVALID' && e.field === field && (message === undefined || message.test(e.message))

describe('header hash', () => {
  it('default: recomputes the hashes of Ethereum mainnet blocks 0 and 1', () => {
    const genesis = headerFromRpc(MAINNET_GENESIS)
    const block1 = headerFromRpc(MAINNET_BLOCK_1)
    assert.equal(bytesToHex(headerHash(genesis)), MAINNET_GENESIS.hash)
    assert.equal(bytesToHex(headerHash(block1)), MAINNET_BLOCK_1.hash)
    assert.deepEqual(block1.parentHash, headerHash(genesis))
    assert.equal(encodeHeader(block1).length, 537 - 3 - 2, 'block size 537 = list prefix (3) + header + two empty lists (2)')
  })

  it('behavior: agrees with @ethereumjs/block on hash and serialisation', () => {
    const common = new Common({ chain: Mainnet, hardfork: Hardfork.Chainstart })
    for (const block of [MAINNET_GENESIS, MAINNET_BLOCK_1]) {
      const theirs = createBlockHeaderFromRPC(block as never, { common })
      const ours = headerFromRpc(block)
      assert.equal(bytesToHex(headerHash(ours)), bytesToHex(theirs.hash()))
      assert.equal(bytesToHex(encodeHeader(ours)), bytesToHex(theirs.serialize()))
    }
  })

  it('default: sealHash signs everything but the last 65 bytes of extraData', () => {
    const h = withFields(headerFromRpc(MAINNET_BLOCK_1), { extraData: new Uint8Array(97).fill(9) })
    assert.deepEqual(sealHash(h, 'tribe'), keccak256(encodeRlp(headerItems(h, h.extraData.subarray(0, 32)))))
    assert.deepEqual(sealHash(h, 'clique'), sealHash(h, 'tribe'))
    const otherSeal = withFields(h, { extraData: concatBytes(h.extraData.subarray(0, 32), new Uint8Array(65)) })
    assert.deepEqual(sealHash(otherSeal, 'tribe'), sealHash(h, 'tribe'), 'the seal does not sign itself')
    assert.notDeepEqual(headerHash(otherSeal), headerHash(h), 'but the block hash covers it')
    assert.deepEqual(sealHash(h, 'none'), headerHash(h))
    assert.throws(() => sealHash(headerFromRpc(MAINNET_BLOCK_1), 'tribe'), /no room for a seal/)
  })
})

describe('header RLP', () => {
  it('default: decodeHeader inverts encodeHeader', () => {
    const h = headerFromRpc(MAINNET_BLOCK_1)
    assert.deepEqual(decodeHeader(encodeHeader(h)), h)
  })

  it('error: refuses wrong item counts, sizes and non-canonical integers', () => {
    const items = headerItems(headerFromRpc(MAINNET_BLOCK_1))
    assert.throws(() => decodeHeader(encodeRlp(items.slice(0, 14))), fieldError('rlp', /14 items/))
    assert.throws(() => decodeHeader(encodeRlp(items.map((x, i) => i === 0 ? x.subarray(1) : x))), fieldError('parentHash', /31 bytes/))
    assert.throws(() => decodeHeader(encodeRlp(items.map((x, i) => i === 9 ? Uint8Array.of(0, ...x) : x))), fieldError('gasLimit', /leading zero/))
    assert.throws(() => decodeHeader(encodeRlp(items.map((x, i) => i === 8 ? new Uint8Array(9).fill(1) : x))), fieldError('number', /out of range/))
    assert.throws(() => decodeHeader(encodeRlp([...items.slice(0, 12), [items[12] as Uint8Array], ...items.slice(13)])), fieldError('extraData', /list/))
    assert.throws(() => decodeHeader(encodeRlp(items[0] as Uint8Array)), fieldError('rlp'))
  })
})

describe('headerFromRpc', () => {
  it('default: round-trips through headerToRpc', () => {
    const h = headerFromRpc(MAINNET_BLOCK_1)
    const json = headerToRpc(h)
    assert.equal(json.hash, MAINNET_BLOCK_1.hash)
    assert.equal(json.difficulty, MAINNET_BLOCK_1.difficulty)
    assert.deepEqual(headerFromRpc(json), h)
  })

  it('error: names the field that is malformed', () => {
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ gasLimit: '0x01388' }, 'gasLimit', /no leading zeros/],
      [{ gasLimit: 5000 }, 'gasLimit', /not a hex quantity/],
      [{ number: '1' }, 'number', /not a hex quantity/],
      [{ number: '0x1' + '0'.repeat(16) }, 'number', /out of range/],
      [{ difficulty: '0x' }, 'difficulty', /not a hex quantity/],
      [{ miner: MAINNET_BLOCK_1.miner.slice(0, 40) }, 'miner', /19 bytes, expected 20/],
      [{ stateRoot: MAINNET_BLOCK_1.stateRoot + '0' }, 'stateRoot', /whole bytes/],
      [{ nonce: '0xzz9bd4979fef1ec4' }, 'nonce', /not 0x-prefixed hex/],
      [{ logsBloom: '0x00' }, 'logsBloom', /1 bytes, expected 256/],
      [{ extraData: '0x' + '00'.repeat(2049) }, 'extraData', /more than 2048/],
      [{ mixHash: undefined }, 'mixHash', /missing/],
      [{ number: null }, 'number', /pending block/],
      [{ baseFeePerGas: '0x7' }, 'baseFeePerGas', /London-or-later/],
      [{ gasUsed: '0x1' }, 'hash', /fields hash to/],
      [{ hash: '0x1234' }, 'hash', /32-byte/]
    ]
    for (const [patch, field, message] of cases) {
      const json: Record<string, unknown> = { ...MAINNET_BLOCK_1, ...patch }
      for (const [k, v] of Object.entries(patch)) if (v === undefined) json[k] = undefined
      if ('mixHash' in patch && patch.mixHash === undefined) delete json.mixHash
      assert.throws(() => headerFromRpc(json), fieldError(field, message), `${field}: ${JSON.stringify(patch).slice(0, 60)}`)
    }
    assert.throws(() => headerFromRpc(null), fieldError('block'))
    assert.throws(() => headerFromRpc([MAINNET_BLOCK_1]), fieldError('block'))
  })

  it('args: checkHash false accepts a hash that does not match (for callers that compare later)', () => {
    const h = headerFromRpc({ ...MAINNET_BLOCK_1, gasUsed: '0x1' }, { checkHash: false })
    assert.equal(h.gasUsed, 1n)
    assert.deepEqual(h.miner, hexToBytes(MAINNET_BLOCK_1.miner))
  })
})
