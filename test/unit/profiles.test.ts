import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import { listProfiles, loadProfile, parseProfile } from '../../agent/config/profile.js'
import { PROFILES } from '../../agent/config/profiles-index.js'
import { AgentError, ErrorCode } from '../../agent/errors.js'
import { validateJsonSchema } from '../helpers/json-schema.js'

const dir = new URL('../../hardware-profiles/', import.meta.url)
const schema = JSON.parse(await readFile(new URL('schema.json', dir), 'utf8')) as Record<string, unknown> & { required: string[], properties: Record<string, unknown> }
const files = (await readdir(dir)).filter(f => f.endsWith('.json') && f !== 'schema.json')
const raw = async (f: string): Promise<Record<string, unknown>> => JSON.parse(await readFile(new URL(f, dir), 'utf8')) as Record<string, unknown>
const REQUIRED_BOARDS = ['gl-mt6000', 'e8450', 'rpi4', 'nanopi-r4s', 'bpi-r3', 'bpi-r4', 'x86-64-lab', 'ipq40xx', 'meshbox-maxwell', 'generic']

describe('hardware profiles', () => {
  it('default: every profile file is valid, embedded, and named after its id', async () => {
    assert.ok(files.length >= 2)
    for (const f of files) {
      const p = await raw(f)
      assert.equal(`${String(p.id)}.json`, f)
      assert.deepEqual(parseProfile(p), loadProfile(String(p.id)), `${f} is embedded in profiles-index.ts`)
    }
    assert.equal(listProfiles().length, files.length)
    for (const id of REQUIRED_BOARDS) assert.ok(files.includes(`${id}.json`), `profile ${id} exists`)
  })

  it('default: every profile validates against schema.json', async () => {
    for (const f of files) assert.deepEqual(validateJsonSchema(schema, await raw(f)), [], f)
  })

  it('behavior: the statuses the boards need', () => {
    assert.equal(loadProfile('ipq40xx').status, 'unsupported')
    assert.match(loadProfile('ipq40xx').statusReason ?? '', /RAM/)
    assert.equal(loadProfile('meshbox-maxwell').status, 'unverified')
    assert.equal(loadProfile('gl-mt6000').status, 'supported')
    for (const p of listProfiles()) {
      if (p.storage.overlayFs === 'jffs2') assert.ok(p.storage.dataDir?.startsWith('/tmp/') === true && p.storage.volatile === true, `${p.id}: store never on JFFS2`)
      assert.ok(p.memory.maxOldSpaceMb * 1024 * 1024 < p.memory.maxRssBytes, `${p.id}: V8 heap fits in the RSS budget`)
      if (p.ramBytes > 0) assert.ok(p.memory.maxRssBytes <= p.ramBytes / 2, `${p.id}: budget leaves half the RAM to the system`)
    }
  })

  it('behavior: a board name belongs to one profile only', () => {
    const seen = new Map<string, string>()
    for (const p of listProfiles()) {
      for (const b of p.boardNames) {
        assert.equal(seen.get(b), undefined, `${b} is in ${seen.get(b) ?? ''} and ${p.id}`)
        seen.set(b, p.id)
      }
    }
  })

  it('behavior: schema.json and the validator require the same keys and reject odd ones', async () => {
    const sample = PROFILES['x86-64-lab'] as Record<string, unknown>
    for (const key of schema.required) {
      const broken = { ...sample }
      delete broken[key]
      assert.throws(() => parseProfile(broken), AgentError, `removing required "${key}" must be rejected`)
      assert.notDeepEqual(validateJsonSchema(schema, broken), [], `schema.json rejects a profile without "${key}"`)
    }
    assert.throws(() => parseProfile({ ...sample, extra: 1 }), /unknown key "extra"/)
    assert.match(validateJsonSchema(schema, { ...sample, extra: 1 }).join(), /unknown property "extra"/)
    const oddStorage = { ...sample, storage: { flash: 'x', overlayFs: 'ext4', colour: 'red' } }
    assert.throws(() => parseProfile(oddStorage), /storage.colour/)
    assert.notDeepEqual(validateJsonSchema(schema, oddStorage), [])
    for (const key of Object.keys(sample)) assert.ok(key in schema.properties, `${key} is described in schema.json`)
  })

  it('error: bad values are named, by the validator and by schema.json', () => {
    const sample = PROFILES['gl-mt6000'] as Record<string, unknown>
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...sample, status: 'maybe' }, /status/],
      [{ ...sample, id: 'Bad Id' }, /id/],
      [{ ...sample, ramBytes: -1 }, /ramBytes/],
      [{ ...sample, storage: { flash: 'nor', overlayFs: 'fat' } }, /overlayFs/],
      [{ ...sample, relay: { maxReservations: 0, dataLimitBytes: 0, durationLimitMs: 0 } }, /relay.maxReservations/],
      [{ ...sample, status: 'unsupported' }, /statusReason/],
      [{ ...sample, notes: 5 }, /notes/],
      [{ ...sample, storage: { flash: 'x', overlayFs: 'ext4', volatile: 'yes' } }, /volatile/]
    ]
    for (const [p, re] of bad) {
      assert.throws(() => parseProfile(p), re)
      assert.notDeepEqual(validateJsonSchema(schema, p), [], `schema.json rejects ${re.source}`)
    }
    assert.throws(() => parseProfile({ ...sample, storage: { flash: 'nor', overlayFs: 'jffs2', dataDir: '/srv/meshbox' } }), /JFFS2/)
    assert.throws(() => parseProfile('x'), (err: unknown) => err instanceof AgentError && err.code === ErrorCode.PROFILE_INVALID)
  })
})
