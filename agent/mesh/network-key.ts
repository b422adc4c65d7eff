/**
 * The optional mesh network key (libp2p private network, "swarm key" v1 format):
 *   /key/swarm/psk/1.0.0/\n/base16/\n<64 hex digits>
 * Boxes with the same key talk only to each other; without one the mesh is open.
 */
import { readFile, stat } from 'node:fs/promises'
import { generateKey } from '@libp2p/pnet'
import { AgentError, ErrorCode, errorMessage } from '../errors.js'

const HEADER = '/key/swarm/psk/1.0.0/'
const MAX_FILE_BYTES = 1024

function invalid (path: string, what: string): AgentError {
  return new AgentError(ErrorCode.MESH_NETWORK_KEY_INVALID, `mesh network key ${path}: ${what}`, {
    data: { path },
    hints: ['create one with `meshbox mesh-key > swarm.key` and copy the same file to every box of the mesh']
  })
}

/** Checks the text of a swarm key and returns the bytes libp2p's protector expects. */
export function parseNetworkKey (text: string, path = 'key'): Uint8Array {
  const lines = text.replace(/\r/g, '').split('\n').filter(l => l.trim() !== '')
  if (lines[0] !== HEADER) throw invalid(path, `first line must be ${HEADER}`)
  if (lines[1] !== '/base16/') throw invalid(path, 'second line must be /base16/ (other encodings are not supported)')
  const hex = lines[2]?.trim() ?? ''
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw invalid(path, 'third line must be 64 hexadecimal digits (32 bytes)')
  if (lines.length > 3) throw invalid(path, 'unexpected text after the key')
  return new TextEncoder().encode(`${HEADER}\n/base16/\n${hex.toLowerCase()}`)
}

export async function readNetworkKey (path: string): Promise<Uint8Array> {
  let text: string
  try {
    if ((await stat(path)).size > MAX_FILE_BYTES) throw new Error(`larger than ${MAX_FILE_BYTES} bytes`)
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw invalid(path, `cannot be read: ${errorMessage(err)}`)
  }
  return parseNetworkKey(text, path)
}

export function newNetworkKey (): string {
  const bytes = new Uint8Array(95)
  generateKey(bytes)
  return new TextDecoder().decode(bytes)
}
