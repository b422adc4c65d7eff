/**
 * The Wi-Fi adapter: radios (this box's wireless interfaces), scan (networks around), stations
 * (phones connected to this box's access points; mesh peers on 802.11s interfaces are not
 * phones and are left out). Backends: OpenWrt (ubus iwinfo, else the iwinfo CLI), NetworkManager
 * through node-wifi on a desktop, and "unavailable", which says why.
 * Units are in the names; a value the backend does not report is null.
 */
export type WifiBackendName = 'openwrt-ubus' | 'openwrt-iwinfo' | 'networkmanager' | 'unavailable'

export interface WifiRadio {
  device: string
  phy: string | null
  ssid: string | null
  bssid: string | null
  /** iwinfo's mode names: Master (access point), Client, Mesh Point, Ad-Hoc, Monitor… */
  mode: string | null
  channel: number | null
  frequencyMhz: number | null
  htmode: string | null
  txPowerDbm: number | null
  signalDbm: number | null
  noiseDbm: number | null
  bitrateKbps: number | null
  encryption: string | null
  hardware: string | null
}

export interface WifiNetwork {
  device: string
  ssid: string | null
  bssid: string
  mode: string | null
  channel: number | null
  frequencyMhz: number | null
  signalDbm: number | null
  quality: number | null
  qualityMax: number | null
  encryption: string | null
}

export interface WifiStation {
  device: string
  mac: string
  signalDbm: number | null
  noiseDbm: number | null
  inactiveMs: number | null
  connectedS: number | null
  rxBitrateKbps: number | null
  txBitrateKbps: number | null
  rxPackets: number | null
  txPackets: number | null
  rxBytes: number | null
  txBytes: number | null
}

export interface WifiOptions { signal?: AbortSignal }

export interface WifiAdapter {
  /** The backend in use; an OpenWrt adapter settles on ubus or the iwinfo CLI at its first call. */
  backend: () => WifiBackendName
  /** Why Wi-Fi is unavailable or limited (no nmcli, no rpcd-mod-iwinfo, a desktop serves no phones). */
  note: () => string | undefined
  radios: (options?: WifiOptions) => Promise<WifiRadio[]>
  /** One device, or one interface per radio when none is given. Slow (seconds) and cached briefly. */
  scan: (device?: string, options?: WifiOptions) => Promise<WifiNetwork[]>
  stations: (options?: WifiOptions) => Promise<WifiStation[]>
}

export const AP_MODE = 'Master'
