/**
 * Configuration layers, later wins: defaults ← hardware profile ← config file (--config, JSON)
 * ← UCI (/etc/config/meshbox, on OpenWrt) ← environment (MESHBOX_*) ← CLI flags. Each layer is
 * validated on its own so the error names where the bad value came from. The profile is the one
 * asked for, or on OpenWrt with 'auto' the board's (choose-profile.ts).
 */
import { readFile, stat } from 'node:fs/promises'
import { AgentError, ErrorCode, errorMessage } from '../errors.js'
import { FIELDS, FIELD_BY_PATH, envName } from './fields.js'
import { chooseProfile, type PlatformFacts, type ProfileChoice } from './choose-profile.js'
import { listProfiles, loadProfile, profileLayer, type HardwareProfile } from './profile.js'
import { parseUciShow } from './uci-parse.js'
import { uciLayer } from './uci-layer.js'
import { DEFAULTS, CONFIG_VERSION, type Config } from './schema.js'
import { layerFromObject, parseText, type Layer } from './validate.js'
import { resolveChainSettings } from '../chain/sync/settings.js'

const MAX_CONFIG_FILE_BYTES = 1024 * 1024

export interface LoadConfigInit {
  /** Path of a JSON config file, if any. */
  configFile?: string
  env?: NodeJS.ProcessEnv
  /** Values from CLI flags, keyed by config path, already typed. */
  flags?: Layer
  /** Present on OpenWrt: where UCI settings and the board name come from (agent/system). */
  openwrt?: OpenWrtSource
}

export interface OpenWrtSource {
  /** `uci show meshbox` output; undefined when there is no /etc/config/meshbox. */
  uciText: () => Promise<string | undefined>
  /** board_name from `ubus call system board`. */
  boardName: () => Promise<string>
}

export interface LoadedConfig {
  config: Config
  profile: HardwareProfile
  /** How the profile was chosen (the board name on OpenWrt). */
  profileChoice: ProfileChoice
}

export async function readConfigFile (path: string): Promise<Layer> {
  const source = `config file ${path}`
  let text: string
  try {
    const st = await stat(path)
    if (!st.isFile()) throw new Error('not a regular file')
    if (st.size > MAX_CONFIG_FILE_BYTES) throw new Error(`larger than ${MAX_CONFIG_FILE_BYTES} bytes`)
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new AgentError(ErrorCode.CONFIG_FILE_UNREADABLE, `${source}: cannot be read: ${errorMessage(err)}`, { data: { source } })
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw new AgentError(ErrorCode.CONFIG_INVALID, `${source}: is not valid JSON: ${errorMessage(err)}`, { data: { source } })
  }
  const layer = layerFromObject(raw, source)
  if (!layer.has('version')) {
    throw new AgentError(ErrorCode.CONFIG_INVALID, `${source}: key "version" is missing; allowed: ${CONFIG_VERSION}`, { data: { source, key: 'version' } })
  }
  return layer
}

export function envLayer (env: NodeJS.ProcessEnv): Layer {
  const layer: Layer = new Map()
  for (const f of FIELDS) {
    const name = envName(f.path)
    const text = env[name]
    if (text !== undefined) layer.set(f.path, parseText(f, text, `environment ${name}`))
  }
  return layer
}

function setPath (target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.')
  let obj = target
  for (const p of parts.slice(0, -1)) obj = obj[p] as Record<string, unknown>
  obj[parts[parts.length - 1] as string] = Array.isArray(value) ? [...value] : value
}

export function buildConfig (layers: Layer[]): Config {
  const config = structuredClone(DEFAULTS)
  for (const layer of layers) {
    for (const [path, value] of layer) {
      if (!FIELD_BY_PATH.has(path)) throw new AgentError(ErrorCode.INTERNAL, `config layer sets unknown key ${path}`)
      setPath(config as unknown as Record<string, unknown>, path, value)
    }
  }
  return config
}

async function platformFacts (openwrt: OpenWrtSource | undefined): Promise<PlatformFacts> {
  if (openwrt === undefined) return { openwrt: false }
  try {
    return { openwrt: true, boardName: await openwrt.boardName() }
  } catch (err) {
    return { openwrt: true, boardError: errorMessage(err) }
  }
}

export async function loadConfig (init: LoadConfigInit = {}): Promise<LoadedConfig> {
  const fileLayer = init.configFile !== undefined ? await readConfigFile(init.configFile) : new Map()
  const uciText = init.openwrt !== undefined ? await init.openwrt.uciText() : undefined
  const uci = uciText !== undefined ? uciLayer(parseUciShow(uciText)) : new Map()
  const env = envLayer(init.env ?? {})
  const flags = init.flags ?? new Map()
  const requested = [flags, env, uci, fileLayer].find(l => l.has('profile'))?.get('profile') ?? DEFAULTS.profile
  const profileChoice = chooseProfile(requested as string, requested === 'auto' ? await platformFacts(init.openwrt) : { openwrt: false }, listProfiles())
  const profile = loadProfile(profileChoice.id)
  const config = buildConfig([profileLayer(profile), fileLayer, uci, env, flags])
  config.profile = profile.id
  if (config.mesh.neighbours.probeTimeoutMs >= config.mesh.neighbours.lostAfterMs) {
    throw new AgentError(ErrorCode.CONFIG_INVALID,
      `configuration: key "mesh.neighbours.probeTimeoutMs" (${config.mesh.neighbours.probeTimeoutMs}) must be smaller than "mesh.neighbours.lostAfterMs" (${config.mesh.neighbours.lostAfterMs})`,
      { data: { key: 'mesh.neighbours.probeTimeoutMs' } })
  }
  if (config.mesh.routing.linkSilenceMs <= config.mesh.neighbours.probeIntervalMs) {
    throw new AgentError(ErrorCode.CONFIG_INVALID,
      `configuration: key "mesh.routing.linkSilenceMs" (${config.mesh.routing.linkSilenceMs}) must be larger than "mesh.neighbours.probeIntervalMs" (${config.mesh.neighbours.probeIntervalMs})`,
      { data: { key: 'mesh.routing.linkSilenceMs' } })
  }
  if (config.services.expireAfterMs <= config.services.announceIntervalMs) {
    throw new AgentError(ErrorCode.CONFIG_INVALID,
      `configuration: key "services.expireAfterMs" (${config.services.expireAfterMs}) must be larger than "services.announceIntervalMs" (${config.services.announceIntervalMs}); 3 times is usual`,
      { data: { key: 'services.expireAfterMs' } })
  }
  if (config.chain.enabled) resolveChainSettings(config.chain)
  return { config, profile, profileChoice }
}

/** A start on an unsupported board is refused (exit 78) unless allowUnsupported is set. */
export function checkProfileAllowed ({ config, profile }: LoadedConfig): void {
  if (profile.status !== 'unsupported' || config.allowUnsupported) return
  throw new AgentError(ErrorCode.PROFILE_UNSUPPORTED, `hardware profile "${profile.id}" (${profile.name}) is unsupported: ${profile.statusReason ?? 'no reason given'}`, {
    data: { profile: profile.id },
    hints: ['to run anyway, accepting the risk: --allow-unsupported, MESHBOX_ALLOW_UNSUPPORTED=1 or `uci set meshbox.main.allow_unsupported=1`']
  })
}
