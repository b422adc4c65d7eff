import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, it } from 'node:test'

const run = promisify(execFile)
const REPO = fileURLToPath(new URL('../../', import.meta.url))

/** Every shell script the package ships or runs, and the stand-ins the tests run them with. */
async function shellFiles (): Promise<string[]> {
  const pkg = join(REPO, 'openwrt/meshbox-agent')
  const fixtures = join(REPO, 'test/package/fixtures')
  const list = async (dir: string): Promise<string[]> => (await readdir(dir)).sort().map(f => join(dir, f))
  return [...await list(join(pkg, 'files')), ...await list(join(pkg, 'control')), ...await list(join(fixtures, 'openwrt')), ...await list(join(fixtures, 'bin'))]
    .filter(f => !f.endsWith('.config') && !f.endsWith('.keep'))
}

async function has (cmd: string): Promise<boolean> {
  return await run('sh', ['-c', `command -v ${cmd}`]).then(() => true, () => false)
}

describe('shell scripts', () => {
  it('behavior: BusyBox ash parses every script (ash -n)', async (t) => {
    if (!await has('busybox')) { t.skip('busybox not installed (Debian package busybox; make system-deps installs it)'); return }
    const files = await shellFiles()
    assert.ok(files.length >= 12, files.join(' '))
    for (const f of files) {
      await assert.doesNotReject(run('busybox', ['ash', '-n', f]), `busybox ash -n ${f}`)
    }
  })

  it('behavior: shellcheck -s sh finds nothing, not even style notes', async (t) => {
    if (!await has('shellcheck')) { t.skip('shellcheck not installed (make system-deps installs it)'); return }
    const files = await shellFiles()
    const result = await run('shellcheck', ['-s', 'sh', '-S', 'style', ...files]).then(() => '', (err: { stdout?: string }) => err.stdout ?? 'shellcheck failed')
    assert.equal(result, '')
  })

  it('behavior: the init script is an rc.common procd script with START/STOP', async () => {
    const { stdout } = await run('sed', ['-n', '1p;/^START=/p;/^STOP=/p;/^USE_PROCD=/p', join(REPO, 'openwrt/meshbox-agent/files/meshbox.init')])
    assert.deepEqual(stdout.trim().split('\n'), ['#!/bin/sh /etc/rc.common', 'START=95', 'STOP=10', 'USE_PROCD=1'])
  })
})
