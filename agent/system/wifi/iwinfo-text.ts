/**
 * The `iwinfo` CLI's text (iwinfo_cli.c), for boxes without rpcd-mod-iwinfo: `iwinfo` (info of
 * every device), `iwinfo <dev> scan`, `iwinfo <dev> assoclist`. Pure. Output in none of these
 * layouts is SYSTEM_OUTPUT_INVALID rather than an empty list, so a broken tool is noticed.
 */
import { AgentError, ErrorCode } from '../../errors.js'
import type { WifiNetwork, WifiRadio, WifiStation } from './types.js'

const MAX_ENTRIES = 512
const MAC = '[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}'

function pick (block: string, re: RegExp): string | null {
  const m = re.exec(block)
  return m?.[1] !== undefined && m[1] !== 'unknown' ? m[1] : null
}

function int (block: string, re: RegExp): number | null {
  const v = pick(block, re)
  const n = v === null ? Number.NaN : Number(v)
  return Number.isFinite(n) ? n : null
}

function invalid (what: string, text: string): AgentError {
  const first = text.split('\n')[0] ?? ''
  return new AgentError(ErrorCode.SYSTEM_OUTPUT_INVALID, `${what}: output not in iwinfo's layout: ${JSON.stringify(first.slice(0, 60))}`, { data: { command: 'iwinfo' } })
}

/** Splits text into blocks, each starting at a line matching `head`. */
function blocks (text: string, head: RegExp): string[] {
  const out: string[] = []
  for (const line of text.split('\n')) {
    if (head.test(line)) out.push(line)
    else if (out.length > 0) out[out.length - 1] += '\n' + line
  }
  return out.slice(0, MAX_ENTRIES)
}

const ssidOf = (block: string): string | null => {
  const m = /ESSID: (?:"(.*)"|unknown)/.exec(block)
  return m?.[1] ?? null
}

export function radiosFromText (text: string): WifiRadio[] {
  const list = blocks(text, /^\S+\s+ESSID: /)
  if (list.length === 0 && text.trim() !== '') throw invalid('iwinfo', text)
  return list.map(b => {
    const mhz = pick(b, /Channel: \S+ \(([\d.]+) GHz\)/)
    const rate = pick(b, /Bit Rate: ([\d.]+) MBit\/s/)
    return {
      device: (/^(\S+)/.exec(b) as RegExpExecArray)[1] as string,
      phy: pick(b, /PHY name: (\S+)/),
      ssid: ssidOf(b),
      bssid: pick(b, new RegExp(`Access Point: (${MAC})`)),
      mode: pick(b, /Mode: (.+?) {2}Channel:/),
      channel: int(b, /Channel: (\d+)/),
      frequencyMhz: mhz === null ? null : Math.round(Number(mhz) * 1000),
      htmode: pick(b, /HT Mode: (\S+)/),
      txPowerDbm: int(b, /Tx-Power: (-?\d+) dBm/),
      signalDbm: int(b, /Signal: (-?\d+) dBm/),
      noiseDbm: int(b, /Noise: (-?\d+) dBm/),
      bitrateKbps: rate === null ? null : Math.round(Number(rate) * 1000),
      encryption: pick(b, /Encryption: (.+)/),
      hardware: pick(b, /Hardware: .*\[(.+)\]/)
    }
  })
}

export function networksFromText (device: string, text: string): WifiNetwork[] {
  if (/^No scan results/m.test(text)) return []
  const list = blocks(text, /^Cell \d+ - Address: /)
  if (list.length === 0) throw invalid(`iwinfo ${device} scan`, text)
  return list.map(b => {
    const mhz = pick(b, /Frequency: ([\d.]+) GHz/)
    return {
      device,
      ssid: ssidOf(b),
      bssid: (pick(b, new RegExp(`Address: (${MAC})`)) ?? '').toUpperCase(),
      mode: pick(b, /Mode: (.+?) {2}(?:Frequency|Channel):/),
      channel: int(b, /Channel: (\d+)/),
      frequencyMhz: mhz === null ? null : Math.round(Number(mhz) * 1000),
      signalDbm: int(b, /Signal: (-?\d+) dBm/),
      quality: int(b, /Quality: (\d+)\//),
      qualityMax: int(b, /Quality: \S+\/(\d+)/),
      encryption: pick(b, /Encryption: (.+)/)
    }
  }).filter(n => n.bssid !== '')
}

export function stationsFromText (device: string, text: string): WifiStation[] {
  if (/^No station connected/m.test(text)) return []
  const list = blocks(text, new RegExp(`^${MAC}  `))
  if (list.length === 0) throw invalid(`iwinfo ${device} assoclist`, text)
  const rate = (b: string, dir: string): number | null => {
    const v = pick(b, new RegExp(`${dir}: ([\\d.]+) MBit/s`))
    return v === null ? null : Math.round(Number(v) * 1000)
  }
  return list.map(b => ({
    device,
    mac: ((/^(\S+)/.exec(b) as RegExpExecArray)[1] as string).toUpperCase(),
    signalDbm: int(b, /^\S+ {2}(-?\d+) dBm/),
    noiseDbm: int(b, /\/ (-?\d+) dBm/),
    inactiveMs: int(b, /(\d+) ms ago/),
    connectedS: null,
    rxBitrateKbps: rate(b, 'RX'),
    txBitrateKbps: rate(b, 'TX'),
    rxPackets: int(b, /RX: .*?(\d+) Pkts\./),
    txPackets: int(b, /TX: .*?(\d+) Pkts\./),
    rxBytes: null,
    txBytes: null
  }))
}
