import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { AgentError, ErrorCode } from '../../agent/errors.js'
import { chooseWifiBackend, createUnavailableWifi } from '../../agent/system/wifi/index.js'
import { encryptionText } from '../../agent/system/wifi/iwinfo-json.js'
import { networksFromText, radiosFromText, stationsFromText } from '../../agent/system/wifi/iwinfo-text.js'
import { createNetworkManagerWifi } from '../../agent/system/wifi/networkmanager.js'
import { createOpenWrtWifi } from '../../agent/system/wifi/openwrt.js'
import { fakeCalls, fakeFixtures, fakeRunner, GL_MT6000 } from '../helpers/fake-openwrt.js'
import { tempDir } from '../helpers/tmp.js'

const NO_RPCD_IWINFO = Object.fromEntries(['devices.json', 'info.phy0-ap0.json', 'info.phy1-ap0.json', 'info.phy1-mesh0.json', 'scan.phy1-ap0.json',
  'assoclist.phy0-ap0.json', 'assoclist.phy1-ap0.json', 'assoclist.phy1-mesh0.json'].map(f => [`ubus/iwinfo.${f}`, null]))

function wifiOn (changes: Record<string, string | null> = {}, mode?: string, callTimeoutMs = 3_000) {
  const callsFile = join(tempDir('wifi'), 'calls.log')
  const wifi = createOpenWrtWifi({ run: fakeRunner({ fixtures: fakeFixtures(changes), callsFile, ...(mode !== undefined ? { mode } : {}) }) }, { callTimeoutMs, scanTimeoutMs: callTimeoutMs })
  return { wifi, calls: () => fakeCalls(callsFile) }
}

const code = (c: string, fragment = '') => (err: unknown): boolean => err instanceof AgentError && err.code === c && err.message.includes(fragment)

for (const [label, changes, backend] of [['ubus iwinfo', {}, 'openwrt-ubus'], ['iwinfo CLI (no rpcd-mod-iwinfo)', NO_RPCD_IWINFO, 'openwrt-iwinfo']] as const) {
  describe(`Wi-Fi on OpenWrt through ${label}`, () => {
    it('default: radios with mode, channel, frequency and encryption', async () => {
      const { wifi } = wifiOn(changes)
      const radios = await wifi.radios()
      assert.equal(wifi.backend(), backend)
      assert.deepEqual(radios.map(r => [r.device, r.mode, r.channel, r.frequencyMhz, r.phy]), [
        ['phy0-ap0', 'Master', 6, 2437, 'phy0'], ['phy1-ap0', 'Master', 36, 5180, 'phy1'], ['phy1-mesh0', 'Mesh Point', 36, 5180, 'phy1']])
      assert.equal(radios[0]?.ssid, 'MeshBox')
      assert.equal(radios[0]?.encryption, 'WPA2 PSK (CCMP)')
      assert.equal(radios[2]?.signalDbm, -52)
      assert.equal(radios[0]?.signalDbm, null, 'an AP has no signal of its own')
      assert.equal(radios[0]?.hardware, 'MediaTek MT7986')
    })
    it('default: stations are the phones on the access points, not the mesh peer', async () => {
      const { wifi } = wifiOn(changes)
      const st = await wifi.stations()
      assert.deepEqual(st.map(s => [s.device, s.mac, s.signalDbm, s.inactiveMs]), [
        ['phy0-ap0', '3C:22:FB:10:20:30', -58, 120], ['phy1-ap0', 'F0:99:B6:40:50:60', -47, 30], ['phy1-ap0', 'A4:83:E7:70:80:90', -66, 2400]])
      assert.equal(st[1]?.rxPackets, 9001)
      assert.equal(st[1]?.rxBitrateKbps, 1200900)
    })
    it('default: scan of one device, hidden networks without a name', async () => {
      const { wifi } = wifiOn(changes)
      const nets = await wifi.scan('phy1-ap0')
      assert.deepEqual(nets.map(n => [n.bssid, n.ssid, n.channel, n.signalDbm, n.mode]), [
        ['AA:BB:CC:00:11:22', 'Cafe Market', 1, -61, 'Master'], ['AA:BB:CC:00:11:23', null, 44, -78, 'Master'], ['96:83:C4:B0:00:03', 'meshbox-mesh', 36, -55, 'Mesh Point']])
      assert.equal(nets[1]?.encryption, 'none')
      assert.equal(nets[0]?.frequencyMhz, 2412)
    })
    it('error: an unknown device', async () => {
      await assert.rejects(wifiOn(changes).wifi.scan('wlan9'), code(ErrorCode.WIFI_DEVICE_UNKNOWN, 'phy0-ap0'))
    })
  })
}

