import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { loadConfig } from '../../agent/config/load.js'
import { PATH_BY_UCI_NAME, uciNameOf } from '../../agent/config/uci-names.js'
import { uciLayer } from '../../agent/config/uci-layer.js'
import { parseUciShow, splitUciValues } from '../../agent/config/uci-parse.js'
import { AgentError, ErrorCode } from '../../agent/errors.js'
import { readUciText } from '../../agent/system/uci.js'
import { fakeFixtures, fakeRunner } from '../helpers/fake-openwrt.js'
import { tempDir } from '../helpers/tmp.js'

const layerOf = (text: string): Map<string, unknown> => uciLayer(parseUciShow(text))
const show = (lines: string[]): string => lines.join('\n') + '\n'

function throwsCode (fn: () => unknown, code: string, ...fragments: string[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof AgentError, `expected AgentError, got ${String(err)}`)
    assert.equal(err.code, code, err.message)
    for (const f of fragments) assert.ok(err.message.includes(f) || err.hints.some(h => h.includes(f)), `"${err.message}" lacks "${f}"`)
    return true
  })
}

const openwrtWith = (text: string | undefined) => ({ uciText: async () => text, boardName: async () => 'glinet,gl-mt6000' })

describe('UCI parsing', () => {
  it('default: sections, options and lists as uci show prints them', () => {
    const pkg = parseUciShow(show(["meshbox.main=agent", "meshbox.main.data_dir='/srv/meshbox'", "meshbox.mesh=mesh", "meshbox.mesh.listen='/ip4/0.0.0.0/tcp/4001' '/p2p-circuit'"]))
    assert.equal(pkg.get('main')?.type, 'agent')
    assert.deepEqual(pkg.get('main')?.options.get('data_dir'), ['/srv/meshbox'])
    assert.deepEqual(pkg.get('mesh')?.options.get('listen'), ['/ip4/0.0.0.0/tcp/4001', '/p2p-circuit'])
  })
  it('behavior: quotes inside values and empty values', () => {
    assert.deepEqual(splitUciValues("'it'\\''s' 'a b'"), ["it's", 'a b'])
    assert.deepEqual(splitUciValues("''"), [''])
    assert.equal(splitUciValues('bare'), undefined)
    assert.equal(splitUciValues("'open"), undefined)
  })
  it('error: garbage lines name the line', () => {
    throwsCode(() => parseUciShow('meshbox.main=agent\n\u0000\u00ffgarbage\n'), ErrorCode.CONFIG_UCI_FAILED, 'line 2')
    throwsCode(() => parseUciShow('network.lan=interface\n'), ErrorCode.CONFIG_UCI_FAILED, 'line 1')
    throwsCode(() => parseUciShow("meshbox.http.port=8080\n"), ErrorCode.CONFIG_UCI_FAILED, 'single-quoted')
  })
})

