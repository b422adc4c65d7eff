/**
 * The signer-recovery worker pool with real worker threads: the same answers as noble, in order,
 * whatever happens to the workers (terminated mid-batch, no backend, repeated exits), an aborted
 * signal, a full queue, idle stop, and a stop() that leaves no thread keeping the process alive.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Worker } from 'node:worker_threads'
import { after, describe, it } from 'node:test'
import { concatBytes } from '../../agent/chain/bytes.js'
import { sealHash, sealOf } from '../../agent/chain/header.js'
import { cliquePreset, resolvePreset } from '../../agent/chain/presets.js'
import { recoverWithNoble } from '../../agent/chain/seal/recover.js'
import { createRecoverPool, RecoverPoolBusyError, type RecoverItem, type RecoverPool, type RecoverPoolInit } from '../../agent/chain/seal/recover-pool.js'
import { AgentError } from '../../agent/errors.js'
import { createLogger, silentLogger } from '../../agent/log/logger.js'
import { cliqueOf, makeCliqueChain, makeKeys, makeTribeChain, tribeOf } from '../fixtures/chain/make-headers.js'

const keys = makeKeys(17, 'pool')
const tribe = makeTribeChain({ preset: tribeOf(resolvePreset('mainnet')), signers: keys, count: 240, from: 2_823_366n - 120n })
const clique = makeCliqueChain({ preset: cliqueOf(cliquePreset({ chainId: 20180430n, periodS: 15, epoch: 30000n })), keys: keys.slice(0, 5), count: 60 })
const good: RecoverItem[] = [
  ...tribe.headers.map(h => ({ digest: sealHash(h, 'tribe'), seal: sealOf(h) })),
  ...clique.headers.map(h => ({ digest: sealHash(h, 'clique'), seal: sealOf(h) }))
]
/** Good seals with malformed ones spread among them. */
const items: RecoverItem[] = good.flatMap((item, i) => {
  if (i % 37 === 5) return [item, { digest: item.digest, seal: concatBytes(item.seal.subarray(0, 64), Uint8Array.of(27)) }]
  if (i % 41 === 7) return [item, { digest: item.digest, seal: concatBytes(new Uint8Array(32), item.seal.subarray(32)) }]
  if (i % 43 === 9) return [item, { digest: item.digest, seal: item.seal.subarray(0, 64) }]
  return [item]
})
const expected = items.map(i => recoverWithNoble(i.digest, i.seal))
/** A batch long enough (~3,300 seals, ≥ 0.1 s even with the native addon) to abort or stop mid-way. */
const many = Array.from({ length: 10 }, () => items).flat()

const pools: RecoverPool[] = []
async function pool (init: RecoverPoolInit = {}, logger = silentLogger): Promise<RecoverPool> {
  const p = createRecoverPool({ logger }, { workers: 2, ...init })
  pools.push(p)
  await p.start()
  return p
}
after(async () => { for (const p of pools) await p.stop() })

const capture = (): { lines: string[], logger: ReturnType<typeof createLogger> } => {
  const lines: string[] = []
  return { lines, logger: createLogger({ level: 'debug', write: l => { lines.push(l) } }) }
}

