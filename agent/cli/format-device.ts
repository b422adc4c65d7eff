/** Human forms of `meshbox system`, `meshbox wifi`, `meshbox wifi scan` and `meshbox profile`. */
import { formatTable } from './client.js'

const MIB = 1024 * 1024
const mib = (n: unknown): string => typeof n === 'number' ? `${Math.round(n / MIB)} MiB` : '-'
const gib = (n: unknown): string => typeof n === 'number' ? `${(n / 1024 / MIB).toFixed(1)} GiB` : '-'

export function formatSystem (s: Record<string, unknown>): string {
  const cpu = s.cpu as { model: string, cores: number, loadAvg: number[] }
  const mem = s.memory as Record<string, number>
  const disk = s.disk as Record<string, unknown>
  const temps = s.temperatures as Array<{ type: string | null, zone: string, celsius: number }>
  const ifs = s.interfaces as Array<Record<string, unknown>>
  return [
    `host: ${String(s.hostname)}, up ${Math.round(Number(s.uptimeS) / 3600)} h`,
    `cpu: ${cpu.model}, ${cpu.cores} cores, load ${cpu.loadAvg.join(' ')}`,
    `memory: ${mib(mem.availableBytes)} available of ${mib(mem.totalBytes)}; agent RSS ${mib(mem.agentRssBytes)}`,
    `temperatures: ${temps.length === 0 ? 'none reported' : temps.map(t => `${t.type ?? t.zone} ${t.celsius} °C`).join(', ')}`,
    `data dir: ${String(disk.path)} ${'error' in disk ? `unreadable (${String(disk.error)})` : `on ${String(disk.fsType)} (${String(disk.mountPoint)}), ${gib(disk.availableBytes)} free of ${gib(disk.totalBytes)}`}`,
    `facts: ${Math.round(Number(s.ageMs))} ms old, collected in ${String(s.collectMs)} ms`,
    'interfaces:',
    formatTable(ifs.map(i => ({ ...i, rx: mib(i.rxBytes), tx: mib(i.txBytes), addresses: (i.addresses as string[]).join(' ') })),
      ['name', 'operstate', 'mtu', 'rx', 'tx', 'rxErrors', 'txErrors', 'addresses']).split('\n').map(l => '  ' + l).join('\n')
  ].join('\n')
}

export function formatWifi (w: { backend: string, note: string | null, radios: Array<Record<string, unknown>>, stations: Array<Record<string, unknown>> }): string {
  return [
    `backend: ${w.backend}${w.note !== null ? ` (${w.note})` : ''}`,
    w.radios.length === 0 ? 'radios: none' : 'radios:\n' + formatTable(w.radios, ['device', 'mode', 'ssid', 'channel', 'frequencyMhz', 'htmode', 'txPowerDbm', 'encryption']).split('\n').map(l => '  ' + l).join('\n'),
    w.stations.length === 0 ? 'phones: none connected' : `phones (${w.stations.length}):\n` + formatTable(w.stations, ['device', 'mac', 'signalDbm', 'inactiveMs', 'connectedS', 'rxBitrateKbps', 'txBitrateKbps']).split('\n').map(l => '  ' + l).join('\n')
  ].join('\n')
}

export function formatScan (s: { networks: Array<Record<string, unknown>> }): string {
  if (s.networks.length === 0) return 'no networks found'
  return formatTable(s.networks.map(n => ({ ...n, ssid: n.ssid ?? '(hidden)' })), ['device', 'ssid', 'bssid', 'mode', 'channel', 'signalDbm', 'encryption'])
}

export function formatProfile (p: Record<string, unknown>): string {
  return [
    `profile: ${String(p.id)} (${String(p.name)}), ${String(p.status)}${typeof p.statusReason === 'string' ? `: ${p.statusReason}` : ''}`,
    `chosen: ${String(p.chosenBy)}${typeof p.boardName === 'string' ? ` (board_name ${p.boardName})` : ''}${typeof p.boardError === 'string' ? ` (board unreadable: ${p.boardError})` : ''}`,
    `arch: ${String(p.arch)}, OpenWrt target ${String(p.openwrtTarget)}`,
    `memory: RSS budget ${mib(p.maxRssBytes)}, V8 heap --max-old-space-size=${String(p.maxOldSpaceMb)}`,
    `data dir: ${String(p.dataDir)}`
  ].join('\n')
}
