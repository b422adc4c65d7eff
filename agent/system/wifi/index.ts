/**
 * Chooses the Wi-Fi backend at start: OpenWrt → ubus/iwinfo; NetworkManager (`nmcli` on PATH) →
 * node-wifi; otherwise an "unavailable" adapter that says why and answers empty lists (a scan is
 * refused with WIFI_UNAVAILABLE).
 *
 * @example const wifi = createWifi({ run: runCommand }, { openwrt: true, nmcliOnPath: false })
 */
import { AgentError, ErrorCode } from '../../errors.js'
import type { CommandRunner } from '../run-command.js'
import { createNetworkManagerWifi } from './networkmanager.js'
import { createOpenWrtWifi, type OpenWrtWifiInit } from './openwrt.js'
import type { WifiAdapter } from './types.js'

export type { WifiAdapter, WifiNetwork, WifiRadio, WifiStation } from './types.js'

export interface WifiChoiceFacts { openwrt: boolean, nmcliOnPath: boolean }
export type WifiChoice = { kind: 'openwrt' } | { kind: 'networkmanager' } | { kind: 'unavailable', reason: string }

/** Pure. */
export function chooseWifiBackend (facts: WifiChoiceFacts): WifiChoice {
  if (facts.openwrt) return { kind: 'openwrt' }
  if (facts.nmcliOnPath) return { kind: 'networkmanager' }
  return { kind: 'unavailable', reason: 'not OpenWrt (no ubus/iwinfo) and no NetworkManager (nmcli is not on PATH)' }
}

export function createUnavailableWifi (reason: string): WifiAdapter {
  return {
    backend: () => 'unavailable',
    note: () => reason,
    radios: async () => [],
    stations: async () => [],
    scan: async () => { throw new AgentError(ErrorCode.WIFI_UNAVAILABLE, `Wi-Fi scan unavailable: ${reason}`) }
  }
}

export function createWifi (c: { run: CommandRunner }, facts: WifiChoiceFacts, init: OpenWrtWifiInit = {}): WifiAdapter {
  const choice = chooseWifiBackend(facts)
  switch (choice.kind) {
    case 'openwrt': return createOpenWrtWifi(c, init)
    case 'networkmanager': return createNetworkManagerWifi()
    case 'unavailable': return createUnavailableWifi(choice.reason)
  }
}
