/**
 * What main.ts needs to know about the machine before loading configuration: OpenWrt or not, and
 * on OpenWrt where UCI settings and the board name come from. The only reader of the test seam
 * MESHBOX_OPENWRT_RELEASE (see openwrt.ts).
 */
import type { OpenWrtSource } from '../config/load.js'
import { BOARD_TIMEOUT_MS, detectOpenWrt, readBoard, type OpenWrtDetection } from './openwrt.js'
import { runCommand, type CommandRunner } from './run-command.js'
import { createUbus } from './ubus.js'
import { readUciText } from './uci.js'

export interface Platform {
  detection: OpenWrtDetection
  /** Present on OpenWrt. */
  openwrt?: OpenWrtSource
}

export function openWrtSource (c: { run: CommandRunner }): OpenWrtSource {
  const ubus = createUbus(c, { timeoutMs: BOARD_TIMEOUT_MS, maxOutputBytes: 64 * 1024 })
  return {
    uciText: async () => await readUciText(c),
    boardName: async () => (await readBoard({ ubus })).boardName
  }
}

export async function detectPlatform (env: NodeJS.ProcessEnv, run: CommandRunner = runCommand): Promise<Platform> {
  const releaseFile = env.MESHBOX_OPENWRT_RELEASE
  const detection = await detectOpenWrt({ ...(releaseFile !== undefined ? { releaseFile } : {}), ...(env.PATH !== undefined ? { pathEnv: env.PATH } : {}) })
  return detection.openwrt ? { detection, openwrt: openWrtSource({ run }) } : { detection }
}
