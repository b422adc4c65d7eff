import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir } from '../helpers/tmp.js'
import { describe, it } from 'node:test'
import { envName, FIELDS } from '../../agent/config/fields.js'
import { envLayer, loadConfig } from '../../agent/config/load.js'
import { DEFAULTS } from '../../agent/config/schema.js'
import { AgentError, ErrorCode } from '../../agent/errors.js'

async function configFile (content: unknown): Promise<string> {
  const dir = tempDir('config')
  const path = join(dir, 'config.json')
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content))
  return path
}

async function rejects (p: Promise<unknown>, code: string, ...fragments: string[]): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof AgentError, `expected AgentError, got ${String(err)}`)
    assert.equal(err.code, code)
    for (const f of fragments) assert.ok(err.message.includes(f), `message "${err.message}" lacks "${f}"`)
    return true
  })
}

describe('config layers', () => {
  it('default: embedded defaults and the x86-64-lab profile', async () => {
    const { config, profile } = await loadConfig({ env: {} })
    assert.equal(profile.id, 'x86-64-lab')
    assert.equal(config.dataDir, './.meshbox-data')
    assert.equal(config.http.host, '127.0.0.1')
    assert.equal(config.http.port, 8080)
    assert.equal(config.mesh.relay.maxReservations, 128, 'profile overrides the schema default')
  })

  it('behavior: later layers win (profile < file < env < flags)', async () => {
    const file = await configFile({ version: 1, profile: 'gl-mt6000', http: { port: 9001 }, log: { level: 'warn' }, mesh: { relay: { maxReservations: 7 } } })
    const { config, profile } = await loadConfig({
      configFile: file,
      env: { MESHBOX_HTTP_PORT: '9002', MESHBOX_LOG_LEVEL: 'debug' },
      flags: new Map([['http.port', 9003]])
    })
    assert.equal(profile.id, 'gl-mt6000')
    assert.equal(config.dataDir, '/srv/meshbox', 'from the profile')
    assert.deepEqual(config.mesh.discovery.interfaces, ['br-lan', 'phy1-mesh0'], 'profile mesh roles')
    assert.equal(config.mesh.relay.maxReservations, 7, 'file beats profile')
    assert.equal(config.log.level, 'debug', 'env beats file')
    assert.equal(config.http.port, 9003, 'flag beats env')
  })

  it('behavior: env names carry the path and unit', () => {
    assert.equal(envName('mesh.neighbours.probeTimeoutMs'), 'MESHBOX_MESH_NEIGHBOURS_PROBE_TIMEOUT_MS')
    const layer = envLayer({ MESHBOX_MESH_LISTEN: '/ip4/127.0.0.1/tcp/1, /ip4/127.0.0.1/tcp/2', MESHBOX_MESH_RELAY_SERVER: 'false' })
    assert.deepEqual(layer.get('mesh.listen'), ['/ip4/127.0.0.1/tcp/1', '/ip4/127.0.0.1/tcp/2'])
    assert.equal(layer.get('mesh.relay.server'), false)
  })

  it('behavior: every field has a default of its declared type', () => {
    for (const f of FIELDS) {
      const value = f.path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], DEFAULTS)
      const ok = f.type === 'string[]' ? Array.isArray(value) : f.type === 'int' || f.type === 'number' ? typeof value === 'number' : f.type === 'bool' ? typeof value === 'boolean' : typeof value === 'string'
      assert.ok(ok, `${f.path} default ${String(value)} is not ${f.type}`)
    }
  })
})

