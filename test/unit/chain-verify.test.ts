import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { concatBytes, hexToBytes, type Address } from '../../agent/chain/bytes.js'
import { chooseHead, totalDifficulty } from '../../agent/chain/fork-choice.js'
import { headerHash, type Header } from '../../agent/chain/header.js'
import { cliquePreset, resolvePreset, type ChainPreset } from '../../agent/chain/presets.js'
import { createSealEngine } from '../../agent/chain/seal/engine.js'
import { HEADER_RULES, ruleNumber, ruleParentHash, ruleSeal, verifyChain, verifyHeader, type RuleName, type VerifyContext } from '../../agent/chain/verify/index.js'
import { baseHeader, cliqueOf, corrupt, makeCliqueChain, makeKeys, makeTribeChain, tribeOf, type TestKey } from '../fixtures/chain/make-headers.js'

const keys = makeKeys(8, 'verify')

/**
 * Names of every rule that fails, each rule run on its own. The seal rule presumes a header that
 * links to its parent (its engine state is keyed to the parent), so it is left out when a link
 * rule already failed.
 */
function failingRules (parent: Header, header: Header, ctx: VerifyContext): RuleName[] {
  const linked = ruleNumber(parent, header, ctx) === undefined && ruleParentHash(parent, header, ctx) === undefined
  const names = HEADER_RULES.filter(rule => linked || rule !== ruleSeal)
    .flatMap(rule => { const f = rule(parent, header, ctx); return f === undefined ? [] : [f.rule] })
  // A Clique difficulty of 3 breaks both the range rule and the seal engine's turn check: one rule name.
  return [...new Set(names)]
}

interface Case { name: RuleName | 'none', patch: (h: Header, parent: Header) => Partial<Header>, reseal?: 'same' | TestKey, ctx?: Partial<VerifyContext> }

function checkCases (parent: Header, header: Header, sealer: TestKey, ctx: VerifyContext, cases: Case[]): void {
  assert.deepEqual(failingRules(parent, header, ctx), [], 'the good header passes every rule')
  for (const c of cases) {
    const resealWith = c.reseal === undefined || c.reseal === 'same' ? sealer : c.reseal
    const bad = corrupt(header, c.patch(header, parent), c.reseal === undefined && c.name === 'seal' ? undefined : resealWith)
    const context = { ...ctx, ...c.ctx }
    assert.deepEqual(failingRules(parent, bad, context), c.name === 'none' ? [] : [c.name], `corruption aimed at ${c.name}`)
    const f = verifyHeader(parent, bad, context)
    assert.equal(f?.rule, c.name === 'none' ? undefined : c.name)
    if (f !== undefined) assert.match(f.message, new RegExp(`^header ${bad.number}: ${f.field} `))
  }
}

const commonCases = (gap: bigint): Case[] => [
  { name: 'number', patch: h => ({ number: h.number + 1n }) },
  { name: 'parent-hash', patch: () => ({ parentHash: new Uint8Array(32).fill(1) }) },
  { name: 'timestamp', patch: (_h, p) => ({ timestamp: p.timestamp + gap - 1n }) },
  { name: 'future', patch: h => ({ timestamp: h.timestamp + 1000n }) },
  { name: 'gas-limit', patch: (_h, p) => ({ gasLimit: p.gasLimit + p.gasLimit / 1024n }) },
  { name: 'gas-limit', patch: (_h, p) => ({ gasLimit: p.gasLimit - p.gasLimit / 1024n }) },
  { name: 'gas-used', patch: h => ({ gasUsed: h.gasLimit + 1n }) },
  { name: 'uncles-hash', patch: () => ({ sha3Uncles: new Uint8Array(32).fill(2) }) },
  { name: 'mix-hash', patch: () => ({ mixHash: new Uint8Array(32).fill(3) }) },
  { name: 'seal', patch: h => ({ extraData: concatBytes(h.extraData.subarray(0, h.extraData.length - 65), new Uint8Array(65).fill(7)) }) }
]

