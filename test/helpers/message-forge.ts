/**
 * Boxes and forgeries for the message tests. `resign` signs an envelope with any key, using the
 * signed bytes exactly as agent/mesh/messages/README.md documents them (written here again, not
 * imported), so a test that re-signs with the real source also checks that the code matches the
 * documented wire format. Used by the unit tests and by the hostile message runner.
 */
import { sign, type KeyObject } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import type { Envelope } from '../../agent/mesh/messages/envelope.js'
import { ownKeys, type OwnKeys } from '../../agent/mesh/messages/keys.js'

export interface Box { id: string, keys: OwnKeys, privateKey: PrivateKey }

/** A box with a fresh Ed25519 identity. */
export async function newBox (): Promise<Box> {
  const privateKey = await generateKeyPair('Ed25519')
  const id = peerIdFromPrivateKey(privateKey).toString()
  return { id, keys: ownKeys(id, privateKey), privateKey }
}

/** `"meshbox/msg/1\n"` + JSON([v, kind, id, src, dst, protocol, createdMs, ttlMs, ref, eph, nonce, ct]), absent fields as "". */
export function specSignedBytes (e: Envelope): Buffer {
  const fields = [e.v, e.kind, e.id, e.src, e.dst, e.protocol, e.createdMs, e.ttlMs, e.ref ?? '', e.eph ?? '', e.nonce ?? '', e.ct ?? '']
  return Buffer.from('meshbox/msg/1\n' + JSON.stringify(fields))
}

/** The envelope as it is, with a fresh signature by `signing` (whoever `src` claims to be). */
export function resign (e: Envelope, signing: KeyObject): Envelope {
  return { ...e, sig: sign(null, specSignedBytes(e), signing).toString('base64url') }
}

/** The ciphertext with one bit flipped (canonical base64url again). */
export function flipCtBit (e: Envelope, byte = 0, bit = 0): Envelope {
  const ct = Buffer.from(e.ct ?? '', 'base64url')
  ct[byte] = (ct[byte] ?? 0) ^ (1 << bit)
  return { ...e, ct: ct.toString('base64url') }
}
