/**
 * A small tar writer and reader. The writer produces what OpenWrt's ipkg-build gets from
 * `tar --format=gnu --numeric-owner --owner=0 --group=0 --sort=name --mtime=@T`, byte for byte
 * (test/package/tar.test.ts compares the two), so packages are reproducible without depending on
 * the host's tar flags. The reader takes npm tarballs (ustar, pax path records) and our own output.
 */
export interface TarEntry {
  /** "./usr/lib/meshbox/" for a directory (trailing slash), "./etc/config/meshbox" for a file. */
  path: string
  type: 'file' | 'dir'
  /** Permission bits only, e.g. 0o755. */
  mode: number
  data?: Uint8Array
}

export interface TarMember extends TarEntry {
  uid: number
  gid: number
  mtime: number
  data: Uint8Array
}

const BLOCK = 512
/** GNU tar's default record: 20 blocks; the archive is padded to a whole record. */
const RECORD = 20 * BLOCK
const NAME_FIELD = 100

function octal (value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0'
}

function header (name: string, mode: number, size: number, mtime: number, typeflag: string): Buffer {
  const h = Buffer.alloc(BLOCK)
  h.write(name, 0, NAME_FIELD, 'utf8')
  h.write(octal(mode & 0o7777, 8), 100, 'ascii')
  h.write(octal(0, 8), 108, 'ascii') // uid
  h.write(octal(0, 8), 116, 'ascii') // gid
  h.write(octal(size, 12), 124, 'ascii')
  h.write(octal(mtime, 12), 136, 'ascii')
  h.write(typeflag, 156, 'ascii')
  h.write('ustar  \0', 257, 'ascii') // GNU magic + version; uname/gname stay empty (numeric owner)
  h.fill(0x20, 148, 156) // the checksum is summed with its own field as spaces
  let sum = 0
  for (const b of h) sum += b
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii')
  return h
}

function padded (data: Uint8Array): Buffer[] {
  const rest = data.length % BLOCK
  return rest === 0 ? [Buffer.from(data)] : [Buffer.from(data), Buffer.alloc(BLOCK - rest)]
}

/** Entries are written in the order given: sort them with `treeOrder` for `--sort=name` order. */
export function writeTar (entries: readonly TarEntry[], mtime: number): Buffer {
  const parts: Buffer[] = []
  for (const e of entries) {
    const name = Buffer.from(e.path, 'utf8')
    if (name.length > NAME_FIELD) {
      // GNU long name: a ././@LongLink member carries the whole name (NUL-terminated), then the
      // real header holds its first 100 bytes.
      const long = Buffer.concat([name, Buffer.from([0])])
      parts.push(header('././@LongLink', 0o644, long.length, 0, 'L'), ...padded(long))
    }
    const data = e.type === 'file' ? (e.data ?? new Uint8Array()) : new Uint8Array()
    parts.push(header(name.subarray(0, NAME_FIELD).toString('utf8'), e.mode, data.length, mtime, e.type === 'dir' ? '5' : '0'))
    if (data.length > 0) parts.push(...padded(data))
  }
  parts.push(Buffer.alloc(2 * BLOCK))
  const body = Buffer.concat(parts)
  const rest = body.length % RECORD
  return rest === 0 ? body : Buffer.concat([body, Buffer.alloc(RECORD - rest)])
}

/** Directory-walk order of `tar --sort=name`: component by component, bytewise. */
export function treeOrder (a: TarEntry, b: TarEntry): number {
  const pa = a.path.replace(/\/$/, '').split('/')
  const pb = b.path.replace(/\/$/, '').split('/')
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const c = Buffer.compare(Buffer.from(pa[i] ?? ''), Buffer.from(pb[i] ?? ''))
    if (c !== 0) return c
  }
  return pa.length - pb.length
}

function field (h: Buffer, at: number, len: number): string {
  const raw = h.subarray(at, at + len)
  const nul = raw.indexOf(0)
  return raw.subarray(0, nul < 0 ? len : nul).toString('utf8')
}

const num = (h: Buffer, at: number, len: number): number => parseInt(field(h, at, len).trim() || '0', 8)

/** Reads regular files and directories; GNU long names and pax `path` records are applied. */
export function readTar (archive: Uint8Array): TarMember[] {
  const buf = Buffer.from(archive.buffer, archive.byteOffset, archive.byteLength)
  const out: TarMember[] = []
  let nextName: string | undefined
  for (let at = 0; at + BLOCK <= buf.length;) {
    const h = buf.subarray(at, at + BLOCK)
    if (h.every(b => b === 0)) break
    const size = num(h, 124, 12)
    const type = String.fromCharCode(h[156] ?? 0x30)
    const data = buf.subarray(at + BLOCK, at + BLOCK + size)
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK
    if (type === 'L') { nextName = field(data, 0, data.length); continue }
    if (type === 'x') { nextName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('utf8'))?.[1] ?? nextName; continue }
    if (type === 'g') continue
    const prefix = field(h, 345, 155)
    const path = nextName ?? (prefix !== '' && field(h, 257, 6) === 'ustar' ? `${prefix}/${field(h, 0, NAME_FIELD)}` : field(h, 0, NAME_FIELD))
    nextName = undefined
    if (type !== '0' && type !== '\0' && type !== '5') throw new Error(`tar member ${path}: type "${type}" is not supported`)
    out.push({ path, type: type === '5' ? 'dir' : 'file', mode: num(h, 100, 8), uid: num(h, 108, 8), gid: num(h, 116, 8), mtime: num(h, 136, 12), data: Uint8Array.from(data) })
  }
  return out
}
