/**
 * Network-namespace lab for live tests. Everything it makes lives in namespaces named
 * `<prefix>-<short>` (prefix `mbx<pid>x<n>` by default); bridges go in a dedicated "switch"
 * namespace, never the root one, and only private 10.77.x.y addresses are used.
 * `cleanup()` removes all of it and also runs on process exit, SIGINT and SIGTERM.
 * Commands run through execFile/spawn with argument arrays, never a shell string.
 *
 * @example
 * const ok = await isNetnsAvailable(); if (ok !== true) t.skip(ok)
 * const lab = createNetnsLab()
 * try { const { a } = await lab.abcTopology(); await lab.exec(a, 'ip', ['addr']) } finally { await lab.cleanup() }
 */
import { execFile, execFileSync, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { ChildProcess, SpawnOptions } from 'node:child_process'

const run = promisify(execFile)
const TOPOLOGY_SCRIPT = fileURLToPath(new URL('../netns/topology.sh', import.meta.url))
const NAME = /^[A-Za-z0-9_-]{1,32}$/

/** true when we are root on Linux and `ip netns` can create a namespace; otherwise why not. */
export async function isNetnsAvailable (): Promise<true | string> {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`
  const uid = process.getuid?.()
  if (uid !== 0) return `network namespaces need root (uid is ${String(uid)})`
  const probe = `mbx${process.pid}probe`
  try {
    await run('ip', ['netns', 'add', probe])
    await run('ip', ['netns', 'del', probe])
  } catch (err) {
    try { await run('ip', ['netns', 'del', probe]) } catch { /* it was never made */ }
    return `\`ip netns add\` failed: ${err instanceof Error ? err.message.split('\n')[0] ?? '' : String(err)}`
  }
  return true
}

const labs = new Set<NetnsLab>()
let hooked = false
function hookExit (): void {
  if (hooked) return
  hooked = true
  process.on('exit', () => { for (const lab of labs) lab.cleanupSync() })
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const lab of labs) lab.cleanupSync()
      process.exit(signal === 'SIGINT' ? 130 : 143)
    })
  }
}

let counter = 0

export class NetnsLab {
  readonly prefix: string
  private readonly namespaces = new Set<string>()
  private readonly children = new Set<ChildProcess>()
  private topologyUp = false

  constructor (prefix = `mbx${process.pid}x${counter++}`) {
    if (!/^[A-Za-z0-9_-]{1,20}$/.test(prefix)) throw new Error(`bad namespace prefix ${prefix}`)
    this.prefix = prefix
    labs.add(this)
    hookExit()
  }

  /** Full namespace name for a short one ('a' → 'mbx123x0-a'). */
  ns (short: string): string {
    if (!NAME.test(short)) throw new Error(`bad namespace name ${short}`)
    return `${this.prefix}-${short}`
  }

  /** Creates `<prefix>-<short>` with lo up. */
  async addNamespace (short: string): Promise<string> {
    const name = this.ns(short)
    await run('ip', ['netns', 'add', name])
    this.namespaces.add(name)
    await run('ip', ['-n', name, 'link', 'set', 'lo', 'up'])
    return name
  }

  /** A bridge in the switch namespace `<prefix>-sw` (created on first use, or abcTopology's), IGMP snooping off. */
  async addBridge (bridge: string): Promise<void> {
    const sw = this.ns('sw')
    if (!this.namespaces.has(sw) && !this.topologyUp) await this.addNamespace('sw')
    await run('ip', ['-n', sw, 'link', 'add', bridge, 'type', 'bridge', 'mcast_snooping', '0'])
    await run('ip', ['-n', sw, 'link', 'set', bridge, 'up'])
  }

  /**
   * A veth from `bridge` into namespace `ns` named `ifname`, with `cidr` (e.g. '10.77.1.1/24'),
   * up, plus a 224.0.0.0/4 route (metric distinguishes several segment interfaces).
   */
  async connect (ns: string, ifname: string, bridge: string, cidr: string, metric = 10): Promise<void> {
    const sw = this.ns('sw')
    const swSide = `${ns.slice(this.prefix.length + 1)}-${ifname}`.slice(0, 15)
    await run('ip', ['-n', sw, 'link', 'add', swSide, 'type', 'veth', 'peer', 'name', ifname, 'netns', ns])
    await run('ip', ['-n', sw, 'link', 'set', swSide, 'master', bridge, 'up'])
    await run('ip', ['-n', ns, 'addr', 'add', cidr, 'dev', ifname])
    await run('ip', ['-n', ns, 'link', 'set', ifname, 'up'])
    await run('ip', ['-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', ifname, 'metric', String(metric)])
  }

  /** Lets processes in one namespace find each other over lo: MULTICAST flag + 224.0.0.0/4 route. */
  async loopbackMulticast (ns: string): Promise<void> {
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'multicast', 'on'])
    await run('ip', ['-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', 'lo', 'metric', '100'])
  }

  /** The A—B—C line from test/netns/topology.sh (see there); returns the namespace names. */
  async abcTopology (): Promise<{ a: string, b: string, c: string, sw: string }> {
    this.topologyUp = true
    await run(TOPOLOGY_SCRIPT, ['up', this.prefix])
    return { a: this.ns('a'), b: this.ns('b'), c: this.ns('c'), sw: this.ns('sw') }
  }

  async exec (ns: string, cmd: string, args: string[] = []): Promise<{ stdout: string, stderr: string }> {
    return await run('ip', ['netns', 'exec', ns, cmd, ...args], { maxBuffer: 16 * 1024 * 1024 })
  }

  /** Starts `cmd args` inside `ns`; the process is killed by cleanup(). */
  spawn (ns: string, cmd: string, args: string[] = [], options: SpawnOptions = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options })
    this.children.add(child)
    child.once('exit', () => { this.children.delete(child) })
    return child
  }

  /** Kills our processes, then deletes every namespace we made (veths and bridges go with them). */
  async cleanup (): Promise<void> {
    const exits = [...this.children].map(async child => await new Promise<void>(resolve => {
      if (child.exitCode !== null || child.signalCode !== null) { resolve(); return }
      const timer = setTimeout(() => { child.kill('SIGKILL') }, 2000)
      child.once('exit', () => { clearTimeout(timer); resolve() })
      child.kill('SIGTERM')
    }))
    await Promise.all(exits)
    if (this.topologyUp) await run(TOPOLOGY_SCRIPT, ['down', this.prefix]).catch(() => undefined)
    for (const ns of this.namespaces) await run('ip', ['netns', 'del', ns]).catch(() => undefined)
    this.namespaces.clear()
    this.topologyUp = false
    labs.delete(this)
  }

  /** The same, synchronously, for process exit handlers. */
  cleanupSync (): void {
    for (const child of this.children) child.kill('SIGKILL')
    const quiet = { stdio: 'ignore' as const }
    try { if (this.topologyUp) execFileSync(TOPOLOGY_SCRIPT, ['down', this.prefix], quiet) } catch { /* best effort */ }
    for (const ns of this.namespaces) {
      try { execFileSync('ip', ['netns', 'del', ns], quiet) } catch { /* already gone */ }
    }
    this.namespaces.clear()
    this.topologyUp = false
    labs.delete(this)
  }
}

export function createNetnsLab (prefix?: string): NetnsLab {
  return new NetnsLab(prefix)
}
