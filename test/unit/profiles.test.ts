import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import { listProfiles, loadProfile, parseProfile } from '../../agent/config/profile.js'
import { PROFILES } from '../../agent/config/profiles-index.js'
import { AgentError, ErrorCode } from '../../agent/errors.js'

const dir = new URL('../../hardware-profiles/', import.meta.url)

describe('hardware profiles', () => {
  it('default: every profile file is valid, embedded, and named after its id', async () => {
    const files = (await readdir(dir)).filter(f => f.endsWith('.json') && f !== 'schema.json')
    assert.ok(files.length >= 2)
    for (const f of files) {
      const raw = JSON.parse(await readFile(new URL(f, dir), 'utf8')) as { id: string }
      assert.equal(`${raw.id}.json`, f)
      assert.deepEqual(parseProfile(raw), loadProfile(raw.id), `${f} is embedded in profiles-index.ts`)
    }
    assert.equal(listProfiles().length, files.length)
  })

  it('behavior: schema.json and the validator require the same keys', async () => {
    const schema = JSON.parse(await readFile(new URL('schema.json', dir), 'utf8')) as { required: string[], properties: Record<string, unknown> }
    const sample = PROFILES['x86-64-lab'] as Record<string, unknown>
    for (const key of schema.required) {
      const broken = { ...sample }
      delete broken[key]
      assert.throws(() => parseProfile(broken), AgentError, `removing required "${key}" must be rejected`)
    }
    assert.throws(() => parseProfile({ ...sample, extra: 1 }), /unknown key "extra"/)
    for (const key of Object.keys(sample)) assert.ok(key in schema.properties, `${key} is described in schema.json`)
  })

  it('error: bad values are named', () => {
    const sample = PROFILES['gl-mt6000'] as Record<string, unknown>
    assert.throws(() => parseProfile({ ...sample, status: 'maybe' }), /status/)
    assert.throws(() => parseProfile({ ...sample, id: 'Bad Id' }), /id/)
    assert.throws(() => parseProfile({ ...sample, ramBytes: -1 }), /ramBytes/)
    assert.throws(() => parseProfile({ ...sample, storage: { flash: 'nor', overlayFs: 'fat' } }), /overlayFs/)
    assert.throws(() => parseProfile({ ...sample, relay: { maxReservations: 0, dataLimitBytes: 0, durationLimitMs: 0 } }), /relay.maxReservations/)
    assert.throws(() => parseProfile('x'), (err: unknown) => err instanceof AgentError && err.code === ErrorCode.PROFILE_INVALID)
  })
})
