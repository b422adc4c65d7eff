import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Connection, Stream } from '@libp2p/interface'
import { StreamMessageEvent } from '@libp2p/interface'
import { createEchoHandler, FRAME_BYTES } from '../../agent/mesh/probe/echo.js'
import { createLogger } from '../../agent/log/logger.js'

/** Just enough of a libp2p Stream for the responder: message events in, send/abort out. */
class FakeStream extends EventTarget {
  sent: Uint8Array[] = []
  aborted: Error | undefined
  send (data: Uint8Array): boolean { this.sent.push(Uint8Array.from(data)); return true }
  abort (err: Error): void { this.aborted = err }
  deliver (bytes: number[]): void { this.dispatchEvent(new StreamMessageEvent(Uint8Array.from(bytes))) }
}

const connection = { remotePeer: { toString: () => 'PEER' } } as unknown as Connection

function setup () {
  const warnings: string[] = []
  const logger = createLogger({ write: l => { warnings.push((JSON.parse(l) as { msg: string }).msg) } })
  const stream = new FakeStream()
  createEchoHandler(logger)(stream as unknown as Stream, connection)
  return { stream, warnings }
}

describe('probe responder', () => {
  it('default: echoes complete 8-byte frames unchanged', () => {
    const { stream } = setup()
    stream.deliver([0, 0, 0, 1, 9, 9, 9, 9])
    assert.deepEqual(stream.sent, [Uint8Array.of(0, 0, 0, 1, 9, 9, 9, 9)])
  })

  it('behavior: split and merged frames are reassembled in order', () => {
    const { stream } = setup()
    stream.deliver([0, 0, 0, 2, 1, 1])
    assert.equal(stream.sent.length, 0)
    stream.deliver([1, 1, 0, 0, 0, 3, 2, 2, 2, 2, 0, 0])
    assert.deepEqual(stream.sent, [Uint8Array.of(0, 0, 0, 2, 1, 1, 1, 1), Uint8Array.of(0, 0, 0, 3, 2, 2, 2, 2)])
  })

  it('error: a burst of unanswerable data resets the stream', () => {
    const { stream, warnings } = setup()
    stream.deliver(Array.from({ length: 9 * FRAME_BYTES }, () => 7))
    assert.match(String(stream.aborted?.message), /too large/)
    assert.equal(stream.sent.length, 0)
    assert.deepEqual(warnings, ['Probe stream reset: too much unanswered data'])
  })

  it('error: probing faster than 50 frames a second resets the stream', () => {
    const { stream, warnings } = setup()
    for (let i = 0; i < 60 && stream.aborted === undefined; i++) stream.deliver([0, 0, 0, i, 1, 2, 3, 4])
    assert.match(String(stream.aborted?.message), /too fast/)
    assert.equal(stream.sent.length, 50)
    assert.deepEqual(warnings, ['Probe stream reset: probing too fast'])
  })
})
