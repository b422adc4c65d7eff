/**
 * Envelopes of end-to-end messages (agent/mesh/messages/envelope.ts, keys.ts): only the
 * destination opens a message, any single change breaks the source's signature, a forger can
 * neither alter nor re-attribute a message, and decodeEnvelope rejects every malformed shape
 * with a reason that names the field.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import {
  decodeEnvelope, envelopeBytes, makeReceipt, newMessageId, openMessage, sealMessage, verifyEnvelope, type Envelope, type EnvelopeLimits
} from '../../agent/mesh/messages/envelope.js'
import { ownKeys, peerKeys } from '../../agent/mesh/messages/keys.js'
import { flipCtBit, newBox, resign, specSignedBytes } from '../helpers/message-forge.js'

const LIMITS: EnvelopeLimits = { maxPayloadBytes: 64 * 1024, maxTtlMs: 7 * 86_400_000 }
const T0 = 1_763_700_000_000
const text = (s: string): Uint8Array => new TextEncoder().encode(s)

const a = await newBox()
const b = await newBox()
const c = await newBox()
const secpId = peerIdFromPrivateKey(await generateKeyPair('secp256k1')).toString()

const sealAB = (payload: Uint8Array = text('hello B'), extra: Partial<{ protocol: string, ttlMs: number, createdMs: number }> = {}): Envelope =>
  sealMessage(a.keys, { dst: b.id, protocol: extra.protocol ?? '/meshbox/note/1', payload, ttlMs: extra.ttlMs ?? 60_000, createdMs: extra.createdMs ?? T0 })

/** What a neighbour would receive: the envelope after a trip through JSON. */
const wire = (e: Envelope): Record<string, unknown> => JSON.parse(JSON.stringify(e)) as Record<string, unknown>

/** The same base64url text with its first character changed (always a different value). */
const otherB64 = (s: string): string => (s[0] === 'A' ? 'B' : 'A') + s.slice(1)

