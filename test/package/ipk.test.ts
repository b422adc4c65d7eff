import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { gunzipSync } from 'node:zlib'
import { before, describe, it } from 'node:test'
import { listProfiles } from '../../agent/config/profile.js'
import { FILES, LAYOUT } from '../../scripts/package/stage.js'
import { readTar } from '../../scripts/package/tar.js'
import { agentBundle, buildFor, fileText, type BuiltPackage } from '../helpers/package-build.js'

const pkgJson = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
/** Every supported profile's arch, and aarch64_generic (NanoPi R4S and other rockchip/armv8 boards). */
const ARCHES = [...new Set([...listProfiles().filter(p => p.status === 'supported').map(p => p.arch), 'aarch64_generic'])].sort()
const MAX_IPK_BYTES = 8 * 1000 * 1000

function controlFields (text: string): Map<string, string> {
  return new Map(text.trimEnd().split('\n').filter(l => !l.startsWith(' ')).map(l => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]))
}

describe('.ipk for OpenWrt 24.10', { timeout: 120_000 }, () => {
  const built = new Map<string, BuiltPackage>()
  before(async () => {
    for (const arch of ARCHES) built.set(arch, await buildFor(arch))
  })
  const each = (fn: (arch: string, p: BuiltPackage) => void | Promise<void>) => async (): Promise<void> => {
    for (const [arch, p] of built) await fn(arch, p)
  }

  it('default: a gzip\'d tar (not ar) of ./debian-binary, ./data.tar.gz, ./control.tar.gz in that order', each((arch, p) => {
    assert.deepEqual([...p.ipk.subarray(0, 2)], [0x1f, 0x8b], `${arch}: gzip`)
    assert.equal(p.ipk[3], 0, `${arch}: gzip header carries no file name`)
    assert.equal(p.ipk.readUInt32LE(4), 0, `${arch}: gzip header carries no time`)
    assert.deepEqual(p.outer.map(m => [m.path, m.type, m.mode, m.uid, m.gid]), [
      ['./debian-binary', 'file', 0o644, 0, 0], ['./data.tar.gz', 'file', 0o644, 0, 0], ['./control.tar.gz', 'file', 0o644, 0, 0]
    ])
    assert.equal(fileText(p.outer, './debian-binary'), '2.0\n')
    assert.match(p.ipkPath, new RegExp(`/meshbox-agent_${pkgJson.version}-r\\d+_${arch}\\.ipk$`))
  }))

  it('default: control fields, conffiles and the maintainer scripts', each((arch, p) => {
    assert.deepEqual(p.controlFiles.map(m => [m.path, m.mode, m.uid, m.gid]), [
      ['./', 0o755, 0, 0], ['./conffiles', 0o644, 0, 0], ['./control', 0o644, 0, 0], ['./postinst', 0o755, 0, 0], ['./prerm', 0o755, 0, 0]
    ])
    const f = controlFields(fileText(p.controlFiles, './control'))
    assert.equal(f.get('Package'), 'meshbox-agent')
    assert.match(f.get('Version') ?? '', new RegExp(`^${pkgJson.version.replaceAll('.', '\\.')}-r\\d+$`))
    assert.equal(f.get('Architecture'), arch)
    assert.deepEqual(f.get('Depends')?.split(', '), ['libc', 'node', 'libstdcpp6', 'libgcc1'])
    const dataTar = gunzipSync(p.outer.find(m => m.path === './data.tar.gz')?.data ?? new Uint8Array())
    assert.equal(f.get('Installed-Size'), String(dataTar.length), 'Installed-Size is the unpacked data tar, as ipkg-build counts it')
    for (const key of ['Maintainer', 'Description', 'License', 'Section']) assert.ok((f.get(key) ?? '') !== '', `${key} is set`)
    assert.equal(fileText(p.controlFiles, './conffiles'), '/etc/config/meshbox\n')
    assert.match(fileText(p.controlFiles, './postinst'), /^default_postinst "\$0" "\$@"$/m)
    assert.match(fileText(p.controlFiles, './prerm'), /^default_prerm "\$0" "\$@"$/m)
  }))

  it('default: the file tree, owned by 0/0, with its modes (init 0755, UCI config 0600)', each(async (arch, p) => {
    for (const m of p.data) {
      assert.equal(`${m.uid}/${m.gid}`, '0/0', `${arch} ${m.path}`)
      assert.ok(m.path.startsWith('./'), m.path)
      if (m.type === 'dir') assert.equal(m.mode, 0o755, `${arch} ${m.path}`)
      else assert.ok([0o644, 0o755, 0o600].includes(m.mode), `${arch} ${m.path} mode ${m.mode.toString(8)}`)
    }
    const mode = (path: string): string | undefined => p.data.find(m => m.path === path)?.mode.toString(8)
    for (const f of FILES) assert.equal(mode(`./${f.dest}`), f.mode.toString(8), `${arch} ./${f.dest}`)
    assert.equal(mode('./etc/init.d/meshbox'), '755')
    assert.equal(mode('./etc/config/meshbox'), '600')
    assert.equal(mode('./usr/lib/meshbox/meshbox.mjs'), '755')
    assert.equal(mode('./usr/share/meshbox/profiles'), '644')
    assert.equal(mode(`./${LAYOUT.nativeDir}/meshbox-crypto-linux-${arch === 'x86_64' ? 'x64' : 'arm64'}.node`), '644', 'the crypto addon, loaded by dlopen, needs no x bit')
    const bundle = p.data.find(m => m.path === './usr/lib/meshbox/meshbox.mjs')?.data
    assert.deepEqual(bundle, new Uint8Array(await readFile(await agentBundle())), 'the bundle ships unchanged')
    assert.ok(p.data.some(m => m.path === './usr/lib/meshbox/node_modules/lmdb/package.json'))
    assert.equal(p.dataFileBytes, p.data.reduce((s, m) => s + m.data.length, 0))
  }))

  it('behavior: only runtime files ship: no types, docs, sources, hidden files, build-only or other-arch packages', each((arch, p) => {
    const paths = p.data.map(m => m.path)
    const junk = paths.filter(x => /\.d\.[cm]?ts$|\.map$|README|\/\.|node-addon-api|msgpackr-extract|\/lmdb\/(src|dependencies|dist)\/|binding\.gyp/.test(x))
    assert.deepEqual(junk, [], arch)
    const prebuilds = [...new Set(paths.map(x => /node_modules\/@lmdb\/([^/]+)\//.exec(x)?.[1]).filter(x => x !== undefined))]
    assert.deepEqual(prebuilds, [`lmdb-linux-${arch === 'x86_64' ? 'x64' : 'arm64'}`], arch)
  }))

  it('behavior: reports sizes; every .ipk is within the 8 MB bar', (t) => {
    for (const [arch, p] of built) {
      t.diagnostic(`${arch}: .ipk ${p.ipkBytes} bytes, Installed-Size ${p.installedSize}, files ${p.dataFileBytes} bytes (crypto addon ${p.addon?.bytes ?? 'none'})`)
      assert.ok(p.ipkBytes <= MAX_IPK_BYTES, `${arch}: ${p.ipkBytes} bytes`)
    }
  })

  it('behavior: reproducible: the same input gives the same bytes; another epoch changes them', async () => {
    const a = built.get('x86_64') ?? await buildFor('x86_64')
    const again = await buildFor('x86_64')
    assert.ok(again.ipk.equals(a.ipk), 'two builds with one SOURCE_DATE_EPOCH differ')
    const later = await buildFor('x86_64', { epoch: 1_767_225_601 })
    assert.ok(!later.ipk.equals(a.ipk))
    assert.ok(readTar(gunzipSync(later.ipk)).every(m => m.mtime === 1_767_225_601))
  })

  it('behavior: the .apk is built only with apk-tools v3, and a skip says why', async () => {
    const p = built.get('x86_64')
    assert.ok(p !== undefined && 'skipped' in p.apk)
    assert.match(p.apk.skipped, /skipped: no apk-tools v3.*Debian bookworm has no apk-tools/)
  })
})
