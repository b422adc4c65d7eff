/**
 * Envelopes: what travels end to end. A `msg` is encrypted for its destination (ephemeral X25519
 * with the destination's identity, HKDF-SHA256, ChaCha20-Poly1305 with the header as associated
 * data) and signed by its source over everything, so a box on the way can check who sent it
 * without being able to read it, and cannot alter or forge it. A `receipt` is the destination's
 * signed word that it holds the message `ref`. Pure functions; wire format in README.md.
 */
import { createCipheriv, createDecipheriv, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, sign, verify } from 'node:crypto'
import { isPeerIdText } from '../routing/wire.js'
import { peerKeys, type OwnKeys } from './keys.js'

export type EnvelopeKind = 'msg' | 'receipt'

export interface Envelope {
  v: 1
  kind: EnvelopeKind
  /** 32 hex digits, random, chosen by the source: the de-duplication and replay key. */
  id: string
  src: string
  dst: string
  /** What the payload is for (`handle(protocol)`); empty in receipts. */
  protocol: string
  /** Source's clock when sealed, and how long the mesh may keep trying. */
  createdMs: number
  ttlMs: number
  /** receipt: the message it acknowledges */
  ref?: string
  /** msg: ephemeral X25519 public key, nonce, ciphertext with tag (base64url) */
  eph?: string
  nonce?: string
  ct?: string
  /** Ed25519 signature by `src` (base64url) */
  sig: string
}

export interface EnvelopeLimits { maxPayloadBytes: number, maxTtlMs: number }

export const PROTOCOL_PATTERN = /^\/[a-z0-9][a-z0-9._/-]{0,62}$/
const ID_PATTERN = /^[0-9a-f]{32}$/
const TAG_BYTES = 16
const SIGN_CONTEXT = 'meshbox/msg/1\n'
const KDF_INFO = Buffer.from('meshbox/msg/1 key')

export const newMessageId = (): string => randomBytes(16).toString('hex')

const header = (e: Envelope): unknown[] => [e.v, e.kind, e.id, e.src, e.dst, e.protocol, e.createdMs, e.ttlMs]
const signedBytes = (e: Envelope): Buffer =>
  Buffer.from(SIGN_CONTEXT + JSON.stringify([...header(e), e.ref ?? '', e.eph ?? '', e.nonce ?? '', e.ct ?? '']))
const fromB64 = (s: string): Buffer => Buffer.from(s, 'base64url')

/** Bytes an envelope costs in quotas: its ciphertext plus a fixed allowance for the header. */
export const envelopeBytes = (e: Envelope): number => 512 + (e.ct?.length ?? 0)

const isInt = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max
/** Canonical base64url only: one spelling per byte string, so equal envelopes are equal texts. */
const isB64 = (v: unknown, maxLength: number): v is string =>
  typeof v === 'string' && v.length <= maxLength && /^[A-Za-z0-9_-]*$/.test(v) && Buffer.from(v, 'base64url').toString('base64url') === v
const b64Length = (bytes: number): number => Math.ceil(bytes * 4 / 3)

/** Shape and bounds only; the signature is checked by verifyEnvelope. */
export function decodeEnvelope (v: unknown, limits: EnvelopeLimits): Envelope | string {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'envelope is not an object'
  const e = v as Record<string, unknown>
  if (e.v !== 1) return 'unknown envelope version'
  if (e.kind !== 'msg' && e.kind !== 'receipt') return 'unknown envelope kind'
  if (typeof e.id !== 'string' || !ID_PATTERN.test(e.id)) return 'id is not 32 hex digits'
  if (!isPeerIdText(e.src) || !isPeerIdText(e.dst)) return 'src or dst is not a peer id'
  if (e.src === e.dst) return 'src and dst are the same box'
  if (!isInt(e.createdMs, 0, 2 ** 50)) return 'createdMs is not a time'
  if (!isInt(e.ttlMs, 1, limits.maxTtlMs)) return `ttlMs is not 1..${limits.maxTtlMs}`
  if (!isB64(e.sig, 86) || e.sig.length !== 86) return 'sig is not a 64-byte base64url signature'
  const base = { v: 1 as const, id: e.id, src: e.src, dst: e.dst, createdMs: e.createdMs, ttlMs: e.ttlMs, sig: e.sig }
  if (e.kind === 'receipt') {
    if (e.protocol !== '') return 'a receipt has an empty protocol'
    if (typeof e.ref !== 'string' || !ID_PATTERN.test(e.ref)) return 'ref is not 32 hex digits'
    if (e.eph !== undefined || e.nonce !== undefined || e.ct !== undefined) return 'a receipt carries no ciphertext'
    return { ...base, kind: 'receipt', protocol: '', ref: e.ref }
  }
  if (typeof e.protocol !== 'string' || !PROTOCOL_PATTERN.test(e.protocol)) return 'protocol is not like /name/1 (lower case, at most 64 characters)'
  if (e.ref !== undefined) return 'a message carries no ref'
  if (!isB64(e.eph, 43) || e.eph.length !== 43) return 'eph is not a 32-byte base64url key'
  if (!isB64(e.nonce, 16) || e.nonce.length !== 16) return 'nonce is not 12 bytes of base64url'
  if (!isB64(e.ct, b64Length(limits.maxPayloadBytes + TAG_BYTES))) return `ct is not base64url of at most ${limits.maxPayloadBytes} payload bytes`
  if (e.ct.length < b64Length(TAG_BYTES)) return 'ct is shorter than its tag'
  return { ...base, kind: 'msg', protocol: e.protocol, eph: e.eph, nonce: e.nonce, ct: e.ct }
}