describe('config rejections', () => {
  it('error: unknown top-level key', async () => {
    await rejects(loadConfig({ configFile: await configFile({ version: 1, colour: 'red' }) }), ErrorCode.CONFIG_INVALID, 'unknown key "colour"')
  })
  it('error: unknown nested key', async () => {
    await rejects(loadConfig({ configFile: await configFile({ version: 1, http: { prot: 1 } }) }), ErrorCode.CONFIG_INVALID, 'unknown key "http.prot"')
  })
  it('error: wrong type names key, value and what is allowed', async () => {
    await rejects(loadConfig({ configFile: await configFile({ version: 1, http: { port: '80' } }) }), ErrorCode.CONFIG_INVALID, 'http.port', '"80"', 'integer from 0 to 65535')
  })
  it('error: out of range', async () => {
    await rejects(loadConfig({ configFile: await configFile({ version: 1, http: { port: 70000 } }) }), ErrorCode.CONFIG_INVALID, '70000')
  })
  it('error: not an integer', async () => {
    await rejects(loadConfig({ configFile: await configFile({ version: 1, mesh: { dialTimeoutMs: 1.5 } }) }), ErrorCode.CONFIG_INVALID, 'mesh.dialTimeoutMs')
  })
  it('error: value outside an enumeration', async () => {
    await rejects(loadConfig({ configFile: await configFile({ version: 1, log: { level: 'loud' } }) }), ErrorCode.CONFIG_INVALID, 'one of debug, info')
  })
  it('error: a section that is not an object', async () => {
    await rejects(loadConfig({ configFile: await configFile({ version: 1, mesh: 5 }) }), ErrorCode.CONFIG_INVALID, 'key "mesh" must be a JSON object')
  })
  it('error: bad multiaddr', async () => {
    await rejects(loadConfig({ configFile: await configFile({ version: 1, mesh: { listen: ['tcp://0.0.0.0:4001'] } }) }), ErrorCode.CONFIG_INVALID, 'not a multiaddr')
  })
  it('error: list with a non-string', async () => {
    await rejects(loadConfig({ configFile: await configFile({ version: 1, mesh: { announce: [1] } }) }), ErrorCode.CONFIG_INVALID, 'mesh.announce')
  })
  it('error: invalid JSON', async () => {
    await rejects(loadConfig({ configFile: await configFile('{"version": 1,') }), ErrorCode.CONFIG_INVALID, 'not valid JSON')
  })
  it('error: top level is not an object', async () => {
    await rejects(loadConfig({ configFile: await configFile('[1,2]') }), ErrorCode.CONFIG_INVALID, 'top level')
  })
  it('error: missing version', async () => {
    await rejects(loadConfig({ configFile: await configFile({ http: { port: 1 } }) }), ErrorCode.CONFIG_INVALID, '"version" is missing')
  })
  it('error: unsupported version', async () => {
    await rejects(loadConfig({ configFile: await configFile({ version: 2 }) }), ErrorCode.CONFIG_INVALID, 'version')
  })
  it('error: unreadable file', async () => {
    await rejects(loadConfig({ configFile: '/nonexistent/meshbox.json' }), ErrorCode.CONFIG_FILE_UNREADABLE, '/nonexistent/meshbox.json')
  })
  it('error: oversized file', async () => {
    await rejects(loadConfig({ configFile: await configFile(' '.repeat(1024 * 1024 + 1)) }), ErrorCode.CONFIG_FILE_UNREADABLE, 'larger than')
  })
  it('error: environment value names the variable', async () => {
    await rejects(loadConfig({ env: { MESHBOX_HTTP_PORT: 'eighty' } }), ErrorCode.CONFIG_INVALID, 'environment MESHBOX_HTTP_PORT', '"eighty"')
    await rejects(loadConfig({ env: { MESHBOX_HTTP_PORT: '' } }), ErrorCode.CONFIG_INVALID, 'MESHBOX_HTTP_PORT')
    await rejects(loadConfig({ env: { MESHBOX_MESH_RELAY_SERVER: 'yes' } }), ErrorCode.CONFIG_INVALID, 'true or false')
  })
  it('error: unknown profile lists the allowed ones', async () => {
    await rejects(loadConfig({ env: { MESHBOX_PROFILE: 'wrt54g' } }), ErrorCode.PROFILE_UNKNOWN, 'wrt54g', 'gl-mt6000', 'x86-64-lab')
  })
  it('error: cross-field rule (probe timeout below lost-after)', async () => {
    await rejects(loadConfig({ env: { MESHBOX_MESH_NEIGHBOURS_PROBE_TIMEOUT_MS: '9000', MESHBOX_MESH_NEIGHBOURS_LOST_AFTER_MS: '6000' } }), ErrorCode.CONFIG_INVALID, 'probeTimeoutMs')
  })
  it('error: overlong string', async () => {
    await rejects(loadConfig({ configFile: await configFile({ version: 1, dataDir: 'x'.repeat(5000) }) }), ErrorCode.CONFIG_INVALID, 'dataDir')
  })
})
