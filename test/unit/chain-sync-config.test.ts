/**
 * `chain.*` configuration and flags: defaults, `--chain` / `--chain-rpc` (repeatable), the anchor
 * each preset gets, and every rejection naming its key (exit 78 in main.ts); plus the chain error
 * codes living in agent/errors.ts, and `meshbox chain`'s human form.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseCli } from '../../agent/cli/args.js'
import { formatChain } from '../../agent/cli/client.js'
import { ChainErrorCode, ChainInputError } from '../../agent/chain/errors.js'
import { resolveChainSettings } from '../../agent/chain/sync/settings.js'
import { defaultRecoverWorkers } from '../../agent/chain/seal/recover-pool.js'
import { loadConfig } from '../../agent/config/load.js'
import { DEFAULTS } from '../../agent/config/schema.js'
import { AgentError, ErrorCode } from '../../agent/errors.js'

const configError = (pattern: RegExp) => (err: unknown): boolean =>
  err instanceof AgentError && err.code === ErrorCode.CONFIG_INVALID && pattern.test(err.message)

describe('chain configuration', () => {
  it('default: mainnet, no upstream, the genesis anchor, the preset block period', async () => {
    const { config } = await loadConfig({ env: {} })
    assert.deepEqual(config.chain, DEFAULTS.chain)
    const s = resolveChainSettings(config.chain)
    assert.equal(s.preset.name, 'mainnet')
    assert.deepEqual(s.anchor, { kind: 'genesis', number: 0n, hash: '0xa8ab5ecb308dd061e6baa8c8a04a62b3e35fae7aae1393921f8d52deac2c5712' })
    assert.equal(s.pollIntervalMs, 15_000)
    assert.deepEqual([s.windowHeaders, s.batchSize, s.maxResponseBytes], [2048, 100, 8 * 1024 * 1024])
    assert.equal(s.verifyWorkers, defaultRecoverWorkers(), '-1: one recovery worker per core')
    assert.ok(s.verifyWorkers >= 1 && s.verifyWorkers <= 4)
  })

  it('behavior: chain.verifyWorkers sets the recovery workers, 0 for none', async () => {
    const { config } = await loadConfig({ env: { MESHBOX_CHAIN_VERIFY_WORKERS: '0' } })
    assert.equal(resolveChainSettings(config.chain).verifyWorkers, 0)
    assert.equal(resolveChainSettings({ ...config.chain, verifyWorkers: 3 }).verifyWorkers, 3)
    await assert.rejects(loadConfig({ env: { MESHBOX_CHAIN_VERIFY_WORKERS: '17' } }), configError(/chain.verifyWorkers/))
    await assert.rejects(loadConfig({ env: { MESHBOX_CHAIN_VERIFY_WORKERS: '-2' } }), configError(/chain.verifyWorkers/))
  })

  it('args: --chain and a repeated --chain-rpc set chain.preset and chain.rpc', async () => {
    const a = parseCli(['start', '--chain', 'dev', '--chain-rpc', 'http://127.0.0.1:8545', '--chain-rpc', 'https://u:p@node.example/rpc'])
    assert.deepEqual(Object.fromEntries(a.flags), { 'chain.preset': 'dev', 'chain.rpc': ['http://127.0.0.1:8545', 'https://u:p@node.example/rpc'] })
    const { config } = await loadConfig({ env: { MESHBOX_CHAIN_CHECKPOINT_NUMBER: '5', MESHBOX_CHAIN_CHECKPOINT_HASH: '0x' + 'ab'.repeat(32) }, flags: a.flags })
    const s = resolveChainSettings(config.chain)
    assert.equal(s.pollIntervalMs, 1_000, 'dev: one block a second')
    assert.deepEqual(s.anchor, { kind: 'checkpoint', number: 5n, hash: '0x' + 'ab'.repeat(32) })
    assert.deepEqual(resolveChainSettings({ ...config.chain, checkpoint: { number: 0, hash: '' } }).anchor, { kind: 'first-upstream', number: 1n },
      'dev has no fixed genesis: the first upstream\'s block 1 (anvil\'s block 0 is not a 15-field header)')
    assert.equal(resolveChainSettings({ ...config.chain, pollIntervalMs: 250 }).pollIntervalMs, 250)
    const t = resolveChainSettings({ ...DEFAULTS.chain, preset: 'testnet', chief100Block: 1000, sip002Block: 10 })
    assert.deepEqual(t.preset.engine === 'tribe' ? t.preset.tribe : undefined, { chief100Block: 1000n, sip002Block: 10n })
  })

  it('error: bad presets, URLs, checkpoints and intervals name their key', async () => {
    assert.throws(() => parseCli(['start', '--chain', 'ropsten']), configError(/flag --chain: key "chain.preset" has value "ropsten"; allowed: one of mainnet, testnet, dev/))
    assert.throws(() => parseCli(['start', '--chain-rpc', 'ws://10.0.0.2:8546']), configError(/key "chain.rpc".*must be an http:\/\/ or https:\/\/ URL/))
    assert.throws(() => parseCli(['start', '--chain-rpc', 'no url']), configError(/chain.rpc.*is not a URL/))
    assert.throws(() => parseCli(['start', '--chain-rpc', 'ftp://alice:s3cret@node.example/']),
      (e: unknown) => configError(/chain.rpc/)(e) && !/s3cret|alice/.test((e as Error).message), 'credentials never appear in the error')
    await assert.rejects(loadConfig({ env: { MESHBOX_CHAIN_CHECKPOINT_HASH: '0x1234' } }), configError(/chain.checkpoint.hash.*0x followed by 64 hex digits/))
    await assert.rejects(loadConfig({ env: { MESHBOX_CHAIN_CHECKPOINT_NUMBER: '7' } }), configError(/key "chain.checkpoint.number" is 7 but "chain.checkpoint.hash" is empty/))
    await assert.rejects(loadConfig({ env: { MESHBOX_CHAIN_PRESET: 'dev', MESHBOX_CHAIN_CHIEF100_BLOCK: '5' } }), configError(/key "chain.chief100Block" does not fit: .*no Tribe fork numbers/))
    await assert.rejects(loadConfig({ env: { MESHBOX_CHAIN_POLL_INTERVAL_MS: '5' } }), configError(/chain.pollIntervalMs.*or from 100/))
    await assert.rejects(loadConfig({ env: { MESHBOX_CHAIN_WINDOW_HEADERS: '10' } }), configError(/chain.windowHeaders/))
    // A disabled chain is not checked further.
    const off = await loadConfig({ env: { MESHBOX_CHAIN_ENABLED: 'false', MESHBOX_CHAIN_CHECKPOINT_NUMBER: '7' } })
    assert.equal(off.config.chain.enabled, false)
  })

  it('behavior: every ChainInputError code is an agent error code (HTTP status, docs/errors.md)', () => {
    for (const code of Object.values(ChainErrorCode)) assert.ok((Object.values(ErrorCode) as string[]).includes(code), `${code} is in agent/errors.ts`)
    const e = new ChainInputError(ChainErrorCode.HEADER_INVALID, 'block object: gasUsed: missing', 'gasUsed')
    assert.equal(e.code, 'CHAIN_HEADER_INVALID')
    assert.equal(e.field, 'gasUsed')
  })

  it('behavior: `meshbox chain` prints the head, the sources and the last failure', () => {
    const now = Date.now()
    const text = formatChain({
      enabled: true, preset: 'dev', chainId: 20180430, engine: 'none',
      anchor: { number: 1, hash: '0xaa', kind: 'first-upstream', known: true },
      head: { number: 42, hash: '0xbb', timestamp: 0, ageMs: 3000, verifiedAtMs: now - 1000, from: 'upstream', td: '0' },
      target: 42, syncing: false, verified: { total: 41, fromUpstream: 40, fromMesh: 1 }, refused: 1,
      reorgs: { count: 1, last: { atMs: now, depth: 2, from: 40, to: 41 } }, crossCheck: null,
      lastFailure: { atMs: now - 5000, code: 'CHAIN_HEADER_REFUSED', rule: 'gas-used', number: 40, message: 'header 40: gasUsed …', source: 'http://p/' },
      window: { windowHeaders: 2048, sideBranches: 0 },
      upstream: [{ url: 'http://p/', healthy: false, latencyMs: 2, head: 42, failures: 0, demotedUntil: now + 600_000, lastError: 'gas-used: header 40' }],
      mesh: { announced: 3, answered: 0, requested: 0, received: 0, refused: 0 }, uplink: true
    })
    assert.match(text, /^chain: dev \(chain id 20180430, seal engine none\)/)
    assert.match(text, /head: 42 0xbb, block 3s old, verified from upstream 1s ago/)
    assert.match(text, /last failure: gas-used: header 40: gasUsed … \(http:\/\/p\/, 5s ago\)/)
    assert.match(text, /http:\/\/p\/\s+false\s+2\s+42\s+0\s+600s more\s+gas-used: header 40/)
    assert.equal(formatChain({ enabled: false }), 'chain: off (chain.enabled is false)')
  })
})
