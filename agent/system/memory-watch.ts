/**
 * Compares resident memory with the profile's budget and says so once when it is crossed (and
 * once when it is back under), so an owner sees "Memory over budget" in logread long before the
 * kernel's OOM killer acts on a 512 MB router.
 */
import type { Component } from '../component.js'
import type { Logger } from '../log/logger.js'

export interface MemoryWatchInit { maxRssBytes: number, checkIntervalMs?: number, readRssBytes?: () => number }

export interface MemoryWatch extends Component {
  overBudget: () => boolean
}

export function createMemoryWatch (c: { logger: Logger }, init: MemoryWatchInit): MemoryWatch {
  const read = init.readRssBytes ?? (() => process.memoryUsage.rss())
  let over = false
  let timer: NodeJS.Timeout | undefined

  const check = (): void => {
    const rssBytes = read()
    if (!over && rssBytes > init.maxRssBytes) {
      over = true
      c.logger.warn('Memory over budget', { rssBytes, maxRssBytes: init.maxRssBytes })
    } else if (over && rssBytes <= init.maxRssBytes * 0.9) {
      over = false
      c.logger.info('Memory back under budget', { rssBytes, maxRssBytes: init.maxRssBytes })
    }
  }

  return {
    name: 'memory-watch',
    async start () {
      if (timer !== undefined) return
      check()
      timer = setInterval(check, init.checkIntervalMs ?? 30_000)
      timer.unref()
    },
    async stop () {
      clearInterval(timer)
      timer = undefined
    },
    overBudget: () => over
  }
}
