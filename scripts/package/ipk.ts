/**
 * The OpenWrt 24.10 .ipk, as scripts/ipkg-build makes it: a gzip'd tar (not an ar archive) of
 * ./debian-binary ("2.0\n"), ./data.tar.gz and ./control.tar.gz, in that order. Every tar is
 * GNU format with uid/gid 0 and one fixed mtime, every gzip has no name and no time, so the same
 * input gives the same bytes.
 */
import { gzipSync } from 'node:zlib'
import { treeOrder, writeTar, type TarEntry } from './tar.js'

export interface Control {
  package: string
  version: string
  depends: readonly string[]
  license: string
  section: string
  maintainer: string
  architecture: string
  /** Seconds; also the mtime of every file in the package. */
  sourceDateEpoch: number
  description: string
}

export const CONFFILES = ['/etc/config/meshbox']

/** Field order follows OpenWrt's package-pack.mk; Installed-Size is filled in by buildIpk. */
export function controlText (c: Control, installedSize: number): string {
  const description = c.description.trim().split('\n').map((line, i) => i === 0 ? line.trim() : ` ${line.trim() || '.'}`).join('\n')
  return [
    `Package: ${c.package}`,
    `Version: ${c.version}`,
    `Depends: ${c.depends.join(', ')}`,
    `License: ${c.license}`,
    `Section: ${c.section}`,
    `SourceDateEpoch: ${c.sourceDateEpoch}`,
    `Maintainer: ${c.maintainer}`,
    `Architecture: ${c.architecture}`,
    `Installed-Size: ${installedSize}`,
    `Description: ${description}`
  ].join('\n') + '\n'
}

/** gzip -n: no file name, mtime 0. zlib writes the same bytes for the same input and level. */
export const gzip = (data: Uint8Array): Buffer => gzipSync(data, { level: 9 })

export interface IpkParts {
  ipk: Buffer
  dataTarGz: Buffer
  controlTarGz: Buffer
  /** Bytes of the uncompressed data tar: what ipkg-build puts in Installed-Size. */
  installedSize: number
  /** Sum of the sizes of the files in the data tar. */
  dataFileBytes: number
}

export interface IpkInit {
  control: Control
  /** The file tree (readTree of the staged root). */
  data: readonly TarEntry[]
  postinst: string
  prerm: string
}

export function buildIpk (init: IpkInit): IpkParts {
  const mtime = init.control.sourceDateEpoch
  const dataTar = writeTar([...init.data].sort(treeOrder), mtime)
  const dataTarGz = gzip(dataTar)
  const text = (s: string): Uint8Array => Buffer.from(s, 'utf8')
  const controlEntries: TarEntry[] = [
    { path: './', type: 'dir', mode: 0o755 },
    { path: './conffiles', type: 'file', mode: 0o644, data: text(CONFFILES.join('\n') + '\n') },
    { path: './control', type: 'file', mode: 0o644, data: text(controlText(init.control, dataTar.length)) },
    { path: './postinst', type: 'file', mode: 0o755, data: text(init.postinst) },
    { path: './prerm', type: 'file', mode: 0o755, data: text(init.prerm) }
  ]
  const controlTarGz = gzip(writeTar(controlEntries.sort(treeOrder), mtime))
  const outer = writeTar([
    { path: './debian-binary', type: 'file', mode: 0o644, data: text('2.0\n') },
    { path: './data.tar.gz', type: 'file', mode: 0o644, data: dataTarGz },
    { path: './control.tar.gz', type: 'file', mode: 0o644, data: controlTarGz }
  ], mtime)
  const dataFileBytes = init.data.reduce((sum, e) => sum + (e.type === 'file' ? e.data?.length ?? 0 : 0), 0)
  return { ipk: gzip(outer), dataTarGz, controlTarGz, installedSize: dataTar.length, dataFileBytes }
}

/** <name>_<version>_<arch>.ipk, the name ipkg-build gives. */
export const ipkFileName = (c: Control): string => `${c.package}_${c.version}_${c.architecture}.ipk`
