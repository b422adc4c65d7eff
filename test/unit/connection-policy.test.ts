import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { redundantConnections, type ConnectionChoice } from '../../agent/mesh/connection-policy.js'

const c = (id: string, direction: 'inbound' | 'outbound', openedAtMs: number, relayed = false): ConnectionChoice => ({ id, direction, openedAtMs, relayed })
const mirror = (x: ConnectionChoice): ConnectionChoice => ({ ...x, direction: x.direction === 'inbound' ? 'outbound' : 'inbound' })

describe('one connection per pair', () => {
  it('default: nothing to close with one connection', () => {
    assert.deepEqual(redundantConnections('A', 'B', [c('1', 'outbound', 0)]), [])
    assert.deepEqual(redundantConnections('A', 'B', []), [])
  })

  it('behavior: both ends agree on the survivor (the one the lower id dialled)', () => {
    const atA = [c('x', 'outbound', 10), c('y', 'inbound', 5)] // A < B: A dialled x, B dialled y
    const atB = atA.map(mirror)
    assert.deepEqual(redundantConnections('A', 'B', atA), ['y'])
    assert.deepEqual(redundantConnections('B', 'A', atB), ['y'])
  })

  it('behavior: direct beats relayed whoever dialled', () => {
    const atA = [c('relay', 'outbound', 1, true), c('direct', 'inbound', 9)]
    assert.deepEqual(redundantConnections('A', 'B', atA), ['relay'])
    assert.deepEqual(redundantConnections('B', 'A', atA.map(mirror)), ['relay'])
  })

  it('behavior: among equals the oldest stays', () => {
    assert.deepEqual(redundantConnections('A', 'B', [c('new', 'outbound', 9), c('old', 'outbound', 1), c('mid', 'outbound', 5)]).sort(), ['mid', 'new'])
  })
})
