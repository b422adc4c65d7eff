/**
 * Wi-Fi on a desktop Linux with NetworkManager, through node-wifi (which runs `nmcli`). A desktop
 * is a Wi-Fi client: radios are its connected interfaces, scan is nmcli's list, and it serves no
 * phones, so stations is always empty (note() says so). node-wifi has no timeout of its own, so
 * each call is raced against one; nmcli itself is left to finish.
 */
import wifi, { type NodeWifiNetwork } from 'node-wifi'
import { AgentError, ErrorCode, errorMessage } from '../../errors.js'
import { createTtlCache } from '../ttl-cache.js'
import type { WifiAdapter, WifiNetwork, WifiRadio } from './types.js'

export interface NetworkManagerWifiInit { callTimeoutMs?: number, scanTimeoutMs?: number, cacheTtlMs?: number, scanCacheTtlMs?: number }
const DEFAULTS = { callTimeoutMs: 5_000, scanTimeoutMs: 20_000, cacheTtlMs: 2_000, scanCacheTtlMs: 10_000 }

async function within<T> (what: string, p: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new AgentError(ErrorCode.SYSTEM_COMMAND_TIMEOUT, `${what}: no answer within ${timeoutMs} ms`, { data: { command: 'nmcli' } })) }, timeoutMs)
  })
  try {
    return await Promise.race([p.catch((err: unknown) => {
      throw new AgentError(ErrorCode.SYSTEM_COMMAND_FAILED, `${what}: ${errorMessage(err).split('\n')[0]?.slice(0, 160) ?? ''}`, { data: { command: 'nmcli' } })
    }), late])
  } finally {
    clearTimeout(timer)
  }
}

const nullable = (n: number): number | null => Number.isFinite(n) ? n : null

export function createNetworkManagerWifi (init: NetworkManagerWifiInit = {}): WifiAdapter {
  const o = { ...DEFAULTS, ...init }
  wifi.init({ iface: null })
  const toNetwork = (device: string) => (n: NodeWifiNetwork): WifiNetwork => ({
    device,
    ssid: n.ssid === '' ? null : n.ssid,
    bssid: n.bssid.toUpperCase(),
    mode: n.mode,
    channel: nullable(n.channel),
    frequencyMhz: nullable(n.frequency),
    signalDbm: nullable(n.signal_level),
    quality: nullable(n.quality),
    qualityMax: 100,
    encryption: n.security
  })
  const radios = createTtlCache(async (): Promise<WifiRadio[]> => {
    const conns = await within('nmcli (current connections)', wifi.getCurrentConnections(), o.callTimeoutMs)
    return conns.map(n => ({
      device: n.iface ?? 'wlan', phy: null, ssid: n.ssid, bssid: n.bssid.toUpperCase(), mode: 'Client',
      channel: nullable(n.channel), frequencyMhz: nullable(n.frequency), htmode: null, txPowerDbm: null,
      signalDbm: nullable(n.signal_level), noiseDbm: null, bitrateKbps: null, encryption: n.security, hardware: null
    }))
  }, o.cacheTtlMs)
  const scan = createTtlCache(async () => (await within('nmcli (scan)', wifi.scan(), o.scanTimeoutMs)).map(toNetwork('nmcli')), o.scanCacheTtlMs)
  return {
    backend: () => 'networkmanager',
    note: () => 'desktop with NetworkManager: a Wi-Fi client, so no phones are connected to it',
    radios: async () => await radios.get(),
    scan: async () => await scan.get(),
    stations: async () => []
  }
}
