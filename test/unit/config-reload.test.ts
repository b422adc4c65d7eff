import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { LIVE_KEYS, planReload } from '../../agent/config/reload.js'
import { DEFAULTS } from '../../agent/config/schema.js'
import { createLogger, type LogLevel } from '../../agent/log/logger.js'

describe('reload plan (SIGHUP)', () => {
  it('default: nothing changed, nothing to do', () => {
    assert.deepEqual(planReload(DEFAULTS, structuredClone(DEFAULTS)), { changed: [], live: [], restart: [] })
  })
  it('behavior: the log level is live, everything else needs a restart', () => {
    const next = structuredClone(DEFAULTS)
    next.log.level = 'debug'
    next.http.port = 9999
    next.mesh.listen = ['/ip4/0.0.0.0/tcp/4002']
    assert.deepEqual(planReload(DEFAULTS, next), { changed: ['log.level', 'http.port', 'mesh.listen'], live: ['log.level'], restart: ['http.port', 'mesh.listen'] })
    assert.deepEqual(LIVE_KEYS, ['log.level'])
  })
  it('behavior: a shared level changes every child logger at once', () => {
    const lines: string[] = []
    const levelRef: { level: LogLevel } = { level: 'info' }
    const child = createLogger({ levelRef, write: l => { lines.push(l) } }).child('http')
    child.debug('Hidden', {})
    levelRef.level = 'debug'
    child.debug('Shown', {})
    levelRef.level = 'error'
    child.warn('Hidden too', {})
    assert.deepEqual(lines.map(l => (JSON.parse(l) as { msg: string }).msg), ['Shown'])
  })
})
