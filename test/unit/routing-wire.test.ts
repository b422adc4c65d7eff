import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decodePacket } from '../../agent/mesh/forwarding/packet.js'
import { createFrameReader, encodeFrame } from '../../agent/mesh/framing.js'
import { decodeRouteMessage, encodeRequest, encodeUpdate, MAX_ROUTES_PER_UPDATE } from '../../agent/mesh/routing/wire.js'

const A = '12D3KooWRtABrymdTjL2X8yPk6DENwuus1pxDHGDrFEChuc1YYP9'
const B = '12D3KooWRimXaHDsm139CahkuEp6LE3eYFp3CKGvBhKQWxvdWfWu'

function reader (maxFrameBytes = 1024, maxFramesPerSecond = 10) {
  const frames: unknown[] = []
  const violations: string[] = []
  let t = 0
  const read = createFrameReader({ maxFrameBytes, maxFramesPerSecond, onFrame: f => frames.push(f), onViolation: r => violations.push(r), now: () => t })
  return { read, frames, violations, tick: (ms: number) => { t += ms } }
}

describe('frames', () => {
  it('default: frames round-trip, split and merged across chunks', () => {
    const { read, frames } = reader()
    const bytes = new Uint8Array([...encodeFrame({ a: 1 }), ...encodeFrame([2, 3])])
    read(bytes.subarray(0, 3))
    read(bytes.subarray(3, 12))
    read(bytes.subarray(12))
    assert.deepEqual(frames, [{ a: 1 }, [2, 3]])
  })
  it('error: oversized, non-JSON and too-frequent frames break the stream once', () => {
    const big = reader(8)
    big.read(encodeFrame({ long: 'x'.repeat(20) }))
    big.read(encodeFrame({}))
    assert.deepEqual(big.violations, ['frame of 31 bytes exceeds 8'])
    assert.deepEqual(big.frames, [], 'nothing after the violation is read')
    const junk = reader()
    junk.read(Uint8Array.of(0, 0, 0, 2, 0xff, 0xfe))
    assert.deepEqual(junk.violations, ['frame is not UTF-8 JSON'])
    const fast = reader(1024, 3)
    for (let i = 0; i < 5; i++) fast.read(encodeFrame(i))
    assert.deepEqual(fast.frames, [0, 1, 2])
    assert.deepEqual(fast.violations, ['more than 3 frames per second'])
    const paced = reader(1024, 3)
    for (let i = 0; i < 6; i++) { paced.read(encodeFrame(i)); paced.tick(400) }
    assert.equal(paced.frames.length, 6)
  })
})

describe('route messages', () => {
  it('default: updates and requests round-trip', () => {
    const update = decodeRouteMessage(JSON.parse(JSON.stringify(encodeUpdate([{ dest: A, seqno: 65535, metric: 0, hops: 0 }]))))
    assert.deepEqual(update, { type: 'update', routes: [{ dest: A, seqno: 65535, metric: 0, hops: 0 }] })
    assert.deepEqual(decodeRouteMessage(encodeRequest(B, 7, 16)), { type: 'request', dest: B, seqno: 7, hopCount: 16 })
  })
  it('error: one bad route rejects the whole update, naming it', () => {
    const good = { d: A, s: 1, m: 256, h: 1 }
    const bad = (x: Record<string, unknown>): unknown => ({ type: 'update', routes: [good, { ...good, ...x }] })
    assert.equal(decodeRouteMessage(bad({ d: 'not-a-peer' })), 'route 1: destination is not a peer id')
    assert.equal(decodeRouteMessage(bad({ s: 70000 })), 'route 1: seqno is not a 16-bit integer')
    assert.equal(decodeRouteMessage(bad({ m: -1 })), 'route 1: metric is not 0..65535')
    assert.equal(decodeRouteMessage(bad({ h: 1.5 })), 'route 1: hop count is not 0..255')
    assert.equal(decodeRouteMessage({ type: 'update', routes: [null] }), 'route 0 is not an object')
    assert.equal(decodeRouteMessage({ type: 'update', routes: 'all' }), 'update.routes is not a list')
    assert.match(String(decodeRouteMessage({ type: 'update', routes: Array.from({ length: MAX_ROUTES_PER_UPDATE + 1 }, () => good) })), /more than 2048/)
    assert.equal(decodeRouteMessage({ type: 'teleport' }), 'unknown message type "teleport"')
    assert.equal(decodeRouteMessage([1]), 'message is not an object')
    assert.equal(decodeRouteMessage({ type: 'request', dest: A, seqno: 1, hopCount: 0 }), 'request.hopCount is not 1..255')
  })
})

describe('forwarded packets', () => {
  const echo = { kind: 'echo', src: A, dst: B, ttl: 3, id: 'ab12', hops: 0 }
  it('default: a valid probe decodes', () => {
    assert.deepEqual(decodePacket(echo), echo)
    assert.deepEqual(decodePacket({ ...echo, kind: 'echo-reply', probeHops: 4 }), { ...echo, kind: 'echo-reply', probeHops: 4 })
  })
  it('error: malformed packets are named', () => {
    assert.equal(decodePacket({ ...echo, kind: 'data' }), 'unknown packet kind')
    assert.equal(decodePacket({ ...echo, dst: 'x' }), 'src or dst is not a peer id')
    assert.equal(decodePacket({ ...echo, ttl: 65 }), 'ttl is not 0..64')
    assert.equal(decodePacket({ ...echo, id: 'zz' }), 'id is not 1-32 hex digits')
    assert.equal(decodePacket({ ...echo, hops: -1 }), 'hops is not 0..64')
    assert.equal(decodePacket('echo'), 'packet is not an object')
  })
})