describe('sealing and opening', () => {
  it('default: the destination opens exactly the payload; the sender and a third box cannot', () => {
    const payload = text('meet at the water tower, 18:00')
    const e = sealAB(payload)
    assert.equal(e.kind, 'msg')
    assert.equal(e.src, a.id)
    assert.equal(e.dst, b.id)
    assert.match(e.id, /^[0-9a-f]{32}$/)
    assert.equal(e.sig.length, 86)
    assert.deepEqual(openMessage(b.keys, e), payload)
    assert.equal(Buffer.from(openMessage(b.keys, e) as Uint8Array).toString(), 'meet at the water tower, 18:00')

    // Refused outright: it names someone else as destination.
    assert.equal(openMessage(a.keys, e), 'sealed for another box')
    assert.equal(openMessage(c.keys, e), 'sealed for another box')
    // Even with dst pointed at them, neither has the key: the sender threw its ephemeral secret away.
    assert.match(String(openMessage(a.keys, { ...e, dst: a.id })), /does not decrypt/)
    assert.match(String(openMessage(c.keys, { ...e, dst: c.id })), /does not decrypt/)
  })

  it('behavior: the ciphertext does not contain the payload, and sealing twice gives different ciphertexts', () => {
    const payload = text('a secret word: pelican pelican pelican')
    const e1 = sealAB(payload)
    const e2 = sealAB(payload)
    assert.ok(!Buffer.from(e1.ct ?? '', 'base64url').includes(Buffer.from('pelican')))
    assert.notEqual(e1.ct, e2.ct)
    assert.notEqual(e1.eph, e2.eph)
    assert.notEqual(e1.id, e2.id)
  })

  it('behavior: an empty payload and a maximal payload (maxPayloadBytes) round-trip and pass decode', () => {
    const empty = sealAB(new Uint8Array(0))
    const decodedEmpty = decodeEnvelope(wire(empty), LIMITS)
    assert.equal(typeof decodedEmpty, 'object', String(decodedEmpty))
    assert.deepEqual(openMessage(b.keys, decodedEmpty as Envelope), new Uint8Array(0))
    assert.equal(Buffer.from(empty.ct ?? '', 'base64url').byteLength, 16, 'just the tag')

    const max = new Uint8Array(randomBytes(LIMITS.maxPayloadBytes))
    const big = sealAB(max)
    const decodedBig = decodeEnvelope(wire(big), LIMITS)
    assert.equal(typeof decodedBig, 'object', String(decodedBig))
    assert.ok(verifyEnvelope(decodedBig as Envelope))
    assert.deepEqual(openMessage(b.keys, decodedBig as Envelope), max)
    assert.equal(envelopeBytes(big), 512 + (big.ct ?? '').length)
  })

  it('error: another base64url spelling of the same signature (unused low bits of the last character) is refused by decode', () => {
    const env = sealAB()
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const respelt = { ...env, sig: env.sig.slice(0, -1) + alphabet[alphabet.indexOf(env.sig.at(-1) ?? 'A') ^ 1] }
    assert.equal(verifyEnvelope(respelt), true, 'the bytes are the same, so the signature still verifies')
    const got = decodeEnvelope(JSON.parse(JSON.stringify(respelt)), LIMITS)
    assert.equal(typeof got, 'string')
    assert.match(String(got), /^sig /)
    assert.equal(typeof decodeEnvelope(JSON.parse(JSON.stringify(env)), LIMITS), 'object', 'the canonical spelling passes')
  })

  it('behavior: a binary payload with all 256 byte values round-trips', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i)
    const e = decodeEnvelope(wire(sealAB(all)), LIMITS)
    assert.equal(typeof e, 'object')
    assert.deepEqual(openMessage(b.keys, e as Envelope), all)
  })

  it('behavior: the signature is over the documented bytes (README.md), and survives JSON', () => {
    const e = sealAB()
    assert.ok(verifyEnvelope(e))
    assert.ok(verifyEnvelope(decodeEnvelope(wire(e), LIMITS) as Envelope))
    // Re-signing per the README with the real key gives the very same signature (Ed25519 is deterministic).
    assert.equal(resign(e, a.keys.signing).sig, e.sig)
    assert.ok(specSignedBytes(e).toString().startsWith('meshbox/msg/1\n[1,"msg",'))
  })

  it('error: sealing for a peer id without an Ed25519 key throws; ownKeys refuses a non-Ed25519 identity', async () => {
    assert.throws(() => sealMessage(a.keys, { dst: secpId, protocol: '/x/1', payload: text('x'), ttlMs: 1000, createdMs: T0 }), /not an Ed25519 peer id/)
    assert.throws(() => sealMessage(a.keys, { dst: 'garbage', protocol: '/x/1', payload: text('x'), ttlMs: 1000, createdMs: T0 }), /not an Ed25519 peer id/)
    const secp = await generateKeyPair('secp256k1')
    assert.throws(() => ownKeys(peerIdFromPrivateKey(secp).toString(), secp), /need an Ed25519 identity/)
  })
})

