import assert from 'node:assert/strict'
import { it } from 'node:test'
import { createLogger } from '../../agent/log/logger.js'
import { createMemoryWatch } from '../../agent/system/memory-watch.js'

it('behavior: warns once over budget, once back under (with hysteresis)', async () => {
  const msgs: string[] = []
  const logger = createLogger({ write: l => { msgs.push((JSON.parse(l) as { msg: string }).msg) } })
  const samples = [50, 120, 130, 95, 85, 85]
  let i = 0
  const watch = createMemoryWatch({ logger }, { maxRssBytes: 100, checkIntervalMs: 5, readRssBytes: () => samples[Math.min(i++, samples.length - 1)] ?? 0 })
  await watch.start()
  await watch.start()
  await new Promise(resolve => setTimeout(resolve, 60))
  await watch.stop()
  await watch.stop()
  assert.deepEqual(msgs, ['Memory over budget', 'Memory back under budget'])
  assert.equal(watch.overBudget(), false)
})
