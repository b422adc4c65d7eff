/**
 * Which hardware profile to use. Pure: the caller says what was asked for, whether this is
 * OpenWrt, and what `ubus call system board` said (or why it could not).
 *
 *   profile set (flag, env, UCI, file) → that profile
 *   'auto' off OpenWrt                 → x86-64-lab
 *   'auto' on OpenWrt                  → the profile listing the board_name; none → generic, with a warning
 *                                        naming the board; board unreadable → generic, with a warning
 */
import type { HardwareProfile } from './profile.js'
import { DESKTOP_PROFILE_ID, GENERIC_PROFILE_ID } from './profiles-index.js'

export type ProfileReason = 'configured' | 'board' | 'unknown-board' | 'board-unreadable' | 'not-openwrt'

export interface ProfileChoice {
  id: string
  reason: ProfileReason
  boardName?: string
  /** Why the board could not be read. */
  boardError?: string
}

export interface PlatformFacts {
  openwrt: boolean
  boardName?: string
  boardError?: string
}

export function chooseProfile (requested: string, platform: PlatformFacts, profiles: readonly HardwareProfile[]): ProfileChoice {
  if (requested !== 'auto') return { id: requested, reason: 'configured' }
  if (!platform.openwrt) return { id: DESKTOP_PROFILE_ID, reason: 'not-openwrt' }
  if (platform.boardName === undefined) {
    return { id: GENERIC_PROFILE_ID, reason: 'board-unreadable', ...(platform.boardError !== undefined ? { boardError: platform.boardError } : {}) }
  }
  const board = platform.boardName
  const hit = profiles.find(p => p.boardNames.includes(board))
  return hit !== undefined ? { id: hit.id, reason: 'board', boardName: board } : { id: GENERIC_PROFILE_ID, reason: 'unknown-board', boardName: board }
}
