import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseCli } from '../../agent/cli/args.js'
import { apiBase, formatInbox, formatNeighbours, formatSent, formatServices, formatTable } from '../../agent/cli/client.js'
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
})
