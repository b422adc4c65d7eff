import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir } from '../helpers/tmp.js'
import { describe, it } from 'node:test'
import { AgentError, ErrorCode } from '../../agent/errors.js'
import { newNetworkKey, parseNetworkKey, readNetworkKey } from '../../agent/mesh/network-key.js'

const isKeyError = (pattern: RegExp) => (err: unknown): boolean =>
  err instanceof AgentError && err.code === ErrorCode.MESH_NETWORK_KEY_INVALID && pattern.test(err.message)

describe('mesh network key', () => {
  it('default: a new key parses and is 95 bytes in libp2p form', () => {
    const key = newNetworkKey()
    assert.match(key, /^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}$/)
    assert.equal(parseNetworkKey(key).byteLength, 95)
    assert.notEqual(newNetworkKey(), key)
  })

  it('behavior: CRLF, trailing newline and upper-case hex are accepted', () => {
    const hex = 'AB'.repeat(32)
    const bytes = parseNetworkKey(`/key/swarm/psk/1.0.0/\r\n/base16/\r\n${hex}\r\n`)
    assert.equal(new TextDecoder().decode(bytes).endsWith(hex.toLowerCase()), true)
  })

  it('error: each malformed part is named', () => {
    assert.throws(() => parseNetworkKey('hello'), isKeyError(/first line/))
    assert.throws(() => parseNetworkKey('/key/swarm/psk/1.0.0/\n/base64/\nxx'), isKeyError(/base16/))
    assert.throws(() => parseNetworkKey('/key/swarm/psk/1.0.0/\n/base16/\nabc'), isKeyError(/64 hexadecimal/))
    assert.throws(() => parseNetworkKey(`/key/swarm/psk/1.0.0/\n/base16/\n${'a'.repeat(64)}\nmore`), isKeyError(/after the key/))
  })

  it('error: missing or oversized files', async () => {
    await assert.rejects(readNetworkKey('/nonexistent/swarm.key'), isKeyError(/cannot be read/))
    const dir = tempDir('key')
    await writeFile(join(dir, 'big.key'), 'x'.repeat(2000))
    await assert.rejects(readNetworkKey(join(dir, 'big.key')), isKeyError(/larger than/))
  })
})
