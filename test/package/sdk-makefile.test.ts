import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, it } from 'node:test'
import { listProfiles } from '../../agent/config/profile.js'
import { FILES, LAYOUT, profilesTable, readTree } from '../../scripts/package/stage.js'
import { buildFor } from '../helpers/package-build.js'
import { tempDir } from '../helpers/tmp.js'

const run = promisify(execFile)
const REPO = fileURLToPath(new URL('../../', import.meta.url))

const read = async (rel: string): Promise<string> => await readFile(new URL(`../../${rel}`, import.meta.url), 'utf8')
const INSTALL_MODE: Record<string, number> = { INSTALL_BIN: 0o755, INSTALL_CONF: 0o600, INSTALL_DATA: 0o644 }

describe('SDK feed Makefile and the SDK-less builder agree', () => {
  it('default: PKG_VERSION is package.json\'s version; the package depends on node and libstdc++', async () => {
    const mk = await read('openwrt/meshbox-agent/Makefile')
    const { version } = JSON.parse(await read('package.json')) as { version: string }
    assert.equal(/^PKG_VERSION:=(.+)$/m.exec(mk)?.[1], version)
    assert.match(mk, /^PKG_RELEASE:=\d+$/m)
    assert.match(mk, /^PKG_NAME:=meshbox-agent$/m)
    assert.match(mk, /^ {2}DEPENDS:=\+node \+libstdcpp \+libgcc @\(aarch64\|\|x86_64\)$/m)
    assert.match(mk, /^include \$\(TOPDIR\)\/rules\.mk$/m)
    assert.match(mk, /^include \$\(INCLUDE_DIR\)\/package\.mk$/m)
    assert.match(mk, /^\$\(eval \$\(call BuildPackage,meshbox-agent\)\)$/m)
    assert.match(mk, /define Package\/meshbox-agent\/conffiles\n\/etc\/config\/meshbox\nendef/)
  })

  it('behavior: every file is installed to the same place with the same mode as in the .ipk', async () => {
    const mk = await read('openwrt/meshbox-agent/Makefile')
    const installs = [...mk.matchAll(/^\t\$\((INSTALL_BIN|INSTALL_CONF|INSTALL_DATA)\) \.\/files\/(\S+) \$\(1\)\/(\S+)$/gm)]
      .map(m => ({ src: m[2], dest: m[3], mode: INSTALL_MODE[m[1] ?? ''] }))
    assert.deepEqual(installs.sort((a, b) => (a.src ?? '') < (b.src ?? '') ? -1 : 1), [...FILES].sort((a, b) => a.src < b.src ? -1 : 1))
    assert.match(mk, /\$\(CP\) \$\(PKG_BUILD_DIR\)\/stage\/app\/\. \$\(1\)\/usr\/lib\/meshbox\//)
    assert.ok(mk.includes(`$(1)/${LAYOUT.profiles}`))
  })

  it('behavior: sysupgrade keeps the config, /etc/meshbox and the identity in every profile\'s data dir', async () => {
    const keep = (await read('openwrt/meshbox-agent/files/meshbox.keep')).split('\n').filter(l => l !== '' && !l.startsWith('#'))
    // A data dir in /tmp is RAM (a volatile store): nothing there outlives a reboot anyway.
    const dirs = new Set(['/srv/meshbox', ...listProfiles().map(p => p.storage.dataDir).filter((d): d is string => d !== undefined && !d.startsWith('/tmp/'))])
    for (const dir of dirs) assert.ok(keep.includes(`${dir}/identity.key`), `keep.d lacks ${dir}/identity.key`)
    assert.ok(keep.includes('/etc/config/meshbox'))
    assert.ok(keep.includes('/etc/meshbox/'))
  })

  it('default: the profile table the scripts read has one line per profile', () => {
    const lines = profilesTable(listProfiles()).split('\n').filter(l => l !== '' && !l.startsWith('#'))
    assert.equal(lines.length, listProfiles().length)
    assert.ok(lines.includes('gl-mt6000 160 /srv/meshbox glinet,gl-mt6000'), lines.join('\n'))
    assert.ok(lines.includes('x86-64-lab 192 -'), lines.join('\n'))
  })

  it('behavior: the SDK Makefile installs the very tree the .ipk carries (under stand-in rules.mk/package.mk)', async () => {
    const p = await buildFor('x86_64')
    const work = tempDir('sdk')
    const fake = join(REPO, 'test/package/fixtures/sdk')
    await run('make', ['-s', '-C', join(REPO, 'openwrt/meshbox-agent'), `TOPDIR=${fake}`, `INCLUDE_DIR=${fake}`, `BUILD_DIR=${join(work, 'build')}`,
      `MESHBOX_PREBUILT=${p.stageRoot}`, `DEST=${join(work, 'root')}`, 'install-root'])
    const summary = (entries: Awaited<ReturnType<typeof readTree>>): string[] =>
      entries.filter(e => e.path !== './').map(e => `${e.path} ${e.mode.toString(8)} ${e.data === undefined ? '' : createHash('sha256').update(e.data).digest('hex')}`)
    const installed = await readTree(join(work, 'root'))
    assert.deepEqual(summary(installed), summary(await readTree(p.stageRoot)))
    // the crypto addon comes with usr/lib/meshbox/ (the SDK compiles nothing; make package built it)
    const addon = installed.find(e => e.path === `./${LAYOUT.nativeDir}/meshbox-crypto-linux-x64.node`)
    assert.equal(addon?.mode, 0o644)
    assert.equal(addon?.data?.length, p.addon?.bytes)
  })

  it('error: without a staged tree the SDK build stops and says how to make one', async () => {
    const fake = join(REPO, 'test/package/fixtures/sdk')
    const work = tempDir('sdk-missing')
    await assert.rejects(run('make', ['-s', '-C', join(REPO, 'openwrt/meshbox-agent'), `TOPDIR=${fake}`, `INCLUDE_DIR=${fake}`, `BUILD_DIR=${work}`,
      `MESHBOX_PREBUILT=${join(work, 'none')}`, `DEST=${join(work, 'root')}`, 'install-root']), (err: { stderr?: string }) => /run 'make package ARCH=x86_64'/.test(err.stderr ?? ''))
  })
})
