/**
 * Keeps an async answer for a short time and shares one run among concurrent callers, so a page
 * polling every 2 s and a CLI call at once spawn one `ubus`, not three. A failure is not kept.
 */
export interface TtlCache<T> {
  get: () => Promise<T>
  /** Age of the kept answer in ms, or undefined when none is kept. */
  ageMs: () => number | undefined
}

export function createTtlCache<T> (load: () => Promise<T>, ttlMs: number, now: () => number = Date.now): TtlCache<T> {
  let kept: { value: T, atMs: number } | undefined
  let running: Promise<T> | undefined
  return {
    async get () {
      if (kept !== undefined && now() - kept.atMs < ttlMs) return kept.value
      running ??= load().then(value => {
        kept = { value, atMs: now() }
        return value
      }).finally(() => { running = undefined })
      return await running
    },
    ageMs: () => kept === undefined ? undefined : now() - kept.atMs
  }
}
