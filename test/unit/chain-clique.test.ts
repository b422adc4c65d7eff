import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { concatBytes, hexToBytes, type Address } from '../../agent/chain/bytes.js'
import { cliquePreset } from '../../agent/chain/presets.js'
import {
  cliqueApply, cliqueInTurn, cliqueRecentlySigned, cliqueSignerLimit, cliqueSnapshotFromCheckpoint
} from '../../agent/chain/seal/clique-snapshot.js'
import { createSealEngine } from '../../agent/chain/seal/engine.js'
import { verifyChain } from '../../agent/chain/verify/verify-chain.js'
import { baseHeader, cliqueOf, makeCliqueChain, makeKeys, type CliqueVoteSpec } from '../fixtures/chain/make-headers.js'

const keys = makeKeys(5, 'clique')
const preset = cliqueOf(cliquePreset({ chainId: 20180430n, periodS: 2, epoch: 100n }))
const sorted = (n: number): Address[] => keys.slice(0, n).map(k => k.address).sort()

describe('clique snapshot', () => {
  it('default: a checkpoint header gives the sorted signer set', () => {
    const extra = concatBytes(new Uint8Array(32), ...keys.slice(0, 3).map(k => hexToBytes(k.address)), new Uint8Array(65))
    const snap = cliqueSnapshotFromCheckpoint(baseHeader({ number: 200n, extraData: extra }), 100n)
    assert.deepEqual(snap.signers, sorted(3))
    assert.equal(snap.number, 200n)
    assert.equal(cliqueSignerLimit(snap), 2)
    assert.throws(() => cliqueSnapshotFromCheckpoint(baseHeader({ number: 201n, extraData: extra }), 100n), /not a checkpoint/)
    assert.throws(() => cliqueSnapshotFromCheckpoint(baseHeader({ number: 0n, extraData: new Uint8Array(97) }), 100n), /no signers/)
  })

  it('default: turns rotate through the sorted signers; a signer rests ⌊N/2⌋ blocks', () => {
    const chain = makeCliqueChain({ preset, keys: keys.slice(0, 4), count: 8 })
    const snap = chain.snapshots[5]! // after block 6
    const order = sorted(4)
    for (let n = 7n; n < 11n; n++) assert.ok(cliqueInTurn(snap, n, order[Number(n % 4n)]!))
    assert.ok(!cliqueInTurn(snap, 7n, order[0]!))
    const lastSigner = chain.sealers[5]!.address // sealed block 6
    assert.ok(cliqueRecentlySigned(snap, 7n, lastSigner))
    assert.ok(cliqueRecentlySigned(snap, 8n, lastSigner))
    assert.ok(!cliqueRecentlySigned(snap, 9n, lastSigner), 'limit 3 with 4 signers: free again two blocks later')
    assert.deepEqual([...snap.recents.keys()], [4n, 5n, 6n], 'geth keeps the last ⌊N/2⌋ + 1 sealers')
  })

  it('behavior: two of three signers voting a key in adds it; it then signs in turn', () => {
    const newcomer = keys[3]!.address
    const vote = (n: bigint): CliqueVoteSpec | undefined => n <= 2n ? { address: newcomer, authorize: true } : undefined
    const chain = makeCliqueChain({ preset, keys: keys.slice(0, 4), initialSigners: 3, count: 12, vote })
    assert.deepEqual(chain.snapshots[0]!.signers, sorted(3), 'one vote is not a majority of 3')
    assert.equal(chain.snapshots[0]!.tally.get(newcomer)?.votes, 1)
    assert.deepEqual(chain.snapshots[1]!.signers, sorted(4))
    assert.equal(chain.snapshots[1]!.votes.length, 0, 'votes about a decided address are discarded')
    assert.ok(chain.sealers.some(k => k.address === newcomer))
    const engine = createSealEngine('clique')
    const result = verifyChain(chain.anchor, chain.headers, { preset, engine, nowS: 2e9 })
    assert.equal(result.failure, undefined)
    assert.equal(result.verified, 12)
    assert.deepEqual(result.clique?.signers, sorted(4))
  })

  it('behavior: three of four voting a signer out drops it, with its pending votes', () => {
    const leaving = sorted(4)[3]!
    const vote = (n: bigint): CliqueVoteSpec | undefined => n <= 3n ? { address: leaving, authorize: false } : undefined
    const chain = makeCliqueChain({ preset, keys: keys.slice(0, 4), count: 10, vote })
    assert.equal(chain.snapshots[1]!.tally.get(leaving)?.votes, 2, '2 of 4 is not more than half')
    assert.deepEqual(chain.snapshots[2]!.signers, sorted(4).filter(a => a !== leaving))
    assert.equal(chain.snapshots[2]!.tally.size, 0)
    assert.ok(chain.sealers.slice(3).every(k => k.address !== leaving), 'it seals no more')
    const result = verifyChain(chain.anchor, chain.headers, { preset, engine: createSealEngine('clique'), nowS: 2e9 })
    assert.equal(result.verified, 10)
  })

  it('behavior: a signer re-voting replaces its vote; checkpoints reset the tally', () => {
    const target = keys[4]!.address
    const epochPreset = cliqueOf(cliquePreset({ chainId: 1n, periodS: 1, epoch: 6n }))
    // 3 signers: blocks 1 and 4 share a sealer, so two votes from one signer stay one vote.
    const chain = makeCliqueChain({ preset: epochPreset, keys, initialSigners: 3, count: 8, vote: n => [1n, 4n, 5n].includes(n) ? { address: target, authorize: true } : undefined })
    assert.equal(chain.snapshots[3]!.tally.get(target)?.votes, 1)
    assert.equal(chain.snapshots[4]!.signers.length, 4, 'a second signer at block 5 makes 2 of 3, a majority')
    assert.equal(chain.snapshots[4]!.tally.get(target), undefined)
    const plain = makeCliqueChain({ preset: epochPreset, keys, initialSigners: 3, count: 8, vote: n => n === 5n || n === 7n ? { address: target, authorize: true } : undefined })
    assert.equal(plain.snapshots[4]!.tally.get(target)?.votes, 1)
    assert.equal(plain.snapshots[5]!.tally.size, 0, 'block 6 is a checkpoint')
    assert.equal(plain.snapshots[6]!.tally.get(target)?.votes, 1)
  })

  it('error: cliqueApply refuses a header that does not follow the snapshot', () => {
    const chain = makeCliqueChain({ preset, keys: keys.slice(0, 2), count: 3 })
    assert.throws(() => cliqueApply(chain.snapshots[0]!, chain.headers[2]!, keys[0]!.address), /cannot apply header 3/)
  })
})
