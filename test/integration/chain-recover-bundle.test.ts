/**
 * Signer recovery from esbuild bundles, run with plain node as on a router: the agent's own
 * bundle (its selftest recovers a seal here and on a worker), and a bundle of the same check
 * built with the agent's esbuild options, put (a) beside a node_modules holding only
 * tiny-secp256k1 (the router layout: the bundle inlines @noble/curves) and (b) with no
 * node_modules at all. Needs no root; the first test needs dist/meshbox.mjs (`make build`).
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { cp, mkdir } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, it } from 'node:test'
import { bundle } from '../../scripts/build.js'
import { tempDir } from '../helpers/tmp.js'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const BUNDLE = join(ROOT, 'dist/meshbox.mjs')

interface CheckLine { ok: boolean, here: string, workers: string, warnings: string[] }

async function checkFrom (dir: string): Promise<CheckLine> {
  const out = join(dir, 'recover.mjs')
  await bundle({ entry: 'test/fixtures/chain/recover-bundle-entry.ts', outfile: out })
  const { stdout } = await run(process.execPath, [out], { cwd: dir, timeout: 30_000 })
  return JSON.parse(stdout) as CheckLine
}

describe('signer recovery from a bundle', { timeout: 120_000 }, () => {
  it('behavior: the agent bundle\'s selftest recovers with the native addon here and in a worker', async (t) => {
    if (!existsSync(BUNDLE)) { t.skip('dist/meshbox.mjs is not built (make build)'); return }
    const { stdout } = await run(process.execPath, [BUNDLE, 'selftest', '--data-dir', tempDir('recover-selftest')], { timeout: 30_000 })
    assert.match(stdout, /^ok\s+signer recovery \(native here, native in a worker\)$/m)
    assert.match(stdout, /selftest passed/)
  })

  it('default: beside a node_modules with only tiny-secp256k1, both threads use WASM', async () => {
    const dir = tempDir('recover-bundle')
    await mkdir(join(dir, 'node_modules'))
    for (const pkg of ['tiny-secp256k1', 'uint8array-tools']) {
      await cp(join(ROOT, 'node_modules', pkg), join(dir, 'node_modules', pkg), { recursive: true, dereference: true })
    }
    assert.deepEqual(await checkFrom(dir), { ok: true, here: 'wasm', workers: 'wasm', warnings: [] })
  })

  it('error: with no node_modules it recovers with noble in this thread and says so', async () => {
    const result = await checkFrom(tempDir('recover-bundle-bare'))
    assert.deepEqual(result, {
      ok: true,
      here: 'noble',
      workers: 'none',
      warnings: ['Signer recovery falls back to pure JS', 'Signer recovery stays in this thread']
    })
  })
})
