/**
 * Custody quotas (agent/mesh/messages/quota.ts): the total count and bytes, each source's share
 * and each destination's share; receipts count only towards the totals; usage goes back to
 * exactly empty when everything is removed.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { addUsage, emptyUsage, quotaRefusal, removeUsage, type Held, type QuotaLimits, type Usage } from '../../agent/mesh/messages/quota.js'

const LIMITS: QuotaLimits = { maxStoredBytes: 10_000, maxStoredMessages: 5, maxBytesPerSource: 3_000, maxBytesPerDestination: 4_000 }
const held = (src: string, dst: string, bytes: number, receipt = false): Held => ({ src, dst, bytes, receipt })
const fill = (items: Held[]): Usage => {
  const u = emptyUsage()
  for (const h of items) addUsage(u, h)
  return u
}
const plain = (u: Usage): unknown => ({ total: u.total, bySource: Object.fromEntries(u.bySource), byDestination: Object.fromEntries(u.byDestination) })

describe('quotaRefusal', () => {
  it('default: an empty store takes a message up to every limit', () => {
    assert.equal(quotaRefusal(emptyUsage(), held('S', 'D', 3_000), LIMITS), undefined)
    assert.match(String(quotaRefusal(emptyUsage(), held('S', 'D', 3_001), LIMITS)), /source S already has 0 bytes stored here \(limit 3000\)/)
  })

  it('error: the total count is a ceiling', () => {
    const u = fill([1, 2, 3, 4].map(i => held(`S${i}`, `D${i}`, 10)))
    assert.equal(quotaRefusal(u, held('S9', 'D9', 10), LIMITS), undefined, 'the 5th fits')
    addUsage(u, held('S5', 'D5', 10))
    assert.match(String(quotaRefusal(u, held('S9', 'D9', 10), LIMITS)), /already holds 5 messages \(limit 5\)/)
  })

  it('error: the total bytes are a ceiling', () => {
    const u = fill([held('S1', 'D1', 3_000), held('S2', 'D2', 3_000), held('S3', 'D3', 3_000)])
    assert.equal(quotaRefusal(u, held('S4', 'D4', 1_000), LIMITS), undefined, 'exactly 10 000 fits')
    assert.match(String(quotaRefusal(u, held('S4', 'D4', 1_001), LIMITS)), /message store is full \(9000 of 10000 bytes\)/)
  })

  it('error: one source cannot take more than its share; another source still fits', () => {
    const u = fill([held('S', 'D1', 2_000), held('S', 'D2', 900)])
    assert.equal(quotaRefusal(u, held('S', 'D3', 100), LIMITS), undefined, 'exactly the share')
    assert.match(String(quotaRefusal(u, held('S', 'D3', 101), LIMITS)), /^source S already has 2900 bytes stored here \(limit 3000\)$/)
    assert.equal(quotaRefusal(u, held('T', 'D3', 2_000), LIMITS), undefined)
  })

  it('error: one destination cannot take more than its share; another destination still fits', () => {
    const u = fill([held('S1', 'D', 2_500), held('S2', 'D', 1_000)])
    assert.equal(quotaRefusal(u, held('S3', 'D', 500), LIMITS), undefined, 'exactly the share')
    assert.match(String(quotaRefusal(u, held('S3', 'D', 501), LIMITS)), /^destination D already has 3500 bytes waiting here \(limit 4000\)$/)
    assert.equal(quotaRefusal(u, held('S3', 'E', 2_000), LIMITS), undefined)
  })

  it('behavior: receipts are exempt from the source and destination shares but not from the totals', () => {
    const u = fill([held('S', 'D', 3_000)])
    // Over both shares as a message, fine as a receipt.
    assert.ok(quotaRefusal(u, held('S', 'D', 1_000), LIMITS) !== undefined)
    assert.equal(quotaRefusal(u, held('S', 'D', 1_000, true), LIMITS), undefined)
    // Receipts do not use up the shares either.
    addUsage(u, held('S', 'D', 1_000, true))
    assert.equal(u.bySource.get('S')?.bytes, 3_000)
    assert.equal(u.byDestination.get('D')?.bytes, 3_000)
    assert.deepEqual(u.total, { bytes: 4_000, count: 2 })
    // Totals still bind receipts.
    assert.match(String(quotaRefusal(u, held('S', 'D', 6_001, true), LIMITS)), /message store is full/)
    const full = fill([1, 2, 3, 4, 5].map(i => held(`S${i}`, `D${i}`, 1, true)))
    assert.match(String(quotaRefusal(full, held('X', 'Y', 1, true), LIMITS)), /already holds 5 messages/)
  })
})

describe('usage bookkeeping', () => {
  it('behavior: adding tallies by source and destination', () => {
    const u = fill([held('S', 'D', 100), held('S', 'E', 50), held('T', 'D', 7), held('T', 'S', 1, true)])
    assert.deepEqual(plain(u), {
      total: { bytes: 158, count: 4 },
      bySource: { S: { bytes: 150, count: 2 }, T: { bytes: 7, count: 1 } },
      byDestination: { D: { bytes: 107, count: 2 }, E: { bytes: 50, count: 1 } }
    })
  })

  it('behavior: removing everything (in any order) restores an empty usage with no leftover keys', () => {
    const items = [held('S', 'D', 100), held('S', 'E', 50), held('T', 'D', 7), held('T', 'S', 1, true), held('S', 'D', 0)]
    const u = fill(items)
    removeUsage(u, items[2] as Held)
    assert.equal(u.bySource.get('T'), undefined, 'T\'s only message is gone: no zero entry left behind')
    assert.deepEqual(u.byDestination.get('D'), { bytes: 100, count: 2 })
    for (const h of [items[4], items[0], items[3], items[1]] as Held[]) removeUsage(u, h)
    assert.deepEqual(plain(u), plain(emptyUsage()))
    assert.equal(u.bySource.size, 0)
    assert.equal(u.byDestination.size, 0)
  })

  it('behavior: a zero-byte message still counts until removed', () => {
    const u = fill([held('S', 'D', 0)])
    assert.deepEqual(u.bySource.get('S'), { bytes: 0, count: 1 })
    removeUsage(u, held('S', 'D', 0))
    assert.equal(u.bySource.size, 0)
  })
})
