/**
 * Temporary directories for tests, removed when the test process exits (whatever the outcome),
 * so repeated runs leave nothing behind in /tmp.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const made = new Set<string>()
let hooked = false

export function tempDir (prefix: string, parent = tmpdir()): string {
  if (!hooked) {
    hooked = true
    process.on('exit', () => { for (const dir of made) rmSync(dir, { recursive: true, force: true }) })
  }
  const dir = mkdtempSync(join(parent, `mbx-${prefix}-`))
  made.add(dir)
  return dir
}
