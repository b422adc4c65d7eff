/**
 * The shipped entry (agent/boot.ts) runs the agent through V8's code cache. A cache is an
 * optimisation only: these tests run the real bundle as separate processes and check that it is
 * written where and how it should be, used, refused when the directory is not ours alone, and
 * that a damaged one never stops the agent.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { chmod, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { after, describe, it } from 'node:test'
import { BUNDLE } from '../helpers/agent-process.js'

const run = promisify(execFile)
const dirs: string[] = []
after(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }) })

const tmp = async (name: string): Promise<string> => {
  const d = await mkdtemp(join(tmpdir(), `mbx-cc-${name}-`))
  dirs.push(d)
  return d
}

/** `meshbox selftest` with the cache in `cacheDir`; its stdout. The cache is written at exit. */
async function selftest (cacheDir: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { stdout } = await run(process.execPath, [BUNDLE, 'selftest', '--data-dir', await tmp('data')], {
    env: { ...process.env, MESHBOX_CODE_CACHE_DIR: cacheDir, ...env },
    timeout: 60_000
  })
  return stdout
}

describe('code cache of the shipped bundle', () => {
  it('default: the first run writes one private entry, the next runs use it unchanged', async () => {
    const cache = join(await tmp('cache'), 'cc')
    assert.match(await selftest(cache), /selftest passed/)
    const files = await readdir(cache)
    assert.equal(files.length, 1, `one entry, got ${files.join(', ')}`)
    assert.match(files[0] ?? '', /^meshbox-[0-9a-f]{24}-cli\.v8$/)
    const entry = join(cache, files[0] ?? '')
    const first = await stat(entry)
    assert.equal(first.mode & 0o777, 0o600, 'entry is private')
    assert.equal((await stat(cache)).mode & 0o777, 0o700, 'directory is private')
    assert.ok(first.size > 100_000, `a real cache, ${first.size} bytes`)
    assert.match(await selftest(cache), /selftest passed/)
    assert.equal((await stat(entry)).mtimeMs, first.mtimeMs, 'an accepted cache is not rewritten')
  })

  it('error: a damaged entry is refused by V8, the agent runs, and the entry is rewritten', async () => {
    const cache = join(await tmp('cache'), 'cc')
    await selftest(cache)
    const [name] = await readdir(cache)
    const entry = join(cache, name ?? '')
    await writeFile(entry, Buffer.alloc(4096, 0x5a), { mode: 0o600 })
    assert.match(await selftest(cache), /selftest passed/)
    assert.ok((await stat(entry)).size > 100_000, 'rewritten with real code')
  })

  it('error: a directory others can write to is not used', async () => {
    const cache = await tmp('open')
    await chmod(cache, 0o777)
    assert.match(await selftest(cache), /selftest passed/)
    assert.deepEqual(await readdir(cache), [], 'nothing written to a world-writable directory')
  })

  it('args: MESHBOX_CODE_CACHE=off writes nothing', async () => {
    const cache = join(await tmp('cache'), 'cc')
    assert.match(await selftest(cache, { MESHBOX_CODE_CACHE: 'off' }), /selftest passed/)
    await assert.rejects(readdir(cache), /ENOENT/, 'not even the directory')
  })
})
