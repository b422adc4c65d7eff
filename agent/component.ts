/**
 * The lifecycle every component follows. `agent.ts` starts components in dependency order and
 * stops them in reverse; start and stop must both be idempotent.
 */
export interface Component {
  readonly name: string
  start: (options?: AbortOptions) => Promise<void>
  stop: (options?: AbortOptions) => Promise<void>
}

export interface AbortOptions {
  signal?: AbortSignal
}

/** Rejects with the signal's reason as soon as it aborts. */
export function throwIfAborted (signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) {
    throw signal.reason instanceof Error ? signal.reason : new Error('aborted')
  }
}

/** Resolves after `ms`, or rejects early when the signal aborts. */
export async function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  throwIfAborted(signal)
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'))
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
