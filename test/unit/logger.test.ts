import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createLogger } from '../../agent/log/logger.js'
import { AgentError, ErrorCode } from '../../agent/errors.js'

function capture (level: 'debug' | 'info' | 'warn' = 'info') {
  const lines: Array<Record<string, unknown>> = []
  const logger = createLogger({ level, write: l => { lines.push(JSON.parse(l) as Record<string, unknown>) }, now: () => 0 })
  return { logger, lines }
}

describe('logger', () => {
  it('default: JSON line with constant message, module and context', () => {
    const { logger, lines } = capture()
    logger.child('mesh').child('dht').info('Neighbour added', { peerId: 'P', n: 1n })
    assert.deepEqual(lines, [{ ts: '1970-01-01T00:00:00.000Z', level: 'info', msg: 'Neighbour added', module: 'mesh:dht', ctx: { peerId: 'P', n: '1' } }])
  })

  it('behavior: levels below the threshold are dropped', () => {
    const { logger, lines } = capture('warn')
    logger.debug('a')
    logger.info('b')
    logger.warn('c')
    logger.error('d')
    assert.deepEqual(lines.map(l => l.msg), ['c', 'd'])
  })

  it('behavior: secrets are redacted at any depth and bytes are summarised', () => {
    const { logger, lines } = capture()
    logger.info('Config loaded', { networkKey: 'abc', nested: { privateKey: new Uint8Array(32), password: 'x', keyCount: 3 }, blob: new Uint8Array(5) })
    assert.deepEqual(lines[0]?.ctx, { networkKey: '[redacted]', nested: { privateKey: '[redacted]', password: '[redacted]', keyCount: 3 }, blob: '<5 bytes>' })
  })

  it('behavior: errors are serialised with their code', () => {
    const { logger, lines } = capture()
    logger.error('Request failed', {}, new AgentError(ErrorCode.TIMEOUT, 'too slow'))
    assert.deepEqual(lines[0]?.err, { name: 'AgentError', message: 'too slow', code: 'TIMEOUT' })
  })

  it('behavior: a broken output never throws', () => {
    const logger = createLogger({ write: () => { throw new Error('EPIPE') } })
    assert.doesNotThrow(() => { logger.info('x') })
  })
})
