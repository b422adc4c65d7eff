/**
 * SIGHUP: what changed between the running configuration and a freshly loaded one, and which of
 * those changes the agent applies without a restart. Pure; main.ts does the re-reading, applies
 * the live keys and logs the rest as needing a restart.
 */
import { FIELDS } from './fields.js'
import type { Config } from './schema.js'

/** Keys applied to a running agent. Everything else needs `/etc/init.d/meshbox restart`. */
export const LIVE_KEYS: readonly string[] = ['log.level']

export interface ReloadPlan {
  changed: string[]
  /** Applied at once. */
  live: string[]
  /** Take effect at the next start. */
  restart: string[]
}

const at = (config: Config, path: string): unknown => path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], config)

export function planReload (running: Config, next: Config): ReloadPlan {
  const changed = FIELDS.map(f => f.path).filter(p => JSON.stringify(at(running, p)) !== JSON.stringify(at(next, p)))
  return {
    changed,
    live: changed.filter(p => LIVE_KEYS.includes(p)),
    restart: changed.filter(p => !LIVE_KEYS.includes(p))
  }
}
