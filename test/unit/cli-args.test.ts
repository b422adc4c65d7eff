import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseCli } from '../../agent/cli/args.js'
import { apiBase, formatNeighbours, formatTable } from '../../agent/cli/client.js'
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
