/**
 * Wi-Fi on OpenWrt: `ubus call iwinfo devices|info|scan|assoclist` (rpcd-mod-iwinfo), or, when
 * ubus has no iwinfo object (exit 4), the `iwinfo` CLI. Which one is settled at the first call.
 * Every call is bounded in time and output; answers are cached briefly (ttl-cache.ts).
 */
import { AgentError, ErrorCode } from '../../errors.js'
import type { CommandRunner } from '../run-command.js'
import { createTtlCache } from '../ttl-cache.js'
import { createUbus, UBUS_NOT_FOUND } from '../ubus.js'
import { devicesFrom, networksFromScan, radioFromInfo, stationsFromAssoclist } from './iwinfo-json.js'
import { networksFromText, radiosFromText, stationsFromText } from './iwinfo-text.js'
import { AP_MODE, type WifiAdapter, type WifiBackendName, type WifiNetwork, type WifiRadio, type WifiStation } from './types.js'

export interface OpenWrtWifiInit {
  callTimeoutMs?: number
  scanTimeoutMs?: number
  maxOutputBytes?: number
  /** radios and stations are kept this long (the status page polls every 2 s). */
  cacheTtlMs?: number
  scanCacheTtlMs?: number
}

const DEFAULTS = { callTimeoutMs: 3_000, scanTimeoutMs: 15_000, maxOutputBytes: 1024 * 1024, cacheTtlMs: 2_000, scanCacheTtlMs: 10_000 }

export function createOpenWrtWifi (c: { run: CommandRunner }, init: OpenWrtWifiInit = {}): WifiAdapter {
  const o = { ...DEFAULTS, ...init }
  const ubus = createUbus(c, { timeoutMs: o.callTimeoutMs, maxOutputBytes: o.maxOutputBytes })
  const scanUbus = createUbus(c, { timeoutMs: o.scanTimeoutMs, maxOutputBytes: o.maxOutputBytes })
  let backend: WifiBackendName = 'openwrt-ubus'
  let settled = false

  const iwinfo = async (args: string[], timeoutMs = o.callTimeoutMs): Promise<string> => {
    const r = await c.run('iwinfo', args, { timeoutMs, maxOutputBytes: o.maxOutputBytes })
    if (r.code !== 0) throw new AgentError(ErrorCode.SYSTEM_COMMAND_FAILED, `iwinfo ${args.join(' ')}: exit ${r.code}: ${r.stderr.trim().slice(0, 160) || 'no message'}`, { data: { command: 'iwinfo' } })
    return r.stdout
  }

  const loadRadios = async (): Promise<WifiRadio[]> => {
    if (!settled || backend === 'openwrt-ubus') {
      try {
        const devices = devicesFrom(await ubus.call('iwinfo', 'devices'))
        settled = true
        return await Promise.all(devices.map(async d => radioFromInfo(d, await ubus.call('iwinfo', 'info', { device: d }))))
      } catch (err) {
        if (settled || !(err instanceof AgentError) || err.data.exitCode !== UBUS_NOT_FOUND) throw err
        backend = 'openwrt-iwinfo'
        settled = true
      }
    }
    return radiosFromText(await iwinfo([]))
  }
  const radios = createTtlCache(loadRadios, o.cacheTtlMs)

  const assoc = async (device: string): Promise<WifiStation[]> => backend === 'openwrt-ubus'
    ? stationsFromAssoclist(device, await ubus.call('iwinfo', 'assoclist', { device }))
    : stationsFromText(device, await iwinfo([device, 'assoclist']))
  const stations = createTtlCache(async () => {
    const aps = (await radios.get()).filter(r => r.mode === AP_MODE)
    return (await Promise.all(aps.map(async r => await assoc(r.device)))).flat()
  }, o.cacheTtlMs)

  const scanOne = async (device: string): Promise<WifiNetwork[]> => backend === 'openwrt-ubus'
    ? networksFromScan(device, await scanUbus.call('iwinfo', 'scan', { device }))
    : networksFromText(device, await iwinfo([device, 'scan'], o.scanTimeoutMs))
  const scans = new Map<string, ReturnType<typeof createTtlCache<WifiNetwork[]>>>()
  const scanCached = async (device: string): Promise<WifiNetwork[]> => {
    let cache = scans.get(device)
    if (cache === undefined) {
      cache = createTtlCache(async () => await scanOne(device), o.scanCacheTtlMs)
      scans.set(device, cache)
    }
    return await cache.get()
  }

  return {
    backend: () => backend,
    note: () => backend === 'openwrt-iwinfo' ? 'rpcd-mod-iwinfo is not installed: read through the iwinfo CLI (no connection times or byte counters)' : undefined,
    radios: async () => await radios.get(),
    stations: async () => await stations.get(),
    async scan (device) {
      const all = await radios.get()
      if (device !== undefined) {
        if (!all.some(r => r.device === device)) {
          throw new AgentError(ErrorCode.WIFI_DEVICE_UNKNOWN, `no wireless device "${device.slice(0, 20)}"; devices: ${all.map(r => r.device).join(', ') || 'none'}`, { data: { device } })
        }
        return await scanCached(device)
      }
      // one interface per radio (the first, usually its access point): interfaces on one phy see the same air
      const perPhy = new Map<string, string>()
      for (const r of all) if (!perPhy.has(r.phy ?? r.device)) perPhy.set(r.phy ?? r.device, r.device)
      return (await Promise.all([...perPhy.values()].map(scanCached))).flat()
    }
  }
}