describe('UCI mapping onto the schema', () => {
  it('default: every kind of option', () => {
    const layer = layerOf(show([
      "meshbox.main=agent", "meshbox.main.enabled='1'", "meshbox.main.max_old_space_mb='96'", "meshbox.main.log_level='debug'",
      "meshbox.main.profile='gl-mt6000'", "meshbox.main.allow_unsupported='yes'",
      "meshbox.http=http", "meshbox.http.host='192.168.1.1'", "meshbox.http.port='9090'",
      "meshbox.mesh=mesh", "meshbox.mesh.listen='/ip4/0.0.0.0/tcp/4001' '/p2p-circuit'", "meshbox.mesh.routing_hysteresis='0.25'",
      "meshbox.mesh.relay_server='off'", "meshbox.mesh.discovery_interfaces='br-lan'", "meshbox.mesh.announce=''", "meshbox.mesh.dial_timeout_ms=''",
      "meshbox.chain=chain", "meshbox.chain.chief100_block='-1'", "meshbox.chain.checkpoint_hash=''",
      "meshbox.services=services", "meshbox.services.roles='uplink-gateway' 'monitor'"
    ]))
    assert.deepEqual(Object.fromEntries(layer), {
      'log.level': 'debug',
      profile: 'gl-mt6000',
      allowUnsupported: true,
      'http.host': '192.168.1.1',
      'http.port': 9090,
      'mesh.listen': ['/ip4/0.0.0.0/tcp/4001', '/p2p-circuit'],
      'mesh.routing.hysteresis': 0.25,
      'mesh.relay.server': false,
      'mesh.discovery.interfaces': ['br-lan'],
      'mesh.announce': [],
      'chain.chief100Block': -1,
      'chain.checkpoint.hash': '',
      'services.roles': ['uplink-gateway', 'monitor']
    }, 'init-script options are skipped, empty numbers are unset, one option makes a one-entry list')
  })
  it('behavior: every boolean spelling config_get_bool knows', () => {
    for (const [v, want] of [['1', true], ['true', true], ['yes', true], ['on', true], ['enabled', true], ['0', false], ['false', false], ['no', false], ['off', false], ['disabled', false]] as const) {
      assert.equal(layerOf(show(['meshbox.chain=chain', `meshbox.chain.enabled='${v}'`])).get('chain.enabled'), want, v)
    }
  })
  it('behavior: option names are derived from the schema keys', () => {
    assert.deepEqual(uciNameOf('mesh.relay.maxReservations'), { section: 'mesh', type: 'mesh', option: 'relay_max_reservations' })
    assert.deepEqual(uciNameOf('dataDir'), { section: 'main', type: 'agent', option: 'data_dir' })
    assert.deepEqual(uciNameOf('memory.maxRssBytes'), { section: 'main', type: 'agent', option: 'memory_max_rss_bytes' })
    assert.equal(uciNameOf('version'), undefined)
    assert.equal(new Set(PATH_BY_UCI_NAME.keys()).size, PATH_BY_UCI_NAME.size)
  })
  it('behavior: openwrt/UCI.md documents every option', async () => {
    const doc = await readFile(new URL('../../openwrt/UCI.md', import.meta.url), 'utf8')
    for (const name of PATH_BY_UCI_NAME.keys()) {
      const [section, option] = name.split('.')
      assert.ok(doc.includes(`| \`${option ?? ''}\` |`), `UCI.md lists ${name}`)
      assert.ok(doc.includes(`'${section ?? ''}'\``), `UCI.md has section ${section ?? ''}`)
    }
  })
})

describe('UCI rejections name the option', () => {
  const cases: Array<[string, string, string[]]> = [
    ["meshbox.http.port='eighty'", 'http', ['uci option meshbox.http.port', '"http.port"', '"eighty"', 'integer from 0 to 65535']],
    ["meshbox.http.port='70000'", 'http', ['meshbox.http.port', '70000']],
    ["meshbox.http.port='8080' '8081'", 'http', ['meshbox.http.port', 'use "option", not "list"']],
    ["meshbox.mesh.relay_server='maybe'", 'mesh', ['meshbox.mesh.relay_server', '1 or 0']],
    ["meshbox.mesh.routing_hysteresis='1.5'", 'mesh', ['meshbox.mesh.routing_hysteresis', 'number from 0 to 1']],
    ["meshbox.mesh.dial_timeout_ms='5e3'", 'mesh', ['meshbox.mesh.dial_timeout_ms', '"5e3"']],
    ["meshbox.mesh.dial_timeout_ms='1.5'", 'mesh', ['meshbox.mesh.dial_timeout_ms']],
    ["meshbox.mesh.listen='tcp://0.0.0.0:4001'", 'mesh', ['meshbox.mesh.listen', 'not a multiaddr']],
    ["meshbox.chain.preset='moon'", 'chain', ['meshbox.chain.preset', 'mainnet']],
    ["meshbox.services.roles='Not A Role'", 'services', ['meshbox.services.roles']],
    ["meshbox.main.log_level='loud'", 'main', ['meshbox.main.log_level', 'one of debug']]
  ]
  for (const [line, section, fragments] of cases) {
    it(`error: ${line}`, () => {
      const type = section === 'main' ? 'agent' : section
      throwsCode(() => layerOf(show([`meshbox.${section}=${type}`, line])), ErrorCode.CONFIG_INVALID, ...fragments)
    })
  }
  it('error: unknown option, with near names', () => {
    throwsCode(() => layerOf(show(['meshbox.http=http', "meshbox.http.prot='1'"])), ErrorCode.CONFIG_INVALID, 'unknown option meshbox.http.prot')
    throwsCode(() => layerOf(show(['meshbox.mesh=mesh', "meshbox.mesh.relay_max_reservation='1'"])), ErrorCode.CONFIG_INVALID, 'meshbox.mesh.relay_max_reservations')
  })
  it('error: unknown, anonymous and mistyped sections', () => {
    throwsCode(() => layerOf(show(['meshbox.extra=extra'])), ErrorCode.CONFIG_INVALID, 'unknown section meshbox.extra')
    throwsCode(() => layerOf(show(['meshbox.@agent[0]=agent'])), ErrorCode.CONFIG_INVALID, 'named sections')
    throwsCode(() => layerOf(show(['meshbox.http=agent'])), ErrorCode.CONFIG_INVALID, 'expected "http"')
    throwsCode(() => layerOf(show(["meshbox.http.port='1'"])), ErrorCode.CONFIG_INVALID, '(none)')
  })
})

