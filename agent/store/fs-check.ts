/**
 * LMDB maps its files with MAP_SHARED, which JFFS2 refuses. Find the filesystem that really holds
 * the data directory (following OpenWrt's overlayfs to its upper layer) and refuse JFFS2 with a
 * message that says where to put the data instead.
 */
import { readFile, realpath } from 'node:fs/promises'
import { dirname, resolve, sep } from 'node:path'
import { AgentError, ErrorCode } from '../errors.js'

export interface MountEntry { device: string, mountPoint: string, fsType: string, options: string[] }

const UNSUPPORTED = new Set(['jffs2'])

function unescapeMount (s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)))
}

export function parseMounts (text: string): MountEntry[] {
  return text.split('\n').flatMap(line => {
    const f = line.trim().split(/\s+/)
    if (f.length < 4 || f[0] === undefined || f[1] === undefined || f[2] === undefined || f[3] === undefined) return []
    return [{ device: f[0], mountPoint: unescapeMount(f[1]), fsType: f[2], options: f[3].split(',') }]
  })
}

function within (path: string, mountPoint: string): boolean {
  return mountPoint === '/' || path === mountPoint || path.startsWith(mountPoint + sep)
}

/** The mount holding `path`: the longest mount point that contains it (last one wins on ties). */
export function mountFor (mounts: MountEntry[], path: string): MountEntry | undefined {
  let best: MountEntry | undefined
  for (const m of mounts) {
    if (within(path, m.mountPoint) && (best === undefined || m.mountPoint.length >= best.mountPoint.length)) best = m
  }
  return best
}

/** Follows overlayfs to the filesystem of its upper (writable) layer. */
export function effectiveMount (mounts: MountEntry[], path: string): MountEntry | undefined {
  let m = mountFor(mounts, path)
  for (let hops = 0; m?.fsType === 'overlay' && hops < 4; hops++) {
    const upper = m.options.find(o => o.startsWith('upperdir='))?.slice('upperdir='.length)
    if (upper === undefined) break
    const next = mountFor(mounts, unescapeMount(upper))
    if (next === undefined || next === m) break
    m = next
  }
  return m
}

async function existingAncestor (path: string): Promise<string> {
  let p = resolve(path)
  for (;;) {
    try {
      return await realpath(p)
    } catch {
      const parent = dirname(p)
      if (parent === p) return p
      p = parent
    }
  }
}

export async function checkDataDirFilesystem (dataDir: string, mountsFile = '/proc/mounts'): Promise<MountEntry | undefined> {
  let text: string
  try {
    text = await readFile(mountsFile, 'utf8')
  } catch {
    return undefined // no /proc (not Linux): nothing to check
  }
  const path = await existingAncestor(dataDir)
  const mount = effectiveMount(parseMounts(text), path)
  if (mount !== undefined && UNSUPPORTED.has(mount.fsType)) {
    throw new AgentError(ErrorCode.STORE_UNSUPPORTED_FS,
      `data directory ${dataDir} is on ${mount.fsType.toUpperCase()} (mounted at ${mount.mountPoint}); LMDB needs shared mmap, which ${mount.fsType.toUpperCase()} does not support`,
      {
        data: { dataDir, fsType: mount.fsType, mountPoint: mount.mountPoint },
        hints: [
          'set dataDir (--data-dir, MESHBOX_DATA_DIR or the config file) to a directory on UBIFS, ext4, f2fs, a USB/SD mount, or tmpfs (/tmp/meshbox, lost at reboot)'
        ]
      })
  }
  return mount
}
