/**
 * System facts for the technician: CPU, load, memory, temperatures, interfaces with traffic
 * counters, uptime, and the disk holding the data directory. Nothing here blocks the event loop:
 * systeminformation only for cpu() (once; it runs lscpu with exec, and falls back to os.cpus()
 * where BusyBox has no lscpu) and mem() (an async read of /proc/meminfo); everything else is
 * async reads of /proc and /sys, statfs, and os.*. One collection at a time, kept for ttlMs.
 *
 * @example const facts = createSystemFacts({}, { dataDir: '/srv/meshbox' }); await facts.get()
 */
import { readdir, readFile, statfs } from 'node:fs/promises'
import os from 'node:os'
import { effectiveMount, parseMounts } from '../store/fs-check.js'
import { parseMilliCelsius, parseNetDev, type InterfaceCounters } from './proc.js'
import { createTtlCache } from './ttl-cache.js'

export interface SystemFactsInit {
  dataDir: string
  /** Facts are kept this long; the status page polls every 2 s. */
  ttlMs?: number
  /** Test seams: where /proc and /sys are. */
  procDir?: string
  sysDir?: string
  /** What the agent knows about the platform, echoed in the answer. */
  platform?: Record<string, unknown>
}

export interface InterfaceFacts extends InterfaceCounters {
  operstate: string | null
  mtu: number | null
  mac: string | null
  addresses: string[]
}

export interface SystemFactsView {
  collectedAtMs: number
  /** How old these facts are when answered (they are cached for ttlMs). */
  ageMs: number
  collectMs: number
  hostname: string
  platform: Record<string, unknown>
  uptimeS: number
  cpu: { model: string, cores: number, speedGhz: number | null, loadAvg: number[] }
  memory: { totalBytes: number, availableBytes: number, freeBytes: number, swapTotalBytes: number, swapFreeBytes: number, agentRssBytes: number }
  temperatures: Array<{ zone: string, type: string | null, celsius: number }>
  interfaces: InterfaceFacts[]
  disk: { path: string, mountPoint: string | null, fsType: string | null, totalBytes: number, freeBytes: number, availableBytes: number } | { path: string, error: string }
}

export interface SystemFacts {
  get: () => Promise<SystemFactsView>
  /** Loads systeminformation ahead of the first request (the agent does it just after it is ready). */
  warm: () => Promise<void>
}

const CPU_INFO_TIMEOUT_MS = 5_000
const MAX_THERMAL_ZONES = 32

type Si = typeof import('systeminformation')
let siModule: Promise<Si> | undefined
/** systeminformation is a fifth of the bundle: loaded after the agent is ready (warm) or on first use, not before ready. */
const loadSi = async (): Promise<Si> => {
  siModule ??= import('systeminformation').then(m => (m as Si & { default?: Si }).default ?? m)
  return await siModule
}

const text = async (path: string): Promise<string | null> => await readFile(path, 'utf8').then(s => s.slice(0, 64 * 1024), () => null)

export function createSystemFacts (_c: Record<string, never>, init: SystemFactsInit): SystemFacts {
  const proc = init.procDir ?? '/proc'
  const sys = init.sysDir ?? '/sys'
  let cpuStatic: Promise<{ model: string, cores: number, speedGhz: number | null }> | undefined

  const cpuInfo = async (): Promise<{ model: string, cores: number, speedGhz: number | null }> => {
    const fallback = { model: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), speedGhz: null }
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<typeof fallback>(resolve => { timer = setTimeout(() => { resolve(fallback) }, CPU_INFO_TIMEOUT_MS) })
    const c = await Promise.race([loadSi().then(async si => await si.cpu()).then(x => ({ model: `${x.manufacturer} ${x.brand}`.trim() || fallback.model, cores: x.cores || fallback.cores, speedGhz: x.speed || null }), () => fallback), late])
    clearTimeout(timer)
    return c
  }

  const temperatures = async (): Promise<SystemFactsView['temperatures']> => {
    const zones = (await readdir(`${sys}/class/thermal`).catch(() => [] as string[])).filter(z => z.startsWith('thermal_zone')).slice(0, MAX_THERMAL_ZONES)
    const read = await Promise.all(zones.map(async zone => {
      const [t, type] = await Promise.all([text(`${sys}/class/thermal/${zone}/temp`), text(`${sys}/class/thermal/${zone}/type`)])
      const celsius = t === null ? null : parseMilliCelsius(t)
      return celsius === null ? undefined : { zone, type: type?.trim() ?? null, celsius }
    }))
    return read.filter(x => x !== undefined)
  }

  const interfaces = async (): Promise<InterfaceFacts[]> => {
    const counters = parseNetDev(await text(`${proc}/net/dev`) ?? '')
    const addrs = os.networkInterfaces()
    return await Promise.all(counters.map(async c => {
      const [operstate, mtu, mac] = await Promise.all(['operstate', 'mtu', 'address'].map(async f => (await text(`${sys}/class/net/${c.name}/${f}`))?.trim() ?? null))
      return { ...c, operstate: operstate ?? null, mtu: mtu === null || mtu === undefined ? null : Number(mtu), mac: mac ?? null, addresses: (addrs[c.name] ?? []).map(a => a.cidr ?? a.address) }
    }))
  }

  const disk = async (): Promise<SystemFactsView['disk']> => {
    try {
      const [s, mounts] = await Promise.all([statfs(init.dataDir), text(`${proc}/mounts`)])
      const m = mounts === null ? undefined : effectiveMount(parseMounts(mounts), init.dataDir)
      return { path: init.dataDir, mountPoint: m?.mountPoint ?? null, fsType: m?.fsType ?? null, totalBytes: s.blocks * s.bsize, freeBytes: s.bfree * s.bsize, availableBytes: s.bavail * s.bsize }
    } catch (err) {
      return { path: init.dataDir, error: (err as NodeJS.ErrnoException).code ?? 'unreadable' }
    }
  }

  const collect = async (): Promise<SystemFactsView> => {
    const started = performance.now()
    cpuStatic ??= cpuInfo()
    const [cpu, mem, temps, ifs, dsk] = await Promise.all([cpuStatic, loadSi().then(async si => await si.mem()), temperatures(), interfaces(), disk()])
    return {
      collectedAtMs: Date.now(),
      ageMs: 0,
      collectMs: Math.round((performance.now() - started) * 10) / 10,
      hostname: os.hostname(),
      platform: init.platform ?? {},
      uptimeS: Math.round(os.uptime()),
      cpu: { ...cpu, loadAvg: os.loadavg().map(l => Math.round(l * 100) / 100) },
      memory: { totalBytes: mem.total, availableBytes: mem.available, freeBytes: mem.free, swapTotalBytes: mem.swaptotal, swapFreeBytes: mem.swapfree, agentRssBytes: process.memoryUsage.rss() },
      temperatures: temps,
      interfaces: ifs,
      disk: dsk
    }
  }

  const cache = createTtlCache(collect, init.ttlMs ?? 2_000)
  return {
    async warm () { await loadSi() },
    async get () {
      const view = await cache.get()
      return { ...view, ageMs: cache.ageMs() ?? 0 }
    }
  }
}