describe('UCI as a configuration layer', () => {
  it('behavior: file < UCI < environment < flags, and the profile may come from UCI', async () => {
    const file = join(tempDir('uci'), 'config.json')
    await writeFile(file, JSON.stringify({ version: 1, http: { port: 9001, host: '127.0.0.2' }, log: { level: 'warn' } }))
    const uci = show(['meshbox.main=agent', "meshbox.main.profile='e8450'", "meshbox.main.log_level='error'", 'meshbox.http=http', "meshbox.http.port='9002'"])
    const { config, profile } = await loadConfig({ configFile: file, env: { MESHBOX_LOG_LEVEL: 'debug' }, openwrt: openwrtWith(uci) })
    assert.equal(profile.id, 'e8450')
    assert.equal(config.http.host, '127.0.0.2', 'file where UCI is silent')
    assert.equal(config.http.port, 9002, 'UCI beats the file')
    assert.equal(config.log.level, 'debug', 'environment beats UCI')
    const flagged = await loadConfig({ env: {}, flags: new Map([['http.port', 9003]]), openwrt: openwrtWith(uci) })
    assert.equal(flagged.config.http.port, 9003, 'flags beat UCI')
  })
  it('behavior: no /etc/config/meshbox is no UCI layer', async () => {
    const { config } = await loadConfig({ env: {}, openwrt: openwrtWith(undefined) })
    assert.equal(config.http.port, 8080)
  })
})

describe('reading UCI through the uci CLI (fake)', () => {
  it('default: the fixture through uci show meshbox', async () => {
    const text = await readUciText({ run: fakeRunner({ fixtures: fakeFixtures() }) })
    assert.equal(layerOf(text ?? '').get('mesh.relay.maxReservations'), 48)
  })
  it('behavior: a missing /etc/config/meshbox is undefined', async () => {
    assert.equal(await readUciText({ run: fakeRunner({ fixtures: fakeFixtures({ 'uci/show-meshbox.txt': null }) }) }), undefined)
  })
  for (const [mode, fragment] of [['garbage', 'line 1'], ['fail', 'exited with 1'], ['huge', 'more than'], ['hang', 'no answer within 300 ms']] as const) {
    it(`error: uci ${mode}`, async () => {
      const started = Date.now()
      await assert.rejects(async () => {
        const text = await readUciText({ run: fakeRunner({ fixtures: fakeFixtures(), mode: `uci=${mode}` }) }, { timeoutMs: 300 })
        layerOf(text ?? '')
      }, (err: unknown) => err instanceof AgentError && err.code === ErrorCode.CONFIG_UCI_FAILED && err.message.includes(fragment))
      assert.ok(Date.now() - started < 5_000, 'bounded in time')
    })
  }
})
