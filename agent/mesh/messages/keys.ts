/**
 * Message keys, all derived from the libp2p Ed25519 identities: a box signs with its identity
 * key and decrypts with the X25519 twin of that key, and anyone can find both public halves of
 * a peer from its peer id alone (an Ed25519 peer id embeds its public key). So a message can be
 * sealed for a box that has never been met, and checked by every box it passes through.
 * Crypto runs in node:crypto (native); @noble/curves only converts Edwards keys to Montgomery.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'
import { ed25519 } from '@noble/curves/ed25519.js'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'

export interface OwnKeys {
  peerId: string
  signing: KeyObject
  /** X25519 secret for opening messages sealed for this box. */
  agreement: KeyObject
}

export interface PeerKeys { verifying: KeyObject, agreement: KeyObject }

const b64url = (b: Uint8Array): string => Buffer.from(b).toString('base64url')

export function ownKeys (peerId: string, privateKey: PrivateKey): OwnKeys {
  if (privateKey.type !== 'Ed25519') throw new Error(`message keys need an Ed25519 identity, not ${privateKey.type}`)
  const raw = privateKey.raw
  const seed = raw.subarray(0, 32)
  const pub = privateKey.publicKey.raw
  const xPub = ed25519.utils.toMontgomery(pub)
  const xSecret = ed25519.utils.toMontgomerySecret(seed)
  return {
    peerId,
    signing: createPrivateKey({ format: 'jwk', key: { kty: 'OKP', crv: 'Ed25519', d: b64url(seed), x: b64url(pub) } }),
    agreement: createPrivateKey({ format: 'jwk', key: { kty: 'OKP', crv: 'X25519', d: b64url(xSecret), x: b64url(xPub) } })
  }
}

const MAX_CACHED = 1024
const cache = new Map<string, PeerKeys>()

/** The public keys behind a peer id, or undefined when it does not embed an Ed25519 key. */
export function peerKeys (peerId: string): PeerKeys | undefined {
  const hit = cache.get(peerId)
  if (hit !== undefined) return hit
  let pub: Uint8Array
  try {
    const id = peerIdFromString(peerId)
    if (id.type !== 'Ed25519') return undefined
    pub = id.publicKey.raw
  } catch {
    return undefined
  }
  let keys: PeerKeys
  try {
    keys = {
      verifying: createPublicKey({ format: 'jwk', key: { kty: 'OKP', crv: 'Ed25519', x: b64url(pub) } }),
      agreement: createPublicKey({ format: 'jwk', key: { kty: 'OKP', crv: 'X25519', x: b64url(ed25519.utils.toMontgomery(pub)) } })
    }
  } catch {
    // Not a point on the curve: no box can own this id.
    return undefined
  }
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string)
  cache.set(peerId, keys)
  return keys
}
