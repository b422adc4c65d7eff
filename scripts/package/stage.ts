/**
 * Lays out the package's file tree on disk, exactly as it lands on the router (the data part of
 * the .ipk, and the prebuilt tree the SDK Makefile installs from). Modes are set explicitly so
 * the host's umask never reaches the package.
 */
import { chmod, copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { HardwareProfile } from '../../agent/config/profile.js'
import { nativeFileName } from '../../agent/chain/native.js'
import { foreignImports, LIBC_ALLOWED } from '../build-native.js'
import type { TargetArch } from './arch.js'
import { elfImports, parseElf, type ElfInfo } from './elf.js'
import { installRuntimeModules, type NativeFile } from './node-modules.js'
import type { Lockfile, RuntimePackage } from './npm.js'
import { treeOrder, type TarEntry } from './tar.js'

/** Paths inside the package (and on the router), relative to /. */
export const LAYOUT = {
  appDir: 'usr/lib/meshbox',
  bundle: 'usr/lib/meshbox/meshbox.mjs',
  /** The agent itself, run by the bundle's entry through V8's code cache (agent/boot.ts). */
  main: 'usr/lib/meshbox/meshbox-main.cjs',
  /** The native crypto addon's folder: `native/` beside the agent, where agent/chain/native.ts looks. */
  nativeDir: 'usr/lib/meshbox/native',
  profiles: 'usr/share/meshbox/profiles'
} as const

/**
 * openwrt/meshbox-agent/files/* and where each goes. The SDK Makefile installs the same files
 * with the same modes (test/package/sdk-makefile.test.ts holds the two together). The UCI file is
 * 0600 like OpenWrt's INSTALL_CONF: it may name key files and upstream URLs with credentials.
 */
export const FILES: ReadonlyArray<{ src: string, dest: string, mode: number }> = [
  { src: 'meshbox.init', dest: 'etc/init.d/meshbox', mode: 0o755 },
  { src: 'meshbox.config', dest: 'etc/config/meshbox', mode: 0o600 },
  { src: 'meshbox.uci-defaults', dest: 'etc/uci-defaults/90-meshbox', mode: 0o755 },
  { src: 'meshbox.keep', dest: 'lib/upgrade/keep.d/meshbox-agent', mode: 0o644 },
  { src: 'meshbox.wrapper', dest: 'usr/bin/meshbox', mode: 0o755 },
  { src: 'meshbox.common.sh', dest: 'usr/share/meshbox/common.sh', mode: 0o644 }
]

/** One line per profile for the shell scripts: `<id> <heap MiB> <data dir or -> <board>...`. */
export function profilesTable (profiles: readonly HardwareProfile[]): string {
  const lines = ['# id heap_mib data_dir board_name... (generated from hardware-profiles/*.json)']
  for (const p of [...profiles].sort((a, b) => a.id < b.id ? -1 : 1)) {
    const words = [p.id, String(p.memory.maxOldSpaceMb), p.storage.dataDir ?? '-', ...p.boardNames]
    if (words.some(w => /\s/.test(w) || w === '')) throw new Error(`profile ${p.id}: ids, data dirs and board names must not contain spaces`)
    lines.push(words.join(' '))
  }
  return lines.join('\n') + '\n'
}

export interface StageInit {
  root: string
  /** The esbuild bundle's entry (dist/meshbox.mjs); dist/meshbox-main.cjs beside it goes too. */
  bundle: string
  /** openwrt/meshbox-agent/files */
  filesDir: string
  profiles: readonly HardwareProfile[]
  target: TargetArch
  lock: Lockfile
  /** Packages the bundle loads at run time (scripts/build.ts EXTERNAL). */
  roots: readonly string[]
  cacheDir: string
  strip: string | null
  /**
   * Gives the native crypto addon's file for the target (scripts/build-native.ts builds it); null
   * leaves it out. Called once lmdb's files are staged, so a target lmdb cannot serve (32-bit ARM)
   * is refused for that, not for a missing cross compiler.
   */
  addon: (() => Promise<string>) | null
}

/** The addon as staged: where, how big, its ELF header (checked against the target) and imports. */
export interface StagedAddon { path: string, bytes: number, elf: ElfInfo, imports: string[] }

async function put (root: string, rel: string, data: Uint8Array | string, mode: number): Promise<void> {
  const dest = join(root, rel)
  await mkdir(dirname(dest), { recursive: true })
  await writeFile(dest, data)
  await chmod(dest, mode)
}

export async function stageTree (init: StageInit): Promise<{ natives: NativeFile[], packages: RuntimePackage[], addon: StagedAddon | null }> {
  await mkdir(init.root, { recursive: true })
  await put(init.root, LAYOUT.bundle, await readFile(init.bundle), 0o755)
  await put(init.root, LAYOUT.main, await readFile(join(dirname(init.bundle), 'meshbox-main.cjs')), 0o644)
  await put(init.root, LAYOUT.profiles, profilesTable(init.profiles), 0o644)
  for (const f of FILES) {
    await mkdir(dirname(join(init.root, f.dest)), { recursive: true })
    await copyFile(join(init.filesDir, f.src), join(init.root, f.dest))
    await chmod(join(init.root, f.dest), f.mode)
  }
  const modules = await installRuntimeModules({ ...init, appDir: join(init.root, LAYOUT.appDir) })
  const addon = init.addon === null ? null : await stageAddon(init.root, await init.addon(), init.target)
  await fixDirModes(init.root)
  return { ...modules, addon }
}

/**
 * The addon is built libc-free (scripts/build-native.ts), so unlike lmdb's file it must name no
 * library at all: a DT_NEEDED entry would tie it to one libc, and so would a libc function beyond
 * the few both libcs export unversioned. The build checks this with nm; staging checks the very
 * bytes that ship, with our own reader, whatever built them.
 */
async function stageAddon (root: string, file: string, target: TargetArch): Promise<StagedAddon> {
  const data = await readFile(file)
  const elf = parseElf(data)
  // under the name the agent loads on this CPU, whatever the file was called
  const rel = join(LAYOUT.nativeDir, nativeFileName(target.npmCpu))
  if (elf.machine !== target.elfMachine || elf.elf64 !== target.elf64) {
    const bits = (b: boolean): string => b ? '64' : '32'
    throw new Error(`${basename(file)} is for ELF machine ${elf.machine} (${bits(elf.elf64)}-bit), not ${target.elfMachine} (${bits(target.elf64)}-bit) as ${target.pkgArch} needs: ` +
      `build it for the target CPU (node --import tsx scripts/build-native.ts ${target.npmCpu})`)
  }
  if (elf.needed.length > 0) throw new Error(`${basename(file)} needs ${elf.needed.join(', ')}: the addon must be built without libc (scripts/build-native.ts)`)
  const imports = elfImports(data)
  const foreign = foreignImports(imports)
  if (foreign.length > 0) throw new Error(`${basename(file)} imports ${foreign.join(', ')}: only Node-API and ${[...LIBC_ALLOWED].join(', ')} may come from outside: glibc and musl both have those (scripts/build-native.ts)`)
  await put(root, rel, data, 0o644)
  return { path: rel, bytes: data.length, elf, imports }
}

async function fixDirModes (dir: string): Promise<void> {
  await chmod(dir, 0o755)
  for (const d of await readdir(dir, { withFileTypes: true })) {
    if (d.isDirectory()) await fixDirModes(join(dir, d.name))
  }
}

/** The tree as tar entries ("./", "./etc/", ...) in `tar --sort=name` order. */
export async function readTree (root: string): Promise<TarEntry[]> {
  const entries: TarEntry[] = [{ path: './', type: 'dir', mode: (await stat(root)).mode & 0o7777 }]
  const walk = async (rel: string): Promise<void> => {
    for (const d of await readdir(join(root, rel), { withFileTypes: true })) {
      const r = rel === '' ? d.name : `${rel}/${d.name}`
      const st = await stat(join(root, r))
      if (d.isDirectory()) {
        entries.push({ path: `./${r}/`, type: 'dir', mode: st.mode & 0o7777 })
        await walk(r)
      } else if (d.isFile()) {
        entries.push({ path: `./${r}`, type: 'file', mode: st.mode & 0o7777, data: await readFile(join(root, r)) })
      } else {
        throw new Error(`${r}: only files and directories can be packaged`)
      }
    }
  }
  await walk('')
  return entries.sort(treeOrder)
}
