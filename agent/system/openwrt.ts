/**
 * Are we on OpenWrt, and which board? OpenWrt is recognised by /etc/openwrt_release, or by `ubus`
 * on PATH. Tests inject the signal with MESHBOX_OPENWRT_RELEASE=<file> (a fixture release file;
 * empty = "not OpenWrt"), read by main.ts only. The board comes from `ubus call system board`.
 */
import { access, constants, readFile } from 'node:fs/promises'
import { delimiter, join } from 'node:path'
import { AgentError, ErrorCode } from '../errors.js'
import type { Ubus } from './ubus.js'

export const OPENWRT_RELEASE_FILE = '/etc/openwrt_release'

export interface OpenWrtDetection {
  openwrt: boolean
  /** How it was decided, for the log. */
  reason: string
  /** DISTRIB_* from the release file (DISTRIB_ARCH, DISTRIB_TARGET, DISTRIB_RELEASE…). */
  release: Record<string, string>
}

export interface BoardInfo { boardName: string, model?: string, rootfsType?: string, target?: string }

/** `DISTRIB_ARCH='aarch64_cortex-a53'` lines → { DISTRIB_ARCH: 'aarch64_cortex-a53' }. Pure. */
export function parseOpenWrtRelease (text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of text.split('\n').slice(0, 100)) {
    const m = /^([A-Z_]+)=(?:'([^']*)'|"([^"]*)"|(\S*))\s*$/.exec(line.trim())
    if (m !== null) out[m[1] as string] = m[2] ?? m[3] ?? m[4] ?? ''
  }
  return out
}

/** Is an executable `tool` in one of the PATH directories? (async access checks only) */
export async function isOnPath (tool: string, pathEnv: string): Promise<boolean> {
  for (const dir of pathEnv.split(delimiter).filter(d => d !== '')) {
    try {
      await access(join(dir, tool), constants.X_OK)
      return true
    } catch { /* not here */ }
  }
  return false
}

export async function detectOpenWrt (init: { releaseFile?: string, pathEnv?: string } = {}): Promise<OpenWrtDetection> {
  const file = init.releaseFile ?? OPENWRT_RELEASE_FILE
  if (file === '') return { openwrt: false, reason: 'detection disabled (empty release file)', release: {} }
  try {
    const text = await readFile(file, 'utf8')
    return { openwrt: true, reason: `${file} exists`, release: parseOpenWrtRelease(text.slice(0, 16 * 1024)) }
  } catch { /* not there */ }
  if (init.releaseFile === undefined && await isOnPath('ubus', init.pathEnv ?? process.env.PATH ?? '')) {
    return { openwrt: true, reason: 'ubus is on PATH', release: {} }
  }
  return { openwrt: false, reason: `no ${file}${init.releaseFile === undefined ? ' and no ubus on PATH' : ''}`, release: {} }
}

/** `ubus call system board` → the fields we use. Pure. */
export function parseBoardInfo (raw: Record<string, unknown>): BoardInfo {
  const name = raw.board_name
  if (typeof name !== 'string' || name === '' || name.length > 200) {
    throw new AgentError(ErrorCode.SYSTEM_OUTPUT_INVALID, 'ubus call system board: answer has no board_name string', { data: { command: 'ubus' } })
  }
  const release = raw.release !== null && typeof raw.release === 'object' ? raw.release as Record<string, unknown> : {}
  const str = (v: unknown): string | undefined => typeof v === 'string' ? v.slice(0, 200) : undefined
  const model = str(raw.model)
  const rootfsType = str(raw.rootfs_type)
  const target = str(release.target)
  return { boardName: name, ...(model !== undefined ? { model } : {}), ...(rootfsType !== undefined ? { rootfsType } : {}), ...(target !== undefined ? { target } : {}) }
}

/** A healthy ubus answers `system board` in milliseconds. */
export const BOARD_TIMEOUT_MS = 3_000

export async function readBoard (c: { ubus: Ubus }): Promise<BoardInfo> {
  return parseBoardInfo(await c.ubus.call('system', 'board'))
}
