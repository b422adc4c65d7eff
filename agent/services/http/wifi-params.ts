/** Answers of the Wi-Fi routes: which backend, what it could not do, radios and phones. */
import { AgentError, ErrorCode } from '../../errors.js'
import type { WifiAdapter, WifiNetwork, WifiRadio, WifiStation } from '../../system/wifi/index.js'

export interface WifiView {
  backend: string
  available: boolean
  note: string | null
  radios: WifiRadio[]
  stations: WifiStation[]
}

export async function wifiView (wifi: WifiAdapter, signal: AbortSignal): Promise<WifiView> {
  const [radios, stations] = await Promise.all([wifi.radios({ signal }), wifi.stations({ signal })])
  return { backend: wifi.backend(), available: wifi.backend() !== 'unavailable', note: wifi.note() ?? null, radios, stations }
}

export async function wifiScan (wifi: WifiAdapter, device: string | undefined, signal: AbortSignal): Promise<{ backend: string, device: string | null, networks: WifiNetwork[] }> {
  if (device !== undefined && !/^[A-Za-z0-9_.-]{1,15}$/.test(device)) {
    throw new AgentError(ErrorCode.HTTP_PARAM_INVALID, '"device" must be an interface name (letters, digits, ._-, at most 15)', { data: { param: 'device' } })
  }
  return { backend: wifi.backend(), device: device ?? null, networks: await wifi.scan(device, { signal }) }
}