describe('signatures', () => {
  const msg = sealAB()
  const other = sealAB()
  const msgChanges: Record<string, (e: Envelope) => Envelope> = {
    id: e => ({ ...e, id: newMessageId() }),
    src: e => ({ ...e, src: c.id }),
    dst: e => ({ ...e, dst: c.id }),
    protocol: e => ({ ...e, protocol: '/meshbox/pay/1' }),
    createdMs: e => ({ ...e, createdMs: e.createdMs + 1 }),
    ttlMs: e => ({ ...e, ttlMs: e.ttlMs + 1 }),
    eph: e => ({ ...e, eph: other.eph }),
    nonce: e => ({ ...e, nonce: other.nonce }),
    ct: e => flipCtBit(e),
    sig: e => ({ ...e, sig: otherB64(e.sig) })
  }

  it('behavior: a message verifies as sealed, and fails after changing any single field', () => {
    assert.equal(verifyEnvelope(msg), true)
    for (const [field, change] of Object.entries(msgChanges)) {
      const changed = change(msg)
      assert.notDeepEqual(changed, msg, `${field}: really changed`)
      assert.equal(typeof decodeEnvelope(wire(changed), LIMITS), 'object', `${field}: still a well-formed envelope`)
      assert.equal(verifyEnvelope(changed), false, `changing ${field} must break the signature`)
    }
  })

  it('behavior: a receipt verifies as made, and fails after changing any single field', () => {
    const receipt = makeReceipt(b.keys, msg, T0 + 5, 60_000)
    assert.equal(verifyEnvelope(receipt), true)
    const changes: Record<string, (e: Envelope) => Envelope> = {
      id: e => ({ ...e, id: newMessageId() }),
      src: e => ({ ...e, src: c.id }),
      dst: e => ({ ...e, dst: c.id }),
      protocol: e => ({ ...e, protocol: '/x/1' }),
      createdMs: e => ({ ...e, createdMs: e.createdMs + 1 }),
      ttlMs: e => ({ ...e, ttlMs: e.ttlMs - 1 }),
      ref: e => ({ ...e, ref: newMessageId() }),
      sig: e => ({ ...e, sig: otherB64(e.sig) })
    }
    for (const [field, change] of Object.entries(changes)) {
      const changed = change(receipt)
      assert.notDeepEqual(changed, receipt, `${field}: really changed`)
      assert.equal(verifyEnvelope(changed), false, `changing receipt ${field} must break the signature`)
    }
  })

  it('behavior: a ciphertext bit flip re-signed by the real sender verifies but does not decrypt (AEAD)', () => {
    for (const [byte, bit] of [[0, 0], [5, 7], [(Buffer.from(msg.ct ?? '', 'base64url').byteLength - 1), 3]] as const) {
      const flipped = resign(flipCtBit(msg, byte, bit), a.keys.signing)
      assert.equal(verifyEnvelope(flipped), true, 'the sender really signed it')
      assert.match(String(openMessage(b.keys, flipped)), /does not decrypt/, `flip of byte ${byte} bit ${bit}`)
    }
    // Same for a changed nonce or ephemeral key.
    assert.match(String(openMessage(b.keys, resign({ ...msg, nonce: other.nonce }, a.keys.signing))), /does not decrypt/)
    assert.match(String(openMessage(b.keys, resign({ ...msg, eph: other.eph }, a.keys.signing))), /does not decrypt/)
  })

  it('behavior: header changes are bound to the ciphertext too (associated data), even when the sender re-signs', () => {
    for (const change of [(e: Envelope) => ({ ...e, protocol: '/meshbox/pay/1' }), (e: Envelope) => ({ ...e, createdMs: e.createdMs + 1 }), (e: Envelope) => ({ ...e, ttlMs: e.ttlMs * 2 }), (e: Envelope) => ({ ...e, id: newMessageId() })]) {
      const changed = resign(change(msg), a.keys.signing)
      assert.equal(verifyEnvelope(changed), true)
      assert.match(String(openMessage(b.keys, changed)), /does not decrypt/)
    }
  })

  it('error: a forger who swaps header fields and re-signs with its own key fails verify', () => {
    const forgeries: Record<string, Envelope> = {
      'src and dst swapped': { ...msg, src: msg.dst, dst: msg.src },
      'protocol swapped': { ...msg, protocol: '/meshbox/pay/1' },
      'ttl extended': { ...msg, ttlMs: LIMITS.maxTtlMs },
      'createdMs moved': { ...msg, createdMs: msg.createdMs + 86_400_000 },
      'another message\'s ciphertext': { ...msg, eph: other.eph, nonce: other.nonce, ct: other.ct }
    }
    for (const [what, forged] of Object.entries(forgeries)) {
      assert.equal(verifyEnvelope(resign(forged, c.keys.signing)), false, what)
    }
  })

  it('error: a forger who claims the message as its own (src = forger, re-signed) cannot make it open', () => {
    const stolen = resign({ ...msg, src: c.id }, c.keys.signing)
    assert.equal(verifyEnvelope(stolen), true, 'it is a validly signed envelope from C now')
    assert.match(String(openMessage(b.keys, stolen)), /does not decrypt/, 'but src is in the associated data')
  })

  it('error: an envelope claiming a non-Ed25519 or unparsable source never verifies', () => {
    assert.equal(verifyEnvelope({ ...msg, src: secpId }), false)
    assert.equal(verifyEnvelope({ ...msg, src: 'garbage' }), false)
    assert.equal(verifyEnvelope({ ...msg, sig: '' }), false)
  })
})

