/**
 * Hardware profiles: one JSON file per board in hardware-profiles/, embedded in the bundle so the
 * agent needs no files beside it. A profile is also a configuration layer (relay limits, memory
 * budget, mesh interfaces, data directory).
 */
import { AgentError, ErrorCode } from '../errors.js'
import { PROFILES } from './profiles-index.js'
import type { Layer } from './validate.js'

export type ProfileStatus = 'supported' | 'unverified' | 'unsupported'

export interface HardwareProfile {
  id: string
  name: string
  status: ProfileStatus
  statusReason?: string
  boardNames: string[]
  arch: string
  openwrtTarget: string
  cpu: string
  ramBytes: number
  /** `volatile`: dataDir is in RAM (tmpfs), so state is lost at reboot. */
  storage: { flash: string, overlayFs: string, dataDir?: string, volatile?: boolean }
  radios: string[]
  interfaceRoles: { mesh: string[], phones: string[], uplink: string[] }
  memory: { maxRssBytes: number, maxOldSpaceMb: number }
  relay: { maxReservations: number, dataLimitBytes: number, durationLimitMs: number }
  /** Where the figures come from and what is unverified. */
  notes: string
}

const OVERLAY_FS = ['ext4', 'f2fs', 'ubifs', 'jffs2', 'squashfs+f2fs', 'tmpfs', 'unknown']

function invalid (id: string, what: string): AgentError {
  return new AgentError(ErrorCode.PROFILE_INVALID, `hardware profile "${id}": ${what}`, { data: { profile: id } })
}

function isObj (v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

function only (id: string, where: string, obj: Record<string, unknown>, keys: string[]): void {
  for (const k of Object.keys(obj)) {
    if (!keys.includes(k)) throw invalid(id, `unknown key "${where}${k}"`)
  }
}

function strList (id: string, where: string, v: unknown): string[] {
  if (!Array.isArray(v) || !v.every(s => typeof s === 'string')) throw invalid(id, `"${where}" must be a list of strings`)
  return v
}

function int (id: string, where: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw invalid(id, `"${where}" must be an integer ≥ ${min}`)
  return v
}

function str (id: string, where: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) throw invalid(id, `"${where}" must be a non-empty string`)
  return v
}