describe('verify: tribe', () => {
  const preset = tribeOf(resolvePreset('mainnet'))
  const signers = keys.slice(0, 5)
  const chain = makeTribeChain({ preset, signers, count: 40, from: 2_823_366n - 20n })
  const ctx: VerifyContext = { preset, engine: createSealEngine('tribe'), nowS: Number(chain.headers.at(-1)!.timestamp) + 5 }

  it('default: a chain across Chief100Block verifies end to end', () => {
    const r = verifyChain(chain.anchor, chain.headers, ctx)
    assert.equal(r.failure, undefined)
    assert.equal(r.verified, 40)
    assert.equal(r.head, chain.headers[39])
  })

  it('behavior: every rule fails on exactly the corruption it targets (after Chief100Block)', () => {
    const i = 30
    const sets = { signers: new Set<Address>(signers.map(k => k.address)) }
    checkCases(chain.headers[i - 1]!, chain.headers[i]!, chain.sealers[i]!, { ...ctx, ...sets }, [
      ...commonCases(14n),
      { name: 'extra-data', patch: h => ({ extraData: concatBytes(h.extraData.subarray(0, 32), h.extraData.subarray(161)) }) },
      { name: 'coinbase', patch: () => ({ miner: new Uint8Array(20) }) },
      { name: 'difficulty', patch: () => ({ difficulty: 7n }) },
      { name: 'difficulty', patch: () => ({ difficulty: 0n }) },
      { name: 'signer', patch: () => ({}), reseal: keys[7]! },
      // Not checked for Tribe (see rules-format.ts): any nonce passes.
      { name: 'none', patch: () => ({ nonce: hexToBytes('0x0102030405060708') }) }
    ])
  })

  it('behavior: before Chief100Block the extra is 97 bytes and difficulty at most 3', () => {
    const i = 5
    checkCases(chain.headers[i - 1]!, chain.headers[i]!, chain.sealers[i]!, ctx, [
      { name: 'extra-data', patch: h => ({ extraData: concatBytes(new Uint8Array(161), h.extraData.subarray(32)) }) },
      { name: 'difficulty', patch: () => ({ difficulty: 4n }) },
      { name: 'none', patch: () => ({ miner: new Uint8Array(20) }) }
    ])
  })

  it('behavior: with Chief100Block unknown (testnet) both extra sizes pass', () => {
    const testnet = tribeOf(resolvePreset('testnet'))
    const tctx = { ...ctx, preset: testnet }
    const r = verifyChain(chain.anchor, chain.headers, tctx)
    assert.equal(r.verified, 40)
    const h = chain.headers[30]!
    const odd = corrupt(h, { extraData: concatBytes(new Uint8Array(100), h.extraData.subarray(161)) }, chain.sealers[30])
    assert.equal(verifyHeader(chain.headers[29]!, odd, tctx)?.rule, 'extra-data')
  })

  it('behavior: verifyChain stops at the first bad header and reports it', () => {
    const bad = corrupt(chain.headers[25]!, { gasUsed: chain.headers[25]!.gasLimit + 1n }, chain.sealers[25])
    const r = verifyChain(chain.anchor, [...chain.headers.slice(0, 25), bad, ...chain.headers.slice(26)], ctx)
    assert.equal(r.verified, 25)
    assert.equal(r.head, chain.headers[24])
    assert.equal(r.failure?.rule, 'gas-used')
    assert.equal(r.failure?.number, chain.headers[25]!.number)
    assert.equal(r.failure?.message, `header ${chain.headers[25]!.number}: gasUsed 40000001 exceeds gasLimit 40000000`)
    assert.equal(verifyChain(chain.anchor, [chain.headers[1]!], ctx).failure?.rule, 'number', 'a gap is refused')
  })

  it('error: an engine that does not match the preset is misuse', () => {
    assert.throws(() => verifyHeader(chain.anchor, chain.headers[0]!, { ...ctx, engine: createSealEngine('clique') }), /does not match preset mainnet/)
  })
})

