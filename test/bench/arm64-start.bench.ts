/**
 * Agent start time and RSS from the unpacked OpenWrt package: aarch64 under qemu-user emulation
 * beside x86-64 native, same bundle, same flags, in one loopback-only namespace. Emulation is
 * many times slower than a real Cortex-A53, so only the ratio and the shape mean anything (and
 * qemu's own translation buffers are in the emulated RSS). Each arch runs once to fill its V8
 * code cache (uncounted), then BENCH_ARM64_RUNS times (default 3) with a fresh data dir.
 * Needs root and `make arm64-emu` (else a `skipped` line).
 */
import type { ChildProcess } from 'node:child_process'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { prepareArm64 } from '../helpers/arm64-emu.js'
import { createNetnsLab, isNetnsAvailable, type NetnsLab } from '../helpers/netns.js'
import { buildFor, runnableTree } from '../helpers/package-build.js'
import { tempDir } from '../helpers/tmp.js'
import { emit, median, note, round, sleep, vmRssBytes } from './lib.js'

const BENCH = 'arm64-start'
const RUNS = Number(process.env.BENCH_ARM64_RUNS ?? 3)
const IDLE_MS = 3000
const READY_TIMEOUT_MS = 120_000

interface Sample { readyMs: number, rssBytes: number }

async function startOnce (lab: NetnsLab, ns: string, cmd: string, args: string[], codeCacheDir: string): Promise<Sample> {
  const argv = [...args, 'start', '--data-dir', join(tempDir('arm64-bench-data'), 'd'), '--http-port', '0', '--listen', '/ip4/127.0.0.1/tcp/0']
  const t0 = performance.now()
  const child: ChildProcess = lab.spawn(ns, cmd, argv, { env: { ...process.env, MESHBOX_CODE_CACHE_DIR: codeCacheDir } })
  try {
    const readyMs = await new Promise<number>((resolve, reject) => {
      let buf = ''
      const timer = setTimeout(() => { reject(new Error('no Agent ready line')) }, READY_TIMEOUT_MS)
      child.stdout?.setEncoding('utf8').on('data', (d: string) => {
        buf += d
        if (buf.includes('"Agent ready"')) { clearTimeout(timer); resolve(performance.now() - t0) }
      })
      child.once('exit', code => { clearTimeout(timer); reject(new Error(`exited ${String(code)} before ready`)) })
    })
    await sleep(IDLE_MS)
    if (child.pid === undefined) throw new Error('no pid')
    return { readyMs, rssBytes: await vmRssBytes(child.pid) }
  } finally {
    const exited = new Promise(resolve => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  }
}

async function main (): Promise<void> {
  const netns = await isNetnsAvailable()
  const emu = prepareArm64()
  if (netns !== true || typeof emu === 'string') {
    emit({ bench: BENCH, skipped: netns !== true ? netns : emu })
    return
  }
  note('arm64-start: building the aarch64_cortex-a53 and x86_64 packages')
  const arm = join(await runnableTree(await buildFor('aarch64_cortex-a53'), 'arm64'), 'usr/lib/meshbox/meshbox.mjs')
  const x86 = join(await runnableTree(await buildFor('x86_64'), 'x64'), 'usr/lib/meshbox/meshbox.mjs')
  const [qemu, qemuArgs] = emu.nodeCommand([arm])
  const subjects = [
    { arch: 'aarch64 (qemu-user)', cmd: qemu, args: qemuArgs, cache: tempDir('arm64-cc') },
    { arch: 'x86_64 (native)', cmd: process.execPath, args: [x86], cache: tempDir('x64-cc') }
  ]
  const lab = createNetnsLab()
  try {
    const ns = await lab.addNamespace('a64')
    const results = new Map<string, Sample[]>()
    for (const s of subjects) {
      note(`arm64-start: ${s.arch}: one uncounted start (fills the code cache), then ${RUNS}`)
      await startOnce(lab, ns, s.cmd, s.args, s.cache)
      const samples: Sample[] = []
      for (let i = 0; i < RUNS; i++) samples.push(await startOnce(lab, ns, s.cmd, s.args, s.cache))
      results.set(s.arch, samples)
      emit({ bench: BENCH, arch: s.arch, runs: RUNS, readyMsMedian: round(median(samples.map(x => x.readyMs))), rssBytesMedian: median(samples.map(x => x.rssBytes)), codeCache: 'warm', load1: round(loadavg()[0] ?? 0, 2) })
    }
    const ready = (k: string): number => median((results.get(k) ?? []).map(x => x.readyMs)) ?? NaN
    const rss = (k: string): number => median((results.get(k) ?? []).map(x => x.rssBytes)) ?? NaN
    const [a, b] = subjects.map(s => s.arch) as [string, string]
    emit({ bench: BENCH, compare: 'aarch64 emulated / x86_64 native', readyRatio: round(ready(a) / ready(b), 2), rssRatio: round(rss(a) / rss(b), 2), note: 'emulation overhead, not a router figure' })
  } finally {
    await lab.cleanup()
  }
}

main().then(() => { process.exit(0) }, (err: unknown) => {
  process.stderr.write(`arm64-start bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exit(1)
})