/** Checks a parsed profile against the rules of hardware-profiles/schema.json. */
export function parseProfile (raw: unknown): HardwareProfile {
  if (!isObj(raw)) throw invalid('?', 'must be a JSON object')
  const id = typeof raw.id === 'string' && /^[a-z0-9][a-z0-9-]{0,39}$/.test(raw.id) ? raw.id : undefined
  if (id === undefined) throw invalid('?', '"id" must be lower-case letters, digits and dashes')
  only(id, '', raw, ['$schema', 'id', 'name', 'status', 'statusReason', 'boardNames', 'arch', 'openwrtTarget', 'cpu', 'ramBytes', 'storage', 'radios', 'interfaceRoles', 'memory', 'relay', 'notes'])
  const status = raw.status
  if (status !== 'supported' && status !== 'unverified' && status !== 'unsupported') throw invalid(id, '"status" must be supported, unverified or unsupported')
  if (!isObj(raw.storage) || !isObj(raw.interfaceRoles) || !isObj(raw.memory) || !isObj(raw.relay)) {
    throw invalid(id, '"storage", "interfaceRoles", "memory" and "relay" must be objects')
  }
  const { storage, interfaceRoles: roles, memory, relay } = raw
  only(id, 'storage.', storage, ['flash', 'overlayFs', 'dataDir', 'volatile'])
  only(id, 'interfaceRoles.', roles, ['mesh', 'phones', 'uplink'])
  only(id, 'memory.', memory, ['maxRssBytes', 'maxOldSpaceMb'])
  only(id, 'relay.', relay, ['maxReservations', 'dataLimitBytes', 'durationLimitMs'])
  if (typeof storage.overlayFs !== 'string' || !OVERLAY_FS.includes(storage.overlayFs)) throw invalid(id, `"storage.overlayFs" must be one of ${OVERLAY_FS.join(', ')}`)
  if (storage.dataDir !== undefined) str(id, 'storage.dataDir', storage.dataDir)
  if (storage.volatile !== undefined && typeof storage.volatile !== 'boolean') throw invalid(id, '"storage.volatile" must be true or false')
  // LMDB cannot open on JFFS2: such a board keeps its store in RAM, and says so.
  if (storage.overlayFs === 'jffs2' && (typeof storage.dataDir !== 'string' || !storage.dataDir.startsWith('/tmp/') || storage.volatile !== true)) {
    throw invalid(id, 'a JFFS2 board needs "storage.dataDir" under /tmp/ and "storage.volatile": true')
  }
  if (status !== 'supported' && raw.statusReason === undefined) throw invalid(id, `"statusReason" is required when status is ${status}`)
  if (typeof raw.notes !== 'string' || raw.notes.length > 1000) throw invalid(id, '"notes" must be a string of at most 1000 characters')
  return {
    id,
    name: str(id, 'name', raw.name),
    status,
    ...(raw.statusReason !== undefined ? { statusReason: str(id, 'statusReason', raw.statusReason) } : {}),
    boardNames: strList(id, 'boardNames', raw.boardNames),
    arch: str(id, 'arch', raw.arch),
    openwrtTarget: str(id, 'openwrtTarget', raw.openwrtTarget),
    cpu: str(id, 'cpu', raw.cpu),
    ramBytes: int(id, 'ramBytes', raw.ramBytes, 0),
    storage: { flash: str(id, 'storage.flash', storage.flash), overlayFs: storage.overlayFs, ...(storage.dataDir !== undefined ? { dataDir: storage.dataDir as string } : {}), ...(storage.volatile === true ? { volatile: true } : {}) },
    radios: strList(id, 'radios', raw.radios),
    interfaceRoles: { mesh: strList(id, 'interfaceRoles.mesh', roles.mesh), phones: strList(id, 'interfaceRoles.phones', roles.phones), uplink: strList(id, 'interfaceRoles.uplink', roles.uplink) },
    memory: { maxRssBytes: int(id, 'memory.maxRssBytes', memory.maxRssBytes, 16 * 1024 * 1024), maxOldSpaceMb: int(id, 'memory.maxOldSpaceMb', memory.maxOldSpaceMb, 16) },
    relay: { maxReservations: int(id, 'relay.maxReservations', relay.maxReservations, 1), dataLimitBytes: int(id, 'relay.dataLimitBytes', relay.dataLimitBytes, 0), durationLimitMs: int(id, 'relay.durationLimitMs', relay.durationLimitMs, 0) },
    notes: raw.notes
  }
}

export function listProfiles (): HardwareProfile[] {
  return Object.values(PROFILES).map(parseProfile)
}

export function loadProfile (id: string): HardwareProfile {
  const raw = PROFILES[id]
  if (raw === undefined) {
    throw new AgentError(ErrorCode.PROFILE_UNKNOWN, `unknown hardware profile "${id}"; allowed: ${Object.keys(PROFILES).join(', ')}`, { data: { profile: id } })
  }
  return parseProfile(raw)
}

/** The configuration layer a profile contributes. */
export function profileLayer (p: HardwareProfile): Layer {
  const layer: Layer = new Map<string, unknown>([
    ['mesh.relay.maxReservations', p.relay.maxReservations],
    ['mesh.relay.dataLimitBytes', p.relay.dataLimitBytes],
    ['mesh.relay.durationLimitMs', p.relay.durationLimitMs],
    ['memory.maxRssBytes', p.memory.maxRssBytes]
  ])
  if (p.interfaceRoles.mesh.length > 0) layer.set('mesh.discovery.interfaces', p.interfaceRoles.mesh)
  if (p.storage.dataDir !== undefined) layer.set('dataDir', p.storage.dataDir)
  return layer
}
