import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseCli } from '../../agent/cli/args.js'
import { apiBase, formatInbox, formatNeighbours, formatSent, formatServices, formatTable } from '../../agent/cli/client.js'
import { formatProfile, formatScan, formatSystem, formatWifi } from '../../agent/cli/format-device.js'
import { DEFAULTS } from '../../agent/config/schema.js'
import { AgentError, ErrorCode } from '../../agent/errors.js'

const fails = (argv: string[], code: ErrorCode, pattern: RegExp) => {
  assert.throws(() => parseCli(argv), (err: unknown) => err instanceof AgentError && err.code === code && pattern.test(err.message))
}

describe('CLI arguments', () => {
  it('default: no command means help', () => {
    assert.equal(parseCli([]).command, 'help')
    assert.equal(parseCli(['start', '-h']).command, 'help')
  })

  it('args: flags map to config keys; --listen repeats', () => {
    const a = parseCli(['start', '--data-dir', '/tmp/x', '--http-port', '9000', '--listen', '/ip4/127.0.0.1/tcp/0', '--listen', '/p2p-circuit', '--log-level', 'debug', '--config', 'c.json'])
    assert.equal(a.command, 'start')
    assert.equal(a.configFile, 'c.json')
    assert.deepEqual(Object.fromEntries(a.flags), { dataDir: '/tmp/x', 'http.port': 9000, 'mesh.listen': ['/ip4/127.0.0.1/tcp/0', '/p2p-circuit'], 'log.level': 'debug' })
  })

  it('args: commands with a peer id', () => {
    assert.deepEqual(parseCli(['ping', 'Qm']).positionals, ['Qm'])
    assert.equal(parseCli(['throughput', 'Qm', '--bytes', '1000']).bytes, 1000)
  })

  it('error: usage problems', () => {
    fails(['start', '--bogus'], ErrorCode.USAGE, /bogus/)
    fails(['launch'], ErrorCode.USAGE, /unknown command "launch"/)
    fails(['ping'], ErrorCode.USAGE, /exactly one peer id/)
    fails(['status', 'extra'], ErrorCode.USAGE, /unexpected argument/)
    fails(['throughput', 'Qm', '--bytes', '-5'], ErrorCode.USAGE, /--bytes/)
    fails(['status', '--bytes', '5'], ErrorCode.USAGE, /goes with throughput/)
    fails(['start', '--http-port'], ErrorCode.USAGE, /argument missing|http-port/)
  })

  it('error: bad flag values are configuration errors naming the flag', () => {
    fails(['start', '--http-port', '99999'], ErrorCode.CONFIG_INVALID, /flag --http-port.*http\.port.*99999/)
    fails(['start', '--log-level', 'loud'], ErrorCode.CONFIG_INVALID, /log\.level/)
    fails(['start', '--listen', 'nonsense'], ErrorCode.CONFIG_INVALID, /not a multiaddr/)
  })

  it('behavior: the client reaches a wildcard-bound agent on loopback', () => {
    assert.equal(apiBase({ ...DEFAULTS, http: { ...DEFAULTS.http, host: '0.0.0.0', port: 81 } }), 'http://127.0.0.1:81')
    assert.equal(apiBase({ ...DEFAULTS, http: { ...DEFAULTS.http, host: '::', port: 81 } }), 'http://[::1]:81')
  })

  it('behavior: tables line up', () => {
    assert.equal(formatTable([{ a: 'xx', b: null }], ['a', 'b']), 'a   b\nxx  -')
    assert.equal(formatNeighbours([]), 'no neighbours')
  })
})

