import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { access } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { tempDir } from '../helpers/tmp.js'
import { it } from 'node:test'
import { BUNDLE } from '../helpers/agent-process.js'

const run = promisify(execFile)
const NODE22 = fileURLToPath(new URL('../../.cache/node-22.23.3/bin/node', import.meta.url))

// The bundle targets Node 20 (OpenWrt 24.10) and must also run on Node 22+ (OpenWrt 25.12 feeds),
// where the polyfill is a no-op. `make test` fetches Node 22 from the npm registry.
it('behavior: the bundle passes selftest on Node 22', async (t) => {
  try {
    await access(NODE22)
  } catch {
    t.skip(`Node 22 not found at ${NODE22}; run \`make node22\` (needs the npm registry)`)
    return
  }
  const { stdout: version } = await run(NODE22, ['--version'])
  assert.match(version, /^v22\./)
  // selftest binds loopback only and turns mDNS off, so it is safe outside a namespace.
  const dataDir = join(tempDir('node22'), 'data')
  const { stdout } = await run(NODE22, [BUNDLE, 'selftest', '--data-dir', dataDir], { timeout: 30_000 })
  assert.match(stdout, /selftest passed/)
  const again = await run(NODE22, [BUNDLE, 'selftest', '--data-dir', dataDir], { timeout: 30_000 })
  assert.match(again.stdout, /ok +store and identity/)
})
