import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import { describe, it } from 'node:test'
import { EM, targetArch, UnknownArchError } from '../../scripts/package/arch.js'
import { elfImports, elfLibc, isElf, parseElf } from '../../scripts/package/elf.js'

describe('ELF reader', () => {
  it('default: reads this host\'s node: x86-64, 64-bit, glibc interpreter', async () => {
    const info = parseElf(await readFile(process.execPath))
    assert.equal(info.machine, EM.X86_64)
    assert.equal(info.elf64, true)
    assert.match(info.interp ?? '', /ld-linux-x86-64\.so\.2$/)
    assert.ok(info.needed.includes('libc.so.6'), info.needed.join(','))
    assert.equal(elfLibc(info), 'glibc')
  })

  it('behavior: musl objects are told apart by libc.so or ld-musl', () => {
    assert.equal(elfLibc({ elf64: true, littleEndian: true, type: 3, machine: EM.AARCH64, needed: ['libstdc++.so.6', 'libgcc_s.so.1', 'libc.so'] }), 'musl')
    assert.equal(elfLibc({ elf64: true, littleEndian: true, type: 2, machine: EM.AARCH64, interp: '/lib/ld-musl-aarch64.so.1', needed: [] }), 'musl')
    assert.equal(elfLibc({ elf64: false, littleEndian: true, type: 3, machine: EM.ARM, needed: ['libc.so.6', 'ld-linux-armhf.so.3'] }), 'glibc')
    assert.equal(elfLibc({ elf64: true, littleEndian: true, type: 3, machine: EM.X86_64, needed: ['libm.so'] }), null)
  })

  it('behavior: lists the dynamic symbols a file imports, as nm -D --undefined-only does (this host\'s node)', async () => {
    const { stdout } = await promisify(execFile)(process.env.NM ?? 'nm', ['-D', '--undefined-only', process.execPath], { maxBuffer: 16 << 20 })
    // nm adds the symbol version (malloc@GLIBC_2.2.5); our reader lists the bare name
    const fromNm = stdout.split('\n').map(l => l.trim().split(/\s+/).at(-1)?.replace(/@.*$/, '') ?? '').filter(n => n !== '').sort()
    const ours = elfImports(await readFile(process.execPath)).sort()
    assert.ok(ours.length > 100, String(ours.length))
    assert.deepEqual(ours, fromNm)
  })

  it('error: without section headers the imports cannot be listed, and that is not "none"', async () => {
    const node = Buffer.from(await readFile(process.execPath))
    node.writeUInt16LE(0, 60) // e_shnum
    assert.throws(() => elfImports(node), /no section headers/)
  })

  it('error: not an ELF file', () => {
    assert.equal(isElf(Buffer.from('#!/bin/sh\n'.padEnd(64, ' '))), false)
    assert.throws(() => parseElf(Buffer.alloc(64)), /not an ELF file/)
  })
})

describe('package architectures', () => {
  it('args: every aarch64_* is arm64, arm_cortex-a7* is arm, x86_64 is x64', () => {
    for (const arch of ['aarch64_cortex-a53', 'aarch64_cortex-a72', 'aarch64_generic']) {
      assert.deepEqual(targetArch(arch), { pkgArch: arch, npmCpu: 'arm64', elfMachine: 183, elf64: true })
    }
    assert.deepEqual(targetArch('arm_cortex-a7_neon-vfpv4'), { pkgArch: 'arm_cortex-a7_neon-vfpv4', npmCpu: 'arm', elfMachine: 40, elf64: false })
    assert.deepEqual(targetArch('x86_64'), { pkgArch: 'x86_64', npmCpu: 'x64', elfMachine: 62, elf64: true })
  })

  it('error: an unknown arch names the supported ones', () => {
    for (const arch of ['mipsel_24kc', 'i386_pentium4', 'arm_arm1176jzf-s_vfp', 'aarch64', '']) {
      assert.throws(() => targetArch(arch), (err: unknown) => err instanceof UnknownArchError && /aarch64_\*/.test(err.message) && err.message.includes(`"${arch}"`))
    }
  })
})