describe('receipts', () => {
  it('default: makeReceipt is signed by the destination, names the message, and travels back to the source', () => {
    const msg = sealAB()
    const r = makeReceipt(b.keys, msg, T0 + 1000, 30_000)
    assert.equal(r.kind, 'receipt')
    assert.equal(r.src, b.id)
    assert.equal(r.dst, a.id)
    assert.equal(r.ref, msg.id)
    assert.notEqual(r.id, msg.id)
    assert.equal(r.protocol, '')
    assert.equal(r.createdMs, T0 + 1000)
    assert.equal(r.ttlMs, 30_000)
    assert.equal(r.eph, undefined)
    assert.equal(r.ct, undefined)
    assert.equal(verifyEnvelope(r), true)
    const decoded = decodeEnvelope(wire(r), LIMITS)
    assert.deepEqual(decoded, r)
    assert.equal(verifyEnvelope({ ...r, src: a.id }), false, 'not A\'s signature')
    assert.equal(openMessage(a.keys, r), 'not a message')
    assert.equal(envelopeBytes(r), 512)
  })
})

describe('decodeEnvelope', () => {
  const msg = wire(sealAB())
  const receipt = wire(makeReceipt(b.keys, sealAB(), T0, 60_000))

  it('default: a sealed message and a receipt decode to themselves', () => {
    assert.deepEqual(decodeEnvelope(msg, LIMITS), msg)
    assert.deepEqual(decodeEnvelope(receipt, LIMITS), receipt)
  })

  it('error: every malformed shape is rejected with a reason naming the field', () => {
    const small: EnvelopeLimits = { maxPayloadBytes: 1024, maxTtlMs: 3_600_000 }
    const fits = wire(sealAB(new Uint8Array(1024)))
    const over = wire(sealAB(new Uint8Array(1025)))
    const cases: Array<[string, unknown, RegExp, EnvelopeLimits?]> = [
      ['null', null, /^envelope is not an object$/],
      ['a string', 'envelope', /^envelope is not an object$/],
      ['an array', [msg], /^envelope is not an object$/],
      ['a number', 42, /^envelope is not an object$/],
      ['v 2', { ...msg, v: 2 }, /version/],
      ['v "1"', { ...msg, v: '1' }, /version/],
      ['v missing', { ...msg, v: undefined }, /version/],
      ['kind note', { ...msg, kind: 'note' }, /kind/],
      ['kind missing', { ...msg, kind: undefined }, /kind/],
      ['id short', { ...msg, id: 'abc' }, /^id /],
      ['id 31 hex', { ...msg, id: 'a'.repeat(31) }, /^id /],
      ['id 33 hex', { ...msg, id: 'a'.repeat(33) }, /^id /],
      ['id upper case', { ...msg, id: 'A'.repeat(32) }, /^id /],
      ['id a number', { ...msg, id: 12345 }, /^id /],
      ['src not a peer id', { ...msg, src: 'not-a-peer-id' }, /src or dst/],
      ['dst not a peer id', { ...msg, dst: 'QmTooShort' }, /src or dst/],
      ['dst missing', { ...msg, dst: undefined }, /src or dst/],
      ['src == dst', { ...msg, dst: msg.src }, /src and dst/],
      ['createdMs negative', { ...msg, createdMs: -1 }, /createdMs/],
      ['createdMs a string', { ...msg, createdMs: String(T0) }, /createdMs/],
      ['ttlMs 0', { ...msg, ttlMs: 0 }, /ttlMs/],
      ['ttlMs over max', { ...msg, ttlMs: LIMITS.maxTtlMs + 1 }, /ttlMs/],
      ['ttlMs fractional', { ...msg, ttlMs: 1.5 }, /ttlMs/],
      ['sig 85 chars', { ...msg, sig: String(msg.sig).slice(1) }, /^sig /],
      ['sig 87 chars', { ...msg, sig: String(msg.sig) + 'A' }, /^sig /],
      ['sig standard base64', { ...msg, sig: '+' + String(msg.sig).slice(1) }, /^sig /],
      ['sig missing', { ...msg, sig: undefined }, /^sig /],
      ['protocol upper case', { ...msg, protocol: '/Meshbox/note/1' }, /^protocol /],
      ['protocol without leading slash', { ...msg, protocol: 'meshbox/note/1' }, /^protocol /],
      ['protocol of 65 characters', { ...msg, protocol: '/' + 'a'.repeat(64) }, /^protocol /],
      ['protocol empty', { ...msg, protocol: '' }, /^protocol /],
      ['protocol with a space', { ...msg, protocol: '/note 1' }, /^protocol /],
      ['message with ref', { ...msg, ref: 'a'.repeat(32) }, /ref/],
      ['eph wrong length', { ...msg, eph: String(msg.eph).slice(1) }, /^eph /],
      ['eph missing', { ...msg, eph: undefined }, /^eph /],
      ['nonce wrong length', { ...msg, nonce: String(msg.nonce) + 'AAAA' }, /^nonce /],
      ['ct not base64url', { ...msg, ct: 'a+b/' + String(msg.ct) }, /^ct /],
      ['ct missing', { ...msg, ct: undefined }, /^ct /],
      ['ct shorter than the tag', { ...msg, ct: 'AAAA' }, /^ct /],
      ['ct over maxPayloadBytes', over, /^ct .*1024 payload bytes/, small],
      ['ttlMs over a smaller max', { ...fits, ttlMs: small.maxTtlMs + 1 }, /ttlMs is not 1\.\.3600000/, small],
      ['receipt with ct', { ...receipt, ct: msg.ct }, /ciphertext/],
      ['receipt with eph', { ...receipt, eph: msg.eph }, /ciphertext/],
      ['receipt with nonce', { ...receipt, nonce: msg.nonce }, /ciphertext/],
      ['receipt with a protocol', { ...receipt, protocol: '/x/1' }, /protocol/],
      ['receipt without ref', { ...receipt, ref: undefined }, /^ref /],
      ['receipt with a bad ref', { ...receipt, ref: 'xyz' }, /^ref /]
    ]
    for (const [what, value, reason, limits] of cases) {
      const got = decodeEnvelope(value, limits ?? LIMITS)
      assert.equal(typeof got, 'string', `${what}: rejected (got ${JSON.stringify(got)?.slice(0, 80)})`)
      assert.match(got as string, reason, what)
    }
    // The edges just inside are accepted.
    assert.equal(typeof decodeEnvelope(fits, small), 'object', 'exactly maxPayloadBytes fits')
    assert.equal(typeof decodeEnvelope({ ...msg, protocol: '/' + 'a'.repeat(63) }, LIMITS), 'object', 'a protocol of 64 characters')
    assert.equal(typeof decodeEnvelope({ ...msg, ttlMs: LIMITS.maxTtlMs }, LIMITS), 'object', 'ttlMs = maxTtlMs')
    assert.equal(typeof decodeEnvelope({ ...msg, ttlMs: 1 }, LIMITS), 'object', 'ttlMs = 1')
  })

  it('behavior: unknown extra fields are dropped, not carried', () => {
    const got = decodeEnvelope({ ...msg, extra: 'x'.repeat(10) }, LIMITS)
    assert.equal(typeof got, 'object')
    assert.equal('extra' in (got as object), false)
  })
})

describe('peerKeys', () => {
  it('default: an Ed25519 peer id yields its keys (cached)', () => {
    const k = peerKeys(a.id)
    assert.ok(k !== undefined)
    assert.equal(k.verifying.asymmetricKeyType, 'ed25519')
    assert.equal(k.agreement.asymmetricKeyType, 'x25519')
    assert.equal(peerKeys(a.id), k)
  })

  it('error: garbage and non-Ed25519 peer ids have no keys', () => {
    for (const bad of ['', 'garbage', '12D3KooW', '12D3KooW' + '1'.repeat(44), 'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N', secpId]) {
      assert.equal(peerKeys(bad), undefined, bad)
    }
    assert.match(secpId, /^16Uiu2/, 'really a secp256k1 peer id')
  })
})