describe('verify: clique', () => {
  const preset = cliqueOf(cliquePreset({ chainId: 20180430n, periodS: 5, epoch: 10n }))
  const chain = makeCliqueChain({ preset, keys: keys.slice(0, 4), count: 25 })
  const ctx: VerifyContext = { preset, engine: createSealEngine('clique'), nowS: Number(chain.headers.at(-1)!.timestamp) }
  const at = (n: number): [Header, Header, TestKey, VerifyContext] =>
    [n === 1 ? chain.anchor : chain.headers[n - 2]!, chain.headers[n - 1]!, chain.sealers[n - 1]!, { ...ctx, clique: n === 1 ? undefined : chain.snapshots[n - 2] }]

  it('default: the chain verifies in one segment or in two', () => {
    const whole = verifyChain(chain.anchor, chain.headers, ctx)
    assert.equal(whole.verified, 25)
    const first = verifyChain(chain.anchor, chain.headers.slice(0, 12), ctx)
    const second = verifyChain(first.head, chain.headers.slice(12), { ...ctx, clique: first.clique })
    assert.equal(second.verified, 13)
    assert.deepEqual(second.clique, whole.clique)
  })

  it('behavior: every rule fails on exactly the corruption it targets', () => {
    const [parent, header, sealer, c] = at(7)
    const recent = chain.sealers[5]!
    checkCases(parent, header, sealer, c, [
      ...commonCases(5n),
      { name: 'nonce', patch: () => ({ nonce: hexToBytes('0x0000000000000001') }) },
      { name: 'extra-data', patch: h => ({ extraData: concatBytes(h.extraData.subarray(0, 32), new Uint8Array(20), h.extraData.subarray(32)) }) },
      { name: 'difficulty', patch: () => ({ difficulty: 3n }) },
      { name: 'difficulty', patch: () => ({ difficulty: 1n }), reseal: 'same' },
      { name: 'signer', patch: () => ({}), reseal: keys[6]! },
      { name: 'recently-signed', patch: () => ({ difficulty: 1n }), reseal: recent },
      { name: 'none', patch: () => ({ nonce: new Uint8Array(8).fill(0xff), miner: hexToBytes(keys[6]!.address) }) }
    ])
  })

  it('behavior: checkpoints list the signers, vote for nobody and carry a zero nonce', () => {
    const [parent, header, sealer, c] = at(10)
    const listed = header.extraData.subarray(32, header.extraData.length - 65)
    checkCases(parent, header, sealer, c, [
      { name: 'checkpoint-signers', patch: h => ({ extraData: concatBytes(h.extraData.subarray(0, 32), listed.subarray(20), hexToBytes(keys[6]!.address), h.extraData.subarray(h.extraData.length - 65)) }) },
      { name: 'coinbase', patch: () => ({ miner: hexToBytes(keys[6]!.address) }) },
      { name: 'nonce', patch: () => ({ nonce: new Uint8Array(8).fill(0xff) }) },
      { name: 'extra-data', patch: h => ({ extraData: concatBytes(h.extraData.subarray(0, h.extraData.length - 65), new Uint8Array(5), h.extraData.subarray(h.extraData.length - 65)) }) }
    ])
  })

  it('error: the anchor must be a checkpoint when no snapshot is given', () => {
    assert.throws(() => verifyChain(chain.headers[2]!, chain.headers.slice(3), ctx), /not a checkpoint/)
    assert.throws(() => verifyHeader(chain.headers[2]!, chain.headers[3]!, ctx), /needs ctx.clique/)
    assert.throws(() => verifyHeader(chain.headers[2]!, chain.headers[3]!, { ...ctx, clique: chain.snapshots[0] }), /not at the parent of header 4/)
  })
})

describe('verify: none (dev chain)', () => {
  const preset: ChainPreset = resolvePreset('dev')
  const ctx: VerifyContext = { preset, engine: createSealEngine('none'), nowS: 1_700_000_100 }
  const parent = baseHeader({ number: 9n, gasLimit: 30_000_000n, extraData: new Uint8Array(0), miner: new Uint8Array(20).fill(4) })
  const child = baseHeader({ ...parent, number: 10n, parentHash: headerHash(parent), timestamp: parent.timestamp + 1n, gasUsed: 21_000n })

  it('default: unsealed headers pass hash, link, time and gas rules only', () => {
    assert.deepEqual(failingRules(parent, child, ctx), [])
    assert.equal(verifyChain(parent, [child], ctx).verified, 1)
    assert.deepEqual(failingRules(parent, { ...child, timestamp: parent.timestamp }, ctx), ['timestamp'], 'anvil blocks are strictly later')
    assert.deepEqual(failingRules(parent, { ...child, extraData: new Uint8Array(33) }, ctx), ['extra-data'])
    assert.deepEqual(failingRules(parent, { ...child, difficulty: 0n, mixHash: new Uint8Array(32).fill(1), nonce: new Uint8Array(8).fill(9) }, ctx), [])
  })
})

describe('fork choice', () => {
  it('default: the heavier chain wins, whatever its length', () => {
    const light = { number: 100n, totalDifficulty: 500n, name: 'light' }
    const heavy = { number: 90n, totalDifficulty: 501n, name: 'heavy' }
    assert.equal(chooseHead(light, heavy), heavy)
    assert.equal(chooseHead(heavy, light), heavy)
  })

  it('behavior: on equal weight the lower head wins; on a full tie the current head stays', () => {
    const a = { number: 100n, totalDifficulty: 500n }
    const b = { number: 99n, totalDifficulty: 500n }
    const c = { number: 100n, totalDifficulty: 500n }
    assert.equal(chooseHead(a, b), b)
    assert.equal(chooseHead(b, a), b)
    assert.equal(chooseHead(a, c), a)
    assert.equal(chooseHead(c, a), c)
  })

  it('default: total difficulty adds each header', () => {
    assert.equal(totalDifficulty(10n, baseHeader({ difficulty: 6n })), 16n)
  })
})
