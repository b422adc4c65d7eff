/**
 * Service announcements on the broadcast topic `/meshbox/services/1`: this box announces the
 * roles it plays (config `services.roles`, plus roles set at run time with `setRole`, such as
 * `chain-uplink` while the chain node has a healthy upstream) right after start, every
 * `announceIntervalMs`, at once when a run-time role changes, and
 * soon after a neighbour starts listening, so a newcomer hears its neighbours at once. Every box
 * keeps a directory role → providers from what it hears, drops entries not refreshed within
 * their lifetime, and finds the nearest provider of a role by route metric. Decisions live in
 * directory.ts and announcement.ts; this file moves messages. Format: README.md.
 *
 * @example
 * const services = createServiceDirectory({ broadcast, routing, peerId, logger }, { roles: ['uplink-gateway'], announceIntervalMs: 30_000, expireAfterMs: 90_000, starts: 3 })
 * await services.start()
 * services.nearest('uplink-gateway') // → { peerId, metric, hops, … } or throws SERVICE_NOT_FOUND
 */
import type { Component } from '../../component.js'
import { AgentError, ErrorCode } from '../../errors.js'
import type { Logger } from '../../log/logger.js'
import { Topic, type Broadcast, type BroadcastMessage, type ValidationResult } from '../broadcast/index.js'
import { encodeAnnouncement, MAX_ANNOUNCEMENT_BYTES, sequenceStart, verifyAnnouncement } from './announcement.js'
import { applyAnnouncement, createDirectoryState, directoryView, expireEntries, isNewer, type ProviderView, type RoleView, type RouteLike } from './directory.js'
import { MAX_ROLES, ROLE_PATTERN } from './roles.js'

export type { ProviderView, RoleView } from './directory.js'

export interface ServiceDirectoryComponents {
  broadcast: Pick<Broadcast, 'subscribe' | 'unsubscribe' | 'addValidator' | 'publish' | 'onNewSubscriber'>
  routing: { routes: () => RouteLike[] }
  peerId: string
  logger: Logger
  now?: () => number
}

export interface ServiceDirectoryInit {
  roles: string[]
  announceIntervalMs: number
  expireAfterMs: number
  /** This box's start count (store/meta.ts): keeps our sequence numbers growing across restarts. */
  starts: number
  maxPeers?: number
}

export interface ServiceDirectory extends Component {
  list: () => RoleView[]
  /**
   * Adds (`on`) or withdraws a role this box plays for as long as some condition holds (the chain
   * node has a healthy upstream: `chain-uplink`), on top of `services.roles`; announced at once.
   */
  setRole: (role: string, on: boolean) => void
  /** The nearest reachable provider of `role`; throws SERVICE_NOT_FOUND when there is none. */
  nearest: (role: string) => ProviderView
}

/** A neighbour joining waits this long (others may join with it), and triggered announcements keep this gap. */
const TRIGGER_DELAY_MS = 250
const MIN_TRIGGER_GAP_MS = 1_000
const EXPIRE_CHECK_MS = 1_000
const DEFAULT_MAX_PEERS = 1_024
const MAX_GREETED = 1_024

