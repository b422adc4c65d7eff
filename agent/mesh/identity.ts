/**
 * The box's libp2p identity: an Ed25519 key created once, kept in `<dataDir>/identity.key`
 * (protobuf-encoded, mode 0600), so a restart keeps the same peer id. A damaged key file is never
 * overwritten: the owner decides whether to restore it or start over as a new peer.
 */
import { chmod, mkdir, open, readFile, rename, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PeerId, PrivateKey } from '@libp2p/interface'
import { AgentError, ErrorCode, errorMessage } from '../errors.js'
import type { Logger } from '../log/logger.js'

export const IDENTITY_FILE = 'identity.key'
const MAX_KEY_FILE_BYTES = 4096

export interface Identity { privateKey: PrivateKey, peerId: PeerId, created: boolean }

async function writeDurably (path: string, data: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp`
  const fh = await open(tmp, 'w', 0o600)
  try {
    await fh.writeFile(data)
    await fh.sync()
  } finally {
    await fh.close()
  }
  await rename(tmp, path)
  const dir = await open(join(path, '..'), 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
}

export async function loadOrCreateIdentity (dataDir: string, logger: Logger): Promise<Identity> {
  const path = join(dataDir, IDENTITY_FILE)
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  let bytes: Uint8Array | undefined
  try {
    const st = await stat(path)
    if (st.size > MAX_KEY_FILE_BYTES) throw new Error(`file is ${st.size} bytes, larger than any key`)
    if ((st.mode & 0o077) !== 0) {
      await chmod(path, 0o600)
      logger.warn('Identity file was readable by others; permissions fixed', { path, mode: (st.mode & 0o777).toString(8) })
    }
    bytes = await readFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new AgentError(ErrorCode.IDENTITY_INVALID, `cannot read the identity key ${path}: ${errorMessage(err)}`, { cause: err })
    }
  }
  if (bytes !== undefined) {
    let privateKey: PrivateKey
    try {
      privateKey = privateKeyFromProtobuf(bytes)
    } catch (err) {
      throw new AgentError(ErrorCode.IDENTITY_INVALID, `the identity key ${path} is damaged: ${errorMessage(err)}`, {
        cause: err,
        hints: ['restore it from a backup, or move it away to start as a new peer (neighbours will see a new peer id)']
      })
    }
    if (privateKey.type !== 'Ed25519') {
      throw new AgentError(ErrorCode.IDENTITY_INVALID, `the identity key ${path} is ${privateKey.type}, expected Ed25519`)
    }
    return { privateKey, peerId: peerIdFromPrivateKey(privateKey), created: false }
  }
  const privateKey = await generateKeyPair('Ed25519')
  await writeDurably(path, privateKeyToProtobuf(privateKey))
  const peerId = peerIdFromPrivateKey(privateKey)
  logger.info('Identity created', { peerId: peerId.toString(), path })
  return { privateKey, peerId, created: true }
}
