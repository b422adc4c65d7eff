import assert from 'node:assert/strict'
import { chmod, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir } from '../helpers/tmp.js'
import { describe, it } from 'node:test'
import { AgentError, ErrorCode } from '../../agent/errors.js'
import { silentLogger } from '../../agent/log/logger.js'
import { IDENTITY_FILE, loadOrCreateIdentity } from '../../agent/mesh/identity.js'

describe('identity', () => {
  it('behavior: created once, same peer id after reload, readable by the owner only', async () => {
    const dir = join(tempDir('id'), 'data')
    const first = await loadOrCreateIdentity(dir, silentLogger)
    assert.equal(first.created, true)
    assert.equal(first.privateKey.type, 'Ed25519')
    const second = await loadOrCreateIdentity(dir, silentLogger)
    assert.equal(second.created, false)
    assert.equal(second.peerId.toString(), first.peerId.toString())
    assert.equal((await stat(join(dir, IDENTITY_FILE))).mode & 0o777, 0o600)
    assert.equal((await stat(dir)).mode & 0o777, 0o700)
  })

  it('behavior: permissions that are too open are fixed', async () => {
    const dir = tempDir('id')
    const { peerId } = await loadOrCreateIdentity(dir, silentLogger)
    await chmod(join(dir, IDENTITY_FILE), 0o644)
    const again = await loadOrCreateIdentity(dir, silentLogger)
    assert.equal(again.peerId.toString(), peerId.toString())
    assert.equal((await stat(join(dir, IDENTITY_FILE))).mode & 0o777, 0o600)
  })

  it('error: a damaged key is reported and never overwritten', async () => {
    const dir = tempDir('id')
    const path = join(dir, IDENTITY_FILE)
    await writeFile(path, 'not a key', { mode: 0o600 })
    await assert.rejects(loadOrCreateIdentity(dir, silentLogger), (err: unknown) => {
      assert.ok(err instanceof AgentError)
      assert.equal(err.code, ErrorCode.IDENTITY_INVALID)
      assert.match(err.message, /damaged/)
      return true
    })
    assert.equal(await readFile(path, 'utf8'), 'not a key')
  })

  it('error: an oversized key file is refused', async () => {
    const dir = tempDir('id')
    await writeFile(join(dir, IDENTITY_FILE), Buffer.alloc(10_000), { mode: 0o600 })
    await assert.rejects(loadOrCreateIdentity(dir, silentLogger), /larger than any key/)
  })
})
