/**
 * The OpenWrt 25.12 package (apk-tools v3 "ADB" format). There is no writer for it but
 * `apk mkpkg`, and Debian bookworm has no apk-tools at all, so this runs only where an apk v3 is
 * installed (APK=<path>, e.g. an OpenWrt SDK's staging_dir/host/bin/apk) and says plainly why
 * it was skipped otherwise. Mirrors what OpenWrt's package-pack.mk passes to `apk mkpkg`.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cp, mkdtemp, readFile, rm, writeFile, mkdir, chmod } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { CONFFILES, type Control } from './ipk.js'
import { readTree } from './stage.js'

const run = promisify(execFile)

export type ApkResult = { path: string, bytes: number } | { skipped: string }

async function apkTool (): Promise<{ tool: string } | { skipped: string }> {
  const tool = process.env.APK !== undefined && process.env.APK !== '' ? process.env.APK : 'apk'
  let version: string
  try {
    version = (await run(tool, ['--version'], { timeout: 10_000 })).stdout.trim()
  } catch {
    return { skipped: `.apk for OpenWrt 25.12 skipped: no apk-tools v3 ("${tool}" not found). Debian bookworm has no apk-tools package; set APK=<path to an apk v3 binary>, e.g. an OpenWrt 25.12 SDK's staging_dir/host/bin/apk` }
  }
  if (!/apk-tools 3\./.test(version)) return { skipped: `.apk for OpenWrt 25.12 skipped: "${tool}" is ${version || 'unknown'}, and only apk-tools v3 has mkpkg` }
  return { tool }
}

const script = (body: string): string => [
  '#!/bin/sh',
  '[ "${IPKG_NO_SCRIPT}" = "1" ] && exit 0',
  '[ -s "${IPKG_INSTROOT}/lib/functions.sh" ] || exit 0',
  '. "${IPKG_INSTROOT}/lib/functions.sh"',
  'export root="${IPKG_INSTROOT}"',
  'export pkgname="meshbox-agent"',
  body, ''
].join('\n')

export async function buildApk (init: { control: Control, stageRoot: string, outDir: string }): Promise<ApkResult> {
  const found = await apkTool()
  if ('skipped' in found) return found
  const c = init.control
  const work = await mkdtemp(join(tmpdir(), 'mbx-apk-'))
  try {
    const root = join(work, 'root')
    await cp(init.stageRoot, root, { recursive: true })
    // apk keeps its per-package metadata inside the package: file list and conffiles with hashes.
    const meta = join(root, 'lib/apk/packages')
    await mkdir(meta, { recursive: true })
    const files = (await readTree(root)).filter(e => e.type === 'file').map(e => e.path.slice(1))
    await writeFile(join(meta, `${c.package}.list`), [...files, `/lib/apk/packages/${c.package}.list`].sort().join('\n') + '\n')
    await writeFile(join(meta, `${c.package}.conffiles`), CONFFILES.join('\n') + '\n')
    const sums = await Promise.all(CONFFILES.map(async f => `${f} ${createHash('sha256').update(await readFile(join(root, f))).digest('hex')}`))
    await writeFile(join(meta, `${c.package}.conffiles_static`), sums.join('\n') + '\n')
    for (const [name, body] of [['post-install', 'add_group_and_user\ndefault_postinst'], ['pre-deinstall', 'default_prerm']] as const) {
      await writeFile(join(work, name), script(body))
      await chmod(join(work, name), 0o755)
    }
    const out = join(init.outDir, `${c.package}-${c.version}.apk`)
    await mkdir(init.outDir, { recursive: true })
    await run(found.tool, ['mkpkg',
      '--info', `name:${c.package}`, '--info', `version:${c.version}`, '--info', `arch:${c.architecture}`,
      '--info', `license:${c.license}`, '--info', `maintainer:${c.maintainer}`,
      '--info', `description:${c.description.replace(/\s+/g, ' ').trim()}`,
      '--info', `depends:${c.depends.join(' ')}`,
      '--script', `post-install:${join(work, 'post-install')}`, '--script', `pre-deinstall:${join(work, 'pre-deinstall')}`,
      '--files', root, '--output', out], { timeout: 120_000, env: { ...process.env, SOURCE_DATE_EPOCH: String(c.sourceDateEpoch) } })
    return { path: out, bytes: (await readFile(out)).length }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}
