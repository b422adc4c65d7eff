// The part of node-wifi 2.0.16 (CommonJS, no types of its own) that the NetworkManager backend uses.
declare module 'node-wifi' {
  export interface NodeWifiNetwork {
    ssid: string
    bssid: string
    mode: string
    channel: number
    frequency: number
    signal_level: number
    quality: number
    security: string
    iface?: string
  }
  const wifi: {
    init: (options: { iface: string | null, debug?: boolean }) => void
    scan: () => Promise<NodeWifiNetwork[]>
    getCurrentConnections: () => Promise<NodeWifiNetwork[]>
  }
  export default wifi
}