/** True when `src` really signed this envelope, exactly as it is. */
export function verifyEnvelope (e: Envelope): boolean {
  const keys = peerKeys(e.src)
  if (keys === undefined) return false
  try {
    return verify(null, signedBytes(e), keys.verifying, fromB64(e.sig))
  } catch {
    return false
  }
}

const seal = (own: OwnKeys, e: Omit<Envelope, 'sig'>): Envelope => {
  const unsigned = { ...e, sig: '' }
  return { ...unsigned, sig: sign(null, signedBytes(unsigned), own.signing).toString('base64url') }
}

export interface SealInit { dst: string, protocol: string, payload: Uint8Array, ttlMs: number, createdMs: number, id?: string }

/** Encrypts `payload` for `dst` and signs the result. Throws when `dst` has no usable keys. */
export function sealMessage (own: OwnKeys, init: SealInit): Envelope {
  const to = peerKeys(init.dst)
  if (to === undefined) throw new Error(`${init.dst} is not an Ed25519 peer id; messages cannot be sealed for it`)
  const eph = generateKeyPairSync('x25519')
  const ephRaw = eph.publicKey.export({ format: 'jwk' }).x as string
  const e: Omit<Envelope, 'sig'> = {
    v: 1, kind: 'msg', id: init.id ?? newMessageId(), src: own.peerId, dst: init.dst, protocol: init.protocol,
    createdMs: init.createdMs, ttlMs: init.ttlMs, eph: ephRaw
  }
  const key = messageKey(diffieHellman({ privateKey: eph.privateKey, publicKey: to.agreement }), fromB64(ephRaw), init.dst)
  const nonce = randomBytes(12)
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_BYTES })
  cipher.setAAD(Buffer.from(JSON.stringify(header({ ...e, sig: '' }))), { plaintextLength: init.payload.byteLength })
  const ct = Buffer.concat([cipher.update(init.payload), cipher.final(), cipher.getAuthTag()])
  return seal(own, { ...e, nonce: nonce.toString('base64url'), ct: ct.toString('base64url') })
}

/** Decrypts a message sealed for this box: the payload, or why it cannot be opened. */
export function openMessage (own: OwnKeys, e: Envelope): Uint8Array | string {
  if (e.kind !== 'msg' || e.eph === undefined || e.nonce === undefined || e.ct === undefined) return 'not a message'
  if (e.dst !== own.peerId) return 'sealed for another box'
  try {
    const ephKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: e.eph }, format: 'jwk' })
    const shared = diffieHellman({ privateKey: own.agreement, publicKey: ephKey })
    const key = messageKey(shared, fromB64(e.eph), own.peerId)
    const ct = fromB64(e.ct)
    const decipher = createDecipheriv('chacha20-poly1305', key, fromB64(e.nonce), { authTagLength: TAG_BYTES })
    decipher.setAAD(Buffer.from(JSON.stringify(header(e))), { plaintextLength: ct.byteLength - TAG_BYTES })
    decipher.setAuthTag(ct.subarray(ct.byteLength - TAG_BYTES))
    return new Uint8Array(Buffer.concat([decipher.update(ct.subarray(0, ct.byteLength - TAG_BYTES)), decipher.final()]))
  } catch {
    return 'does not decrypt (damaged, or not sealed with this box\'s key)'
  }
}

/** The destination's signed acknowledgement of `msg`, travelling back to its source. */
export function makeReceipt (own: OwnKeys, msg: Envelope, createdMs: number, ttlMs: number): Envelope {
  return seal(own, { v: 1, kind: 'receipt', id: newMessageId(), src: own.peerId, dst: msg.src, protocol: '', createdMs, ttlMs, ref: msg.id })
}

function messageKey (shared: Buffer, ephPublic: Uint8Array, dst: string): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, ephPublic, Buffer.concat([KDF_INFO, Buffer.from(dst)]), 32))
}
