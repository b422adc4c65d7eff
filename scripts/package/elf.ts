/**
 * Just enough of an ELF reader to check a native file before it ships: class, machine, the
 * program interpreter, the DT_NEEDED libraries and the symbols it takes from outside. Debian's readelf only knows the host's
 * machines well and is not on every box, so the packager and its tests read the header here.
 */
export interface ElfInfo {
  elf64: boolean
  littleEndian: boolean
  /** e_type: 2 executable, 3 shared object. */
  type: number
  /** e_machine: 40 ARM, 62 x86-64, 183 AArch64. */
  machine: number
  /** PT_INTERP, e.g. /lib/ld-musl-aarch64.so.1; absent for shared objects. */
  interp?: string
  /** DT_NEEDED entries in order, e.g. libstdc++.so.6, libc.so. */
  needed: string[]
  soname?: string
}

const PT_LOAD = 1
const PT_DYNAMIC = 2
const PT_INTERP = 3
const DT_NEEDED = 1
const DT_STRTAB = 5
const DT_SONAME = 14
const SHT_DYNSYM = 11

export function isElf (buf: Uint8Array): boolean {
  return buf.length >= 52 && buf[0] === 0x7f && buf[1] === 0x45 && buf[2] === 0x4c && buf[3] === 0x46
}

interface Segment { type: number, offset: number, vaddr: number, filesz: number }

function cString (buf: Uint8Array, at: number): string {
  let end = at
  while (end < buf.length && buf[end] !== 0) end++
  return Buffer.from(buf.subarray(at, end)).toString('latin1')
}

interface Readers { view: DataView, u16: (at: number) => number, u32: (at: number) => number, word: (at: number) => number }

/** Field readers in the file's byte order; `word` is an address-sized field (32 or 64 bits). */
function readers (buf: Uint8Array, elf64: boolean, littleEndian: boolean): Readers {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  const u32 = (at: number): number => view.getUint32(at, littleEndian)
  return {
    view,
    u16: (at) => view.getUint16(at, littleEndian),
    u32,
    // Sizes and offsets of a few MB fit a double exactly.
    word: (at) => elf64 ? Number(view.getBigUint64(at, littleEndian)) : u32(at)
  }
}

export function parseElf (buf: Uint8Array): ElfInfo {
  if (!isElf(buf)) throw new Error('not an ELF file')
  const elf64 = buf[4] === 2
  const littleEndian = buf[5] === 1
  const { view, u16, u32, word } = readers(buf, elf64, littleEndian)
  const phoff = word(elf64 ? 32 : 28)
  const phentsize = u16(elf64 ? 54 : 42)
  const phnum = u16(elf64 ? 56 : 44)
  const segments: Segment[] = []
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize
    if (at + phentsize > buf.length) throw new Error('program header table runs past the end of the file')
    segments.push(elf64
      ? { type: u32(at), offset: word(at + 8), vaddr: word(at + 16), filesz: word(at + 32) }
      : { type: u32(at), offset: u32(at + 4), vaddr: u32(at + 8), filesz: u32(at + 16) })
  }
  const info: ElfInfo = { elf64, littleEndian, type: u16(16), machine: u16(18), needed: [] }
  const interp = segments.find(s => s.type === PT_INTERP)
  if (interp !== undefined) info.interp = cString(buf, interp.offset)
  const dynamic = segments.find(s => s.type === PT_DYNAMIC)
  if (dynamic === undefined) return info
  // DT_STRTAB holds a virtual address: map it back to a file offset through the PT_LOAD segments.
  const toOffset = (vaddr: number): number => {
    const seg = segments.find(s => s.type === PT_LOAD && vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz)
    if (seg === undefined) throw new Error(`address 0x${vaddr.toString(16)} is in no loaded segment`)
    return seg.offset + (vaddr - seg.vaddr)
  }
  const entrySize = elf64 ? 16 : 8
  const entries: Array<{ tag: number, val: number }> = []
  for (let at = dynamic.offset; at + entrySize <= dynamic.offset + dynamic.filesz; at += entrySize) {
    const tag = elf64 ? Number(view.getBigInt64(at, littleEndian)) : view.getInt32(at, littleEndian)
    if (tag === 0) break
    entries.push({ tag, val: word(at + (elf64 ? 8 : 4)) })
  }
  const strtab = entries.find(e => e.tag === DT_STRTAB)
  if (strtab === undefined) return info
  const strOffset = toOffset(strtab.val)
  for (const e of entries) {
    if (e.tag === DT_NEEDED) info.needed.push(cString(buf, strOffset + e.val))
    if (e.tag === DT_SONAME) info.soname = cString(buf, strOffset + e.val)
  }
  return info
}

/**
 * musl or glibc, from what the file links against: glibc objects need libc.so.6 (and ld-linux*),
 * musl objects need plain libc.so (musl's libc is also its loader). Null when neither is named.
 */
export function elfLibc (info: ElfInfo): 'musl' | 'glibc' | null {
  const names = [...info.needed, info.interp ?? '']
  if (names.some(n => n === 'libc.so.6' || /(^|\/)ld-linux[^/]*\.so/.test(n))) return 'glibc'
  if (names.some(n => n === 'libc.so' || /(^|\/)ld-musl-[^/]*\.so/.test(n))) return 'musl'
  return null
}

/**
 * The names of the dynamic symbols the file leaves undefined (what the loader must find in the
 * process), from the .dynsym section. A file without section headers cannot be checked this way,
 * and saying "imports nothing" would be a false pass, so that throws.
 */
export function elfImports (buf: Uint8Array): string[] {
  const info = parseElf(buf)
  const { elf64 } = info
  const { u16, u32, word } = readers(buf, elf64, info.littleEndian)
  const shoff = word(elf64 ? 40 : 32)
  const shentsize = u16(elf64 ? 58 : 46)
  const shnum = u16(elf64 ? 60 : 48)
  const section = (i: number): { type: number, offset: number, size: number, link: number } => {
    const at = shoff + i * shentsize
    if (at + shentsize > buf.length) throw new Error('section header table runs past the end of the file')
    return elf64
      ? { type: u32(at + 4), offset: word(at + 24), size: word(at + 32), link: u32(at + 40) }
      : { type: u32(at + 4), offset: u32(at + 16), size: u32(at + 20), link: u32(at + 24) }
  }
  if (shoff === 0 || shnum === 0) throw new Error('no section headers: the dynamic symbols cannot be listed')
  const sections = Array.from({ length: shnum }, (_, i) => section(i))
  const dynsym = sections.find(s => s.type === SHT_DYNSYM)
  if (dynsym === undefined) return []
  const strtab = sections[dynsym.link]
  if (strtab === undefined) throw new Error('.dynsym names no string table')
  const size = elf64 ? 24 : 16
  const names: string[] = []
  for (let at = dynsym.offset; at + size <= dynsym.offset + dynsym.size; at += size) {
    const name = u32(at)
    // st_shndx 0 (SHN_UNDEF): defined elsewhere; entry 0 is the null symbol and has no name
    if (name !== 0 && u16(at + (elf64 ? 6 : 14)) === 0) names.push(cString(buf, strtab.offset + name))
  }
  return names
}