// A pool that lost a job would hang its caller: the timeout turns that into a failure.
describe('signer recovery pool', { timeout: 60_000 }, () => {
  it('default: two workers answer as noble does, in order, malformed seals included', async () => {
    assert.ok(expected.filter(a => a === undefined).length >= 15, 'the fixture carries malformed seals')
    const p = await pool()
    assert.deepEqual(await p.recoverMany(items), expected)
    assert.deepEqual(await p.recoverMany(items.slice(3, 50)), expected.slice(3, 50))
    const stats = p.stats()
    assert.equal(stats.live, 2)
    assert.equal(stats.backend, 'native')
    assert.equal(stats.workerBackend, 'native')
    assert.equal(stats.inThread, 0)
    assert.ok(stats.jobs >= 4)
    assert.deepEqual(await p.recoverMany([]), [])
  })

  it('behavior: one worker, and none (everything in this thread), give the same answers', async () => {
    assert.deepEqual(await (await pool({ workers: 1 })).recoverMany(items), expected)
    const none = await pool({ workers: 0 })
    assert.deepEqual(await none.recoverMany(items), expected)
    assert.equal(none.stats().live, 0)
    assert.ok(none.stats().inThread > 0)
  })

  it('error: an aborted signal rejects with ABORTED, and the pool goes on working', async () => {
    const p = await pool()
    await assert.rejects(p.recoverMany(items, AbortSignal.abort()), (err: unknown) => err instanceof AgentError && err.code === 'ABORTED')
    const controller = new AbortController()
    const running = p.recoverMany(many, controller.signal)
    setTimeout(() => { controller.abort() }, 20)
    await assert.rejects(running, (err: unknown) => err instanceof AgentError && err.code === 'ABORTED')
    assert.deepEqual(await p.recoverMany(items), expected)
  })

  it('error: a worker terminated mid-batch is replaced and its part answered in this thread', async () => {
    const { lines, logger } = capture()
    const workers: Worker[] = []
    let killed = false
    const p = await pool({ onWorker: w => { workers.push(w) } }, logger)
    const running = p.recoverMany(items)
    // Once the first worker is ready the pool hands it jobs; kill it right after, mid-job.
    await new Promise<void>(resolve => {
      for (const w of workers) {
        w.on('message', (m: { type: string }) => {
          if (m.type === 'ready' && !killed) { killed = true; setImmediate(() => { void w.terminate(); resolve() }) }
        })
      }
    })
    assert.deepEqual(await running, expected)
    assert.equal(p.stats().crashes, 1)
    assert.ok(p.stats().inThread > 0, 'the lost job was recovered here')
    assert.equal(lines.filter(l => l.includes('Signer recovery worker exited')).length, 1)
    assert.deepEqual(await p.recoverMany(items), expected)
    assert.equal(p.stats().live, 2, 'replaced')
  })

  it('error: workers that keep exiting are given up on; answers stay right, in this thread', async () => {
    const { lines, logger } = capture()
    const p = await pool({ maxRestarts: 0, onWorker: w => { w.once('message', () => { void w.terminate() }) } }, logger)
    assert.deepEqual(await p.recoverMany(items), expected)
    assert.deepEqual(await p.recoverMany(items.slice(0, 40)), expected.slice(0, 40))
    assert.equal(lines.filter(l => l.includes('Signer recovery stays in this thread')).length, 1)
  })

  it('error: workers that can load no backend leave recovery to this thread', async () => {
    const { lines, logger } = capture()
    const p = await pool({ native: false, wasmSpecifier: 'meshbox-no-such-wasm', nobleSpecifier: 'meshbox-no-such-noble' }, logger)
    assert.deepEqual(await p.recoverMany(items), expected)
    assert.match(lines.find(l => l.includes('Signer recovery stays in this thread')) ?? '', /loads no backend/)
    assert.equal(p.stats().backend, 'noble')
    assert.equal(p.stats().workerBackend, 'none')
  })

  it('behavior: with the native addon off, both threads use WASM', async () => {
    const { lines, logger } = capture()
    const p = await pool({ native: false }, logger)
    assert.equal(await p.warm(), 'wasm')
    assert.deepEqual(await p.recoverMany(items), expected)
    assert.ok(lines.some(l => l.includes('Signer recovery worker ready') && l.includes('"backend":"wasm"')))
    assert.equal(p.stats().workerBackend, 'wasm')
  })

  it('behavior: workers without the addon or WASM use noble', async () => {
    const { lines, logger } = capture()
    const p = await pool({ native: false, wasmSpecifier: 'meshbox-no-such-wasm' }, logger)
    assert.deepEqual(await p.recoverMany(items.slice(0, 64)), expected.slice(0, 64))
    assert.ok(lines.some(l => l.includes('Signer recovery worker ready') && l.includes('"backend":"noble"')))
    assert.equal(p.stats().workerBackend, 'noble')
    assert.equal(p.stats().inThread, 0)
  })

  it('error: stop() during a batch rejects it with ABORTED; start() again works', async () => {
    const p = await pool()
    const refused = assert.rejects(p.recoverMany(many), (err: unknown) => err instanceof AgentError && err.code === 'ABORTED')
    await new Promise(resolve => setTimeout(resolve, 30))
    await p.stop()
    await refused
    assert.equal(p.stats().live, 0)
    await p.start()
    assert.deepEqual(await p.recoverMany(items), expected)
  })

  it('error: a full queue refuses more', async () => {
    const p = await pool({ maxQueuedItems: 100 })
    await assert.rejects(p.recoverMany(good.slice(0, 101)), RecoverPoolBusyError)
    const first = p.recoverMany(good.slice(0, 60))
    await assert.rejects(p.recoverMany(good.slice(60, 101)), RecoverPoolBusyError, 'counts what is queued or in flight')
    assert.deepEqual(await first, good.slice(0, 60).map(i => recoverWithNoble(i.digest, i.seal)))
    assert.deepEqual(await p.recoverMany(good.slice(0, 100)), good.slice(0, 100).map(i => recoverWithNoble(i.digest, i.seal)))
  })

  it('behavior: idle workers stop, and start again with the next batch', async () => {
    const p = await pool({ idleStopMs: 50 })
    assert.deepEqual(await p.recoverMany(items.slice(0, 80)), expected.slice(0, 80))
    // Nothing for a worker to do: answered at once, and the idle stop still comes.
    assert.deepEqual(await p.recoverMany([]), [])
    assert.deepEqual(await p.recoverMany([{ digest: good[0]!.digest, seal: good[0]!.seal.subarray(0, 64) }]), [undefined])
    const deadline = Date.now() + 5000
    while (p.stats().live > 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
    assert.equal(p.stats().live, 0)
    assert.deepEqual(await p.recoverMany(items.slice(80, 200)), expected.slice(80, 200))
    assert.equal(p.stats().crashes, 0)
  })

  it('behavior: after stop() no thread keeps the process alive; without it one does', async () => {
    const script = fileURLToPath(new URL('../fixtures/chain/recover-pool-exit.ts', import.meta.url))
    /** Runs the child; kills it `graceMs` after its report line if it has not exited by then. */
    const run = async (arg: string, graceMs: number): Promise<{ code: number | null, out: string }> => {
      const child = spawn(process.execPath, ['--import', 'tsx', script, arg], { stdio: ['ignore', 'pipe', 'inherit'] })
      let out = ''
      let timer: NodeJS.Timeout | undefined
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString()
        timer ??= setTimeout(() => { child.kill('SIGKILL') }, graceMs)
      })
      const code = await new Promise<number | null>(resolve => child.on('exit', resolve))
      clearTimeout(timer)
      return { code, out }
    }
    const stopped = await run('stop', 10_000)
    assert.equal(stopped.code, 0, 'exited by itself')
    assert.deepEqual(JSON.parse(stopped.out), { right: true, live: 2 })
    const leaked = await run('no-stop', 1_500)
    assert.deepEqual(JSON.parse(leaked.out), { right: true, live: 2 })
    assert.equal(leaked.code, null, 'still running 1.5 s after its work was done: its workers hold it')
  })
})
