/**
 * How configuration keys are spelled in UCI (/etc/config/meshbox). Pure naming rules, one place:
 *   http.*, mesh.*, chain.*, services.*  → section of that name and type, option = rest in snake_case
 *                                          (mesh.relay.maxReservations → meshbox.mesh.relay_max_reservations)
 *   everything else                      → section 'main' of type 'agent', option = whole path in snake_case
 *                                          (dataDir → meshbox.main.data_dir, log.level → meshbox.main.log_level)
 * `version` has no UCI spelling (the UCI layout is versioned by this file). openwrt/UCI.md lists
 * every option; a unit test keeps the two in step.
 *
 * @example uciNameOf('mesh.discovery.interfaces') // { section: 'mesh', type: 'mesh', option: 'discovery_interfaces' }
 */
import { FIELDS } from './fields.js'

export const UCI_PACKAGE = 'meshbox'

/** Named sections and their types. Anything else in /etc/config/meshbox is an error. */
export const UCI_SECTIONS: Readonly<Record<string, string>> = {
  main: 'agent',
  http: 'http',
  mesh: 'mesh',
  chain: 'chain',
  services: 'services'
}

/**
 * Options the init script reads and the agent accepts without using them:
 * `enabled` (start at boot) and `max_old_space_mb` (V8 heap flag; empty = the profile's).
 */
export const INIT_SCRIPT_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  main: ['enabled', 'max_old_space_mb']
}

export interface UciName { section: string, type: string, option: string }

const snake = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()

export function uciNameOf (path: string): UciName | undefined {
  if (path === 'version') return undefined
  const [head = '', ...rest] = path.split('.')
  if (head !== 'main' && UCI_SECTIONS[head] !== undefined && rest.length > 0) {
    return { section: head, type: UCI_SECTIONS[head] as string, option: rest.map(snake).join('_') }
  }
  return { section: 'main', type: 'agent', option: path.split('.').map(snake).join('_') }
}

/** `meshbox.<section>.<option>` → config path, for every field that has a UCI spelling. */
export const PATH_BY_UCI_NAME: ReadonlyMap<string, string> = new Map(FIELDS.flatMap(f => {
  const n = uciNameOf(f.path)
  return n === undefined ? [] : [[`${n.section}.${n.option}`, f.path] as [string, string]]
}))

/** The full spelling used in messages: meshbox.http.port */
export function uciOptionLabel (section: string, option: string): string {
  return `${UCI_PACKAGE}.${section}.${option}`
}
