import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { checkRoles } from '../../agent/mesh/service-directory/roles.js'
import {
  decodeAnnouncement, encodeAnnouncement, MAX_ANNOUNCEMENT_BYTES, sequenceStart, verifyAnnouncement, type Announcement
} from '../../agent/mesh/service-directory/announcement.js'

const A = '12D3KooWRtABrymdTjL2X8yPk6DENwuus1pxDHGDrFEChuc1YYP9'
const B = '12D3KooWRimXaHDsm139CahkuEp6LE3eYFp3CKGvBhKQWxvdWfWu'
const good: Announcement = { peerId: A, seq: 2 ** 32 + 5, lifetimeMs: 90_000, roles: ['uplink-gateway', 'monitor'] }
const json = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v))

describe('service announcements', () => {
  it('default: an announcement round-trips and speaks for its signer', () => {
    assert.deepEqual(decodeAnnouncement(encodeAnnouncement(good)), good)
    assert.deepEqual(verifyAnnouncement(encodeAnnouncement(good), A), good)
    assert.deepEqual(decodeAnnouncement(encodeAnnouncement({ ...good, roles: [] })), { ...good, roles: [] }, 'an empty list (a withdrawal) is valid')
  })

  it('behavior: the largest legal announcement fits the bound with room to spare', () => {
    const roles = Array.from({ length: 16 }, (_, i) => `r${String(i).padStart(2, '0')}${'x'.repeat(29)}`)
    const bytes = encodeAnnouncement({ ...good, seq: Number.MAX_SAFE_INTEGER, lifetimeMs: 3_600_000, roles })
    assert.equal(typeof decodeAnnouncement(bytes), 'object')
    assert.ok(bytes.byteLength < MAX_ANNOUNCEMENT_BYTES / 2, `${bytes.byteLength} bytes`)
  })

  it('behavior: sequence numbers grow across restarts: a later start always beats an earlier one', () => {
    assert.ok(sequenceStart(2) > sequenceStart(1) + 1_000_000)
    assert.ok(sequenceStart(2 ** 21 - 1) + 2 ** 32 <= Number.MAX_SAFE_INTEGER + 1)
    assert.equal(sequenceStart(-3), 0)
  })

  it('error: a peer id that is not the signer is refused, whoever forwarded it', () => {
    assert.equal(verifyAnnouncement(encodeAnnouncement(good), B), 'announcement.peerId is not the signer')
  })

  it('error: every malformed announcement is refused with its reason', () => {
    const cases: Array<[Uint8Array, string]> = [
      [new Uint8Array(MAX_ANNOUNCEMENT_BYTES + 1).fill(32), `announcement of ${MAX_ANNOUNCEMENT_BYTES + 1} bytes exceeds ${MAX_ANNOUNCEMENT_BYTES}`],
      [Uint8Array.of(0xff, 0xfe, 0x7b), 'announcement is not UTF-8 JSON'],
      [new TextEncoder().encode('{"peerId":'), 'announcement is not UTF-8 JSON'],
      [json([good]), 'announcement is not an object'],
      [json(null), 'announcement is not an object'],
      [json({ ...good, extra: 1 }), 'announcement has unknown field "extra"'],
      [json({ ...good, peerId: 'not-a-peer' }), 'announcement.peerId is not a peer id'],
      [json({ ...good, seq: -1 }), 'announcement.seq is not a non-negative integer'],
      [json({ ...good, seq: 1.5 }), 'announcement.seq is not a non-negative integer'],
      [json({ ...good, seq: '7' }), 'announcement.seq is not a non-negative integer'],
      [json({ ...good, lifetimeMs: 10 }), 'announcement.lifetimeMs is not 1000..3600000'],
      [json({ ...good, lifetimeMs: 86_400_000 }), 'announcement.lifetimeMs is not 1000..3600000'],
      [json({ peerId: A, seq: 1, lifetimeMs: 5000 }), 'announcement.roles: must be a list of role names']
    ]
    for (const [bytes, reason] of cases) assert.equal(decodeAnnouncement(bytes), reason)
    const roles = (r: unknown): unknown => decodeAnnouncement(json({ ...good, roles: r }))
    assert.match(String(roles(['Uplink'])), /^announcement\.roles: role "Uplink" must match/)
    assert.match(String(roles(['a'.repeat(33)])), /must match/)
    assert.match(String(roles([5])), /role 5 must match/)
    assert.equal(roles(['monitor', 'monitor']), 'announcement.roles: role "monitor" is listed twice')
    assert.equal(roles(Array.from({ length: 17 }, (_, i) => `r${i}`)), 'announcement.roles: at most 16 roles')
  })

  it('args: the configuration uses the same role rules', () => {
    assert.equal(checkRoles(['uplink-gateway', 'monitor', 'a', 'x9-']), undefined)
    assert.equal(checkRoles([]), undefined)
    assert.match(checkRoles(['9lives']) ?? '', /must match/)
    assert.match(checkRoles(['has space']) ?? '', /must match/)
  })
})