export function createServiceDirectory (c: ServiceDirectoryComponents, init: ServiceDirectoryInit): ServiceDirectory {
  const now = c.now ?? Date.now
  const log = c.logger
  const self = c.peerId
  const state = createDirectoryState(init.maxPeers ?? DEFAULT_MAX_PEERS)
  const seqBase = sequenceStart(init.starts)
  let counter = 0
  let lastAnnounceMs = -Infinity
  let started = false
  let fullWarned = false
  let timers: NodeJS.Timeout[] = []
  let triggerTimer: NodeJS.Timeout | undefined
  let undo: Array<() => void> = []
  /** Neighbours we announced to on joining, and when: a link that flaps gets one greeting per interval. */
  const greeted = new Map<string, number>()
  /** Roles set at run time (setRole), beyond the configured ones. */
  const dynamic = new Set<string>()
  const roles = (): string[] => [...new Set([...init.roles, ...dynamic])]

  const announce = async (reason: string): Promise<void> => {
    if (!started) return
    lastAnnounceMs = now()
    const bytes = encodeAnnouncement({ peerId: self, seq: seqBase + ++counter, lifetimeMs: init.expireAfterMs, roles: roles() })
    try {
      const { recipients } = await c.broadcast.publish(Topic.services, bytes)
      log.debug('Services announced', { reason, roles: roles(), recipients })
    } catch (err) {
      log.warn('Services announcement failed', { reason }, err)
    }
  }

  const trigger = (peer: string): void => {
    if (!started) return
    const t = now()
    if (t - (greeted.get(peer) ?? -Infinity) < init.announceIntervalMs) return
    if (greeted.size >= MAX_GREETED) greeted.clear()
    greeted.set(peer, t)
    if (triggerTimer !== undefined) return
    const waitMs = Math.max(TRIGGER_DELAY_MS, lastAnnounceMs + MIN_TRIGGER_GAP_MS - now())
    triggerTimer = setTimeout(() => { triggerTimer = undefined; void announce('neighbour') }, waitMs)
  }

  const validate = (m: BroadcastMessage): ValidationResult => {
    if (m.from === self) return { verdict: 'ignore', reason: 'our own announcement' }
    const a = verifyAnnouncement(m.data, m.from)
    if (typeof a === 'string') return { verdict: 'reject', reason: a }
    if (!isNewer(state, a.peerId, a.seq, now())) return { verdict: 'ignore', reason: 'not newer than the last one seen' }
    return 'accept'
  }

  const onAnnouncement = (m: BroadcastMessage): void => {
    const a = verifyAnnouncement(m.data, m.from)
    if (typeof a === 'string' || a.peerId === self) return
    const result = applyAnnouncement(state, a, now())
    if (result === 'full') {
      if (!fullWarned) log.warn('Service directory full', { maxPeers: state.maxPeers, peerId: a.peerId })
      fullWarned = true
    } else if (result !== 'refreshed' && result !== 'stale') {
      log.info('Service provider changed', { peerId: a.peerId, change: result, roles: a.roles })
    }
  }

  const expire = (): void => {
    for (const e of expireEntries(state, now())) log.info('Service provider expired', { peerId: e.peerId, roles: e.roles, silentForMs: now() - e.receivedAtMs })
  }

  const list = (): RoleView[] => directoryView(state, { peerId: self, roles: roles() }, c.routing.routes(), now())

  return {
    name: 'service-directory',
    async start () {
      if (started) return
      started = true
      undo = [
        c.broadcast.addValidator(Topic.services, validate),
        c.broadcast.onNewSubscriber(Topic.services, trigger)
      ]
      c.broadcast.subscribe(Topic.services, onAnnouncement, { maxMessageBytes: MAX_ANNOUNCEMENT_BYTES })
      timers = [setInterval(expire, EXPIRE_CHECK_MS)]
      // A box without roles stays quiet, except to withdraw what an earlier run of it announced.
      timers.push(setInterval(() => { if (roles().length > 0) void announce('interval') }, init.announceIntervalMs))
      void announce('start')
    },
    async stop () {
      if (!started) return
      started = false
      for (const t of timers) clearInterval(t)
      timers = []
      clearTimeout(triggerTimer)
      triggerTimer = undefined
      c.broadcast.unsubscribe(Topic.services, onAnnouncement)
      for (const u of undo) u()
      undo = []
    },
    list,
    setRole (role, on) {
      if (!ROLE_PATTERN.test(role)) throw new AgentError(ErrorCode.INTERNAL, `role "${role.slice(0, 40)}" must match ${ROLE_PATTERN.source}`)
      const before = roles().join()
      if (on && !roles().includes(role) && roles().length >= MAX_ROLES) {
        log.warn('Service role not added', { role, reason: `already ${MAX_ROLES} roles` })
        return
      }
      if (on) dynamic.add(role)
      else dynamic.delete(role)
      if (roles().join() !== before) void announce(on ? 'role added' : 'role withdrawn')
    },
    nearest (role) {
      if (!ROLE_PATTERN.test(role)) {
        throw new AgentError(ErrorCode.HTTP_PARAM_INVALID, `role "${role.slice(0, 40)}" must match ${ROLE_PATTERN.source}`, { data: { param: 'role' } })
      }
      const view = list().find(r => r.role === role)
      if (view?.nearest == null) {
        throw new AgentError(ErrorCode.SERVICE_NOT_FOUND, view === undefined
          ? `no box announces the role "${role}"`
          : `no reachable box announces the role "${role}" (${view.providers.length} known, none with a route)`, {
          data: { role },
          hints: ['see `meshbox services`; boxes announce every services.announceIntervalMs (30 s by default)']
        })
      }
      return view.nearest
    }
  }
}
