/**
 * `meshbox profile [--json]`: the hardware profile `start` would use here and how it was chosen.
 * The init script reads `maxOldSpaceMb` from the JSON for node's --max-old-space-size.
 */
import { detectPlatform } from '../system/platform.js'
import type { ParsedArgs } from './args.js'
import { formatProfile } from './format-device.js'
import { loadForArgs } from './start.js'

export async function runProfile (args: ParsedArgs): Promise<number> {
  const platform = await detectPlatform(process.env)
  const { config, profile, profileChoice } = await loadForArgs(args, platform)
  const view = {
    id: profile.id,
    name: profile.name,
    status: profile.status,
    statusReason: profile.statusReason ?? null,
    chosenBy: profileChoice.reason,
    boardName: profileChoice.boardName ?? null,
    boardError: profileChoice.boardError ?? null,
    openwrt: platform.detection.openwrt,
    arch: profile.arch,
    openwrtTarget: profile.openwrtTarget,
    maxRssBytes: config.memory.maxRssBytes,
    maxOldSpaceMb: profile.memory.maxOldSpaceMb,
    dataDir: config.dataDir,
    allowUnsupported: config.allowUnsupported
  }
  process.stdout.write((args.json ? JSON.stringify(view, null, 2) : formatProfile(view)) + '\n')
  return 0
}
