/**
 * Pure readers of /proc and /sys text, which BusyBox boxes have even where desktop tools are
 * missing: interface counters from /proc/net/dev, temperatures from thermal zones.
 */
export interface InterfaceCounters {
  name: string
  rxBytes: number
  rxPackets: number
  rxErrors: number
  rxDropped: number
  txBytes: number
  txPackets: number
  txErrors: number
  txDropped: number
}

const MAX_INTERFACES = 256

/**
 * /proc/net/dev: two header lines, then `  eth0: rxBytes rxPackets errs drop fifo frame compressed
 * multicast txBytes txPackets errs drop fifo colls carrier compressed`.
 */
export function parseNetDev (text: string): InterfaceCounters[] {
  const out: InterfaceCounters[] = []
  for (const line of text.split('\n').slice(2)) {
    const m = /^\s*([^:\s]+):\s*(.*)$/.exec(line)
    if (m === null) continue
    const f = (m[2] ?? '').trim().split(/\s+/).map(Number)
    if (f.length < 16 || f.some(n => !Number.isFinite(n))) continue
    const at = (i: number): number => f[i] as number
    out.push({ name: m[1] as string, rxBytes: at(0), rxPackets: at(1), rxErrors: at(2), rxDropped: at(3), txBytes: at(8), txPackets: at(9), txErrors: at(10), txDropped: at(11) })
    if (out.length >= MAX_INTERFACES) break
  }
  return out
}

/** A thermal zone's `temp` file holds millidegrees Celsius. */
export function parseMilliCelsius (text: string): number | null {
  const n = Number(text.trim())
  return text.trim() !== '' && Number.isFinite(n) && Math.abs(n) < 500_000 ? Math.round(n / 100) / 10 : null
}