describe('Wi-Fi on OpenWrt: broken tools and caching', () => {
  it('behavior: answers are cached briefly, so polling spawns no new ubus', async () => {
    const { wifi, calls } = wifiOn()
    await wifi.stations()
    const n = calls().length
    await wifi.radios()
    await wifi.stations()
    assert.equal(calls().length, n)
    assert.equal(calls().filter(c => c.startsWith('ubus.iwinfo.devices')).length, 1)
  })
  it('behavior: scan without a device scans one interface per radio', async () => {
    const { wifi, calls } = wifiOn({ 'ubus/iwinfo.scan.phy0-ap0.json': '{"results": []}' })
    assert.equal((await wifi.scan()).length, 3)
    assert.deepEqual(calls().filter(c => c.startsWith('ubus.iwinfo.scan')).length, 2)
  })
  it('error: ubus garbage, huge output, failure and a hang', async () => {
    await assert.rejects(wifiOn({}, 'ubus.iwinfo.devices=garbage').wifi.radios(), code(ErrorCode.SYSTEM_OUTPUT_INVALID, 'not JSON'))
    await assert.rejects(wifiOn({}, 'ubus.iwinfo.assoclist=huge').wifi.stations(), code(ErrorCode.SYSTEM_OUTPUT_INVALID, 'more than'))
    await assert.rejects(wifiOn({}, 'ubus.iwinfo.info=fail').wifi.radios(), code(ErrorCode.SYSTEM_COMMAND_FAILED, 'exit 1'))
    const started = Date.now()
    await assert.rejects(wifiOn({}, 'ubus.iwinfo.scan=hang', 400).wifi.scan('phy1-ap0'), code(ErrorCode.SYSTEM_COMMAND_TIMEOUT, '400 ms'))
    assert.ok(Date.now() - started < 3_000)
  })
  it('error: iwinfo CLI garbage and a hang', async () => {
    await assert.rejects(wifiOn(NO_RPCD_IWINFO, 'iwinfo=garbage').wifi.radios(), code(ErrorCode.SYSTEM_OUTPUT_INVALID, 'layout'))
    const { wifi } = wifiOn(NO_RPCD_IWINFO, 'iwinfo.assoclist=hang', 400)
    await assert.rejects(wifi.stations(), code(ErrorCode.SYSTEM_COMMAND_TIMEOUT))
  })
})

describe('Wi-Fi text and JSON parsers', () => {
  it('behavior: the iwinfo texts', async () => {
    const dir = join(GL_MT6000, 'iwinfo')
    assert.equal(radiosFromText(await readFile(join(dir, 'all.txt'), 'utf8')).length, 3)
    assert.deepEqual(networksFromText('x', 'No scan results\n\n'), [])
    assert.deepEqual(stationsFromText('x', 'No station connected\n'), [])
    assert.throws(() => stationsFromText('x', 'No information available\n'), code(ErrorCode.SYSTEM_OUTPUT_INVALID))
    assert.deepEqual(radiosFromText(''), [])
  })
  it('behavior: encryption in iwinfo words', () => {
    assert.equal(encryptionText({ enabled: true, wpa: [2, 3], authentication: ['psk', 'sae'], ciphers: ['ccmp'] }), 'WPA2/WPA3 PSK/SAE (CCMP)')
    assert.equal(encryptionText({ enabled: false }), 'none')
    assert.equal(encryptionText('x'), null)
  })
})

describe('Wi-Fi backend choice', () => {
  it('default: OpenWrt, then NetworkManager, else unavailable with a reason', () => {
    assert.deepEqual(chooseWifiBackend({ openwrt: true, nmcliOnPath: true }), { kind: 'openwrt' })
    assert.deepEqual(chooseWifiBackend({ openwrt: false, nmcliOnPath: true }), { kind: 'networkmanager' })
    assert.equal(chooseWifiBackend({ openwrt: false, nmcliOnPath: false }).kind, 'unavailable')
  })
  it('behavior: the unavailable adapter answers empty lists and refuses a scan', async () => {
    const w = createUnavailableWifi('no radios here')
    assert.deepEqual(await w.radios(), [])
    assert.deepEqual(await w.stations(), [])
    await assert.rejects(w.scan(), code(ErrorCode.WIFI_UNAVAILABLE, 'no radios here'))
  })
  it('error: node-wifi without nmcli fails with a named error, not a crash', async () => {
    const w = createNetworkManagerWifi({ callTimeoutMs: 2_000 })
    const saved = process.env.PATH
    process.env.PATH = tempDir('no-nmcli')
    try {
      await assert.rejects(w.radios(), code(ErrorCode.SYSTEM_COMMAND_FAILED, 'nmcli'))
    } finally {
      process.env.PATH = saved
    }
    assert.deepEqual(await w.stations(), [])
    assert.equal(w.backend(), 'networkmanager')
  })
})
