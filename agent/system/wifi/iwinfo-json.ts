/**
 * rpcd's `ubus call iwinfo info|scan|assoclist` answers → our types. Pure and tolerant: a field
 * with the wrong type becomes null, an entry without its key field (bssid, mac) is dropped, and
 * sizes are bounded, so a strange driver cannot break the page.
 */
import type { WifiNetwork, WifiRadio, WifiStation } from './types.js'

type Obj = Record<string, unknown>
const MAX_ENTRIES = 512

const num = (v: unknown): number | null => typeof v === 'number' && Number.isFinite(v) ? v : null
const str = (v: unknown): string | null => typeof v === 'string' && v.length <= 256 ? v : null
const obj = (v: unknown): Obj => v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Obj : {}
const MAC = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/

/** {"enabled":true,"wpa":[2],"authentication":["psk"],"ciphers":["ccmp"]} → "WPA2 PSK (CCMP)". */
export function encryptionText (v: unknown): string | null {
  const e = obj(v)
  if (e.enabled === false) return 'none'
  if (e.enabled !== true) return null
  const list = (x: unknown): string[] => Array.isArray(x) ? x.filter((s): s is string | number => typeof s === 'string' || typeof s === 'number').map(String) : []
  const wpa = list(e.wpa).map(n => n === '1' ? 'WPA' : `WPA${n}`)
  const kind = wpa.length > 0 ? wpa.join('/') : list(e.wep).length > 0 ? 'WEP' : 'encrypted'
  const auth = list(e.authentication).map(s => s.toUpperCase()).join('/')
  const ciphers = list(e.ciphers).map(s => s.toUpperCase()).join(', ')
  return [kind, auth].filter(s => s !== '').join(' ') + (ciphers !== '' ? ` (${ciphers})` : '')
}

export function radioFromInfo (device: string, v: unknown): WifiRadio {
  const i = obj(v)
  const signal = num(i.signal)
  return {
    device,
    phy: str(i.phy),
    ssid: str(i.ssid),
    bssid: str(i.bssid),
    mode: str(i.mode),
    channel: num(i.channel),
    frequencyMhz: num(i.frequency),
    htmode: str(i.htmode),
    txPowerDbm: num(i.txpower),
    signalDbm: signal === 0 ? null : signal,
    noiseDbm: num(i.noise) === 0 ? null : num(i.noise),
    bitrateKbps: num(i.bitrate) === 0 ? null : num(i.bitrate),
    encryption: encryptionText(i.encryption),
    hardware: str(obj(i.hardware).name)
  }
}

const results = (v: unknown): unknown[] => {
  const r = obj(v).results
  return Array.isArray(r) ? r.slice(0, MAX_ENTRIES) : []
}

export function networksFromScan (device: string, v: unknown): WifiNetwork[] {
  return results(v).map(obj).filter(e => typeof e.bssid === 'string' && MAC.test(e.bssid)).map(e => ({
    device,
    ssid: str(e.ssid),
    bssid: (e.bssid as string).toUpperCase(),
    mode: str(e.mode),
    channel: num(e.channel),
    frequencyMhz: num(e.mhz),
    signalDbm: num(e.signal),
    quality: num(e.quality),
    qualityMax: num(e.quality_max),
    encryption: encryptionText(e.encryption)
  }))
}

export function stationsFromAssoclist (device: string, v: unknown): WifiStation[] {
  return results(v).map(obj).filter(e => typeof e.mac === 'string' && MAC.test(e.mac)).map(e => {
    const rx = obj(e.rx)
    const tx = obj(e.tx)
    return {
      device,
      mac: (e.mac as string).toUpperCase(),
      signalDbm: num(e.signal),
      noiseDbm: num(e.noise),
      inactiveMs: num(e.inactive),
      connectedS: num(e.connected_time),
      rxBitrateKbps: num(rx.rate),
      txBitrateKbps: num(tx.rate),
      rxPackets: num(rx.packets),
      txPackets: num(tx.packets),
      rxBytes: num(rx.bytes),
      txBytes: num(tx.bytes)
    }
  })
}

/** `{"devices": [...]}` → names (bounded, only plausible interface names). */
export function devicesFrom (v: unknown): string[] {
  const d = obj(v).devices
  return Array.isArray(d) ? d.filter((s): s is string => typeof s === 'string' && /^[A-Za-z0-9_.-]{1,15}$/.test(s)).slice(0, 64) : []
}