describe('CLI: services', () => {
  it('args: send takes a peer id and a text, with --wait-ms, --ttl-ms and --protocol', () => {
    const a = parseCli(['send', 'QmPeer', 'hello there', '--wait-ms', '0', '--ttl-ms', '60000', '--protocol', '/test/1'])
    assert.deepEqual(a.positionals, ['QmPeer', 'hello there'])
    assert.equal(a.waitMs, 0)
    assert.equal(a.ttlMs, 60000)
    assert.equal(a.protocol, '/test/1')
    assert.deepEqual(parseCli(['messages']).positionals, [])
    assert.deepEqual(parseCli(['messages', 'abc']).positionals, ['abc'])
    fails(['send', 'QmPeer'], ErrorCode.USAGE, /peer id and the text/)
    fails(['send', 'QmPeer', 'a', 'b'], ErrorCode.USAGE, /peer id and the text/)
    fails(['send', 'QmPeer', 'a', '--wait-ms', 'soon'], ErrorCode.USAGE, /--wait-ms must be a whole number/)
    fails(['send', 'QmPeer', 'a', '--ttl-ms=-1'], ErrorCode.USAGE, /--ttl-ms must be a whole number/)
    fails(['status', '--wait-ms', '5'], ErrorCode.USAGE, /--wait-ms goes with send/)
    fails(['inbox', '--protocol', '/x/1'], ErrorCode.USAGE, /--protocol goes with send/)
    fails(['messages', 'a', 'b'], ErrorCode.USAGE, /at most one message id/)
    fails(['inbox', 'x'], ErrorCode.USAGE, /unexpected argument/)
  })

  it('behavior: send and inbox print what happened and what arrived', () => {
    assert.equal(formatSent({ id: 'ab', dst: 'QmD', status: 'delivered', rttMs: 12.5 }), 'message ab to QmD: delivered in 12.5 ms')
    assert.match(formatSent({ id: 'ab', dst: 'QmD', status: 'queued' }), /^message ab to QmD: queued: not acknowledged yet; .*meshbox messages ab/)
    assert.equal(formatInbox([]), 'inbox empty')
    const out = formatInbox([
      { receivedAtMs: 0, src: 'QmS', protocol: '/meshbox/note/1', hops: 5, text: 'hi', bytes: 2 },
      { receivedAtMs: 0, src: 'QmS', protocol: '/bin/1', hops: 1, text: null, bytes: 300 }
    ])
    const lines = out.split('\n').map(l => l.split(/\s{2,}/))
    assert.deepEqual(lines[0], ['received', 'src', 'protocol', 'hops', 'content'])
    assert.deepEqual(lines[1], ['1970-01-01T00:00:00.000Z', 'QmS', '/meshbox/note/1', '5', '"hi"'])
    assert.deepEqual(lines[2], ['1970-01-01T00:00:00.000Z', 'QmS', '/bin/1', '1', '300 bytes'])
  })

  it('args: services takes an optional role', () => {
    assert.deepEqual(parseCli(['services']).positionals, [])
    assert.deepEqual(parseCli(['services', 'uplink-gateway', '--json']).positionals, ['uplink-gateway'])
    fails(['services', 'a', 'b'], ErrorCode.USAGE, /at most one role/)
  })

  it('behavior: the directory prints one line per provider, the nearest marked', () => {
    assert.equal(formatServices([]), 'no roles announced')
    const out = formatServices([{
      role: 'uplink-gateway',
      nearest: { peerId: 'B' },
      providers: [
        { peerId: 'B', self: false, reachable: true, metric: 256, hops: 1, expiresInMs: 80_000 },
        { peerId: 'A', self: true, reachable: true, metric: 0, hops: 0, expiresInMs: null },
        { peerId: 'C', self: false, reachable: false, metric: null, hops: null, expiresInMs: 1_400 }
      ]
    }])
    assert.deepEqual(out.split('\n').map(l => l.split(/\s{2,}/)), [
      ['role', 'nearest', 'provider', 'metric', 'hops', 'expiresIn'],
      ['uplink-gateway', '*', 'B', '256', '1', '80s'],
      ['uplink-gateway', 'A (this box)', '0', '0', '-'],
      ['uplink-gateway', 'C', 'no route', '-', '1s']
    ])
  })
  it('args: wifi, wifi scan [device], system, profile and --allow-unsupported', () => {
    assert.deepEqual(parseCli(['wifi']).positionals, [])
    assert.deepEqual(parseCli(['wifi', 'scan', 'phy1-ap0']).positionals, ['scan', 'phy1-ap0'])
    fails(['wifi', 'radios'], ErrorCode.USAGE, /scan/)
    fails(['wifi', 'scan', 'a', 'b'], ErrorCode.USAGE, /scan/)
    assert.equal(parseCli(['system', '--json']).json, true)
    assert.equal(parseCli(['profile']).command, 'profile')
    fails(['profile', 'extra'], ErrorCode.USAGE, /unexpected argument/)
    assert.equal(parseCli(['start', '--allow-unsupported']).flags.get('allowUnsupported'), true)
    assert.equal(parseCli(['start']).flags.has('allowUnsupported'), false)
    assert.equal(parseCli(['start', '--profile', 'auto']).flags.get('profile'), 'auto')
    fails(['start', '--profile', 'Bad Board'], ErrorCode.CONFIG_INVALID, /profile/)
  })

  it('behavior: system, wifi, scan and profile in human form', () => {
    const sys = formatSystem({
      hostname: 'OpenWrt', uptimeS: 7200, ageMs: 120, collectMs: 25,
      cpu: { model: 'ARMv8', cores: 4, loadAvg: [0.1, 0.2, 0.3] },
      memory: { totalBytes: 1024 * 1048576, availableBytes: 700 * 1048576, agentRssBytes: 80 * 1048576 },
      temperatures: [{ zone: 'thermal_zone0', type: 'cpu-thermal', celsius: 52.3 }],
      disk: { path: '/srv/meshbox', mountPoint: '/overlay', fsType: 'f2fs', totalBytes: 7 * 1073741824, availableBytes: 6 * 1073741824 },
      interfaces: [{ name: 'br-lan', operstate: 'up', mtu: 1500, rxBytes: 1048576, txBytes: 0, rxErrors: 0, txErrors: 0, addresses: ['192.168.1.1/24'] }]
    })
    assert.match(sys, /cpu: ARMv8, 4 cores, load 0.1 0.2 0.3/)
    assert.match(sys, /cpu-thermal 52.3 °C/)
    assert.match(sys, /data dir: \/srv\/meshbox on f2fs \(\/overlay\), 6.0 GiB free of 7.0 GiB/)
    assert.match(sys, /br-lan\s+up\s+1500\s+1 MiB/)
    assert.match(formatSystem({ hostname: 'x', uptimeS: 1, ageMs: 0, collectMs: 1, cpu: { model: 'm', cores: 1, loadAvg: [0, 0, 0] }, memory: {}, temperatures: [], disk: { path: '/x', error: 'ENOENT' }, interfaces: [] }), /unreadable \(ENOENT\)/)
    const wifi = formatWifi({ backend: 'openwrt-ubus', note: null, radios: [{ device: 'phy0-ap0', mode: 'Master' }], stations: [{ device: 'phy0-ap0', mac: 'AA:BB:CC:DD:EE:FF', signalDbm: -50 }] })
    assert.match(wifi, /backend: openwrt-ubus\n/)
    assert.match(wifi, /phones \(1\):/)
    assert.match(formatWifi({ backend: 'unavailable', note: 'no nmcli', radios: [], stations: [] }), /backend: unavailable \(no nmcli\)\nradios: none\nphones: none connected/)
    assert.equal(formatScan({ networks: [] }), 'no networks found')
    assert.match(formatScan({ networks: [{ device: 'phy1-ap0', ssid: null, bssid: 'AA:BB:CC:00:11:23' }] }), /\(hidden\)/)
    assert.match(formatProfile({ id: 'generic', name: 'Unrecognised board', status: 'unverified', statusReason: 'no profile', chosenBy: 'unknown-board', boardName: 'acme,x', maxRssBytes: 128 * 1048576, maxOldSpaceMb: 96, dataDir: '/srv/meshbox', arch: 'unknown', openwrtTarget: 'unknown' }),
      /chosen: unknown-board \(board_name acme,x\)[\s\S]*--max-old-space-size=96/)
  })
})
