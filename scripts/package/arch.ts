/**
 * OpenWrt package architectures and what they mean for our one native file (lmdb's N-API build):
 * which npm `cpu` to fetch, and which ELF machine the file must be built for. Every aarch64_*
 * arch runs the same arm64 code (the suffix only tunes compiler flags), likewise for armv7.
 */
export type NpmCpu = 'arm64' | 'arm' | 'x64'

/** ELF e_machine values (System V ABI, elf.h). */
export const EM = { ARM: 40, X86_64: 62, AARCH64: 183 } as const

export interface TargetArch {
  /** OpenWrt package architecture, e.g. aarch64_cortex-a53 (Architecture: in the control file). */
  pkgArch: string
  /** npm `cpu` of the @lmdb/lmdb-linux-<cpu> package. */
  npmCpu: NpmCpu
  /** ELF e_machine every native file must carry. */
  elfMachine: number
  /** 64-bit ELF class expected. */
  elf64: boolean
}

const RULES: ReadonlyArray<{ pattern: RegExp, npmCpu: NpmCpu, elfMachine: number, elf64: boolean }> = [
  { pattern: /^aarch64_[a-z0-9_.+-]+$/, npmCpu: 'arm64', elfMachine: EM.AARCH64, elf64: true },
  // armv7 with a hardware FPU only: Node's V8 needs one (facts-openwrt.md, §1).
  { pattern: /^arm_cortex-a7(_[a-z0-9_.+-]+)?$/, npmCpu: 'arm', elfMachine: EM.ARM, elf64: false },
  { pattern: /^x86_64$/, npmCpu: 'x64', elfMachine: EM.X86_64, elf64: true }
]

export class UnknownArchError extends Error {
  constructor (pkgArch: string) {
    super(`unknown OpenWrt package architecture "${pkgArch}": supported are aarch64_* (e.g. aarch64_cortex-a53, aarch64_generic), ` +
      'arm_cortex-a7* (e.g. arm_cortex-a7_neon-vfpv4) and x86_64. MIPS and FPU-less targets cannot run Node.')
    this.name = 'UnknownArchError'
  }
}

/** Maps an OpenWrt package arch to the npm cpu and ELF machine; throws UnknownArchError otherwise. */
export function targetArch (pkgArch: string): TargetArch {
  for (const rule of RULES) {
    if (rule.pattern.test(pkgArch)) return { pkgArch, npmCpu: rule.npmCpu, elfMachine: rule.elfMachine, elf64: rule.elf64 }
  }
  throw new UnknownArchError(pkgArch)
}
