import assert from 'node:assert/strict'
import { join } from 'node:path'
import { tempDir } from '../helpers/tmp.js'
import { describe, it } from 'node:test'
import { AgentError, ErrorCode } from '../../agent/errors.js'
import { silentLogger } from '../../agent/log/logger.js'
import { Bucket, bucketKey, bucketPrefix } from '../../agent/store/buckets.js'
import { checkDataDirFilesystem, effectiveMount, parseMounts } from '../../agent/store/fs-check.js'
import { createLmdbStore, prefixEnd } from '../../agent/store/lmdb-store.js'
import { recordStart } from '../../agent/store/meta.js'

const fixture = (name: string): string => new URL(`../fixtures/mounts/${name}`, import.meta.url).pathname
const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array | undefined): string | undefined => b === undefined ? undefined : new TextDecoder().decode(b)

async function tempStore (mountsFile = fixture('debian-ext4.txt')) {
  const dataDir = tempDir('store')
  const store = createLmdbStore({ logger: silentLogger }, { dataDir, mountsFile })
  await store.start()
  return { store, dataDir }
}

async function collect (it: AsyncIterable<[Uint8Array, Uint8Array]>): Promise<string[]> {
  const out: string[] = []
  for await (const [k, v] of it) out.push(`${dec(k.subarray(1))}=${dec(v)}`)
  return out
}

describe('LMDB store', () => {
  it('default: get, put, delete', async () => {
    const { store } = await tempStore()
    const key = bucketKey(Bucket.meta, 'a')
    assert.equal(await store.get(key), undefined)
    await store.put(key, enc('1'))
    assert.equal(dec(await store.get(key)), '1')
    await store.delete(key)
    assert.equal(await store.get(key), undefined)
    await store.stop()
  })

  it('behavior: range returns exactly the prefix, in key order, with a limit', async () => {
    const { store } = await tempStore()
    for (const k of ['b', 'a\u0000x', 'a', 'ab', 'c']) await store.put(bucketKey(Bucket.meta, k), enc(k.toUpperCase()))
    await store.put(Uint8Array.of(Bucket.meta + 1, 0x61), enc('other bucket'))
    assert.deepEqual(await collect(store.range(bucketKey(Bucket.meta, 'a'))), ['a=A', 'a\u0000x=A\u0000X', 'ab=AB'])
    assert.deepEqual((await collect(store.range(bucketPrefix(Bucket.meta)))).length, 5)
    assert.deepEqual(await collect(store.range(bucketPrefix(Bucket.meta), { limit: 2 })), ['a=A', 'a\u0000x=A\u0000X'])
    await store.stop()
  })

  it('behavior: batch is atomic and durable across reopen', async () => {
    const { store, dataDir } = await tempStore()
    await store.put(bucketKey(Bucket.meta, 'gone'), enc('x'))
    await store.batch([
      { type: 'put', key: bucketKey(Bucket.meta, 'k1'), value: enc('v1') },
      { type: 'put', key: bucketKey(Bucket.meta, 'k2'), value: enc('v2') },
      { type: 'delete', key: bucketKey(Bucket.meta, 'gone') }
    ])
    await store.stop()
    await store.stop() // twice is harmless
    const again = createLmdbStore({ logger: silentLogger }, { dataDir, mountsFile: fixture('debian-ext4.txt') })
    await again.start()
    await again.start()
    assert.equal(dec(await again.get(bucketKey(Bucket.meta, 'k2'))), 'v2')
    assert.equal(await again.get(bucketKey(Bucket.meta, 'gone')), undefined)
    assert.ok(again.sizeBytes() > 0)
    await again.stop()
  })

  it('behavior: start counter persists', async () => {
    const { store } = await tempStore()
    const first = await recordStart(store, 1000)
    const second = await recordStart(store, 2000)
    assert.deepEqual(first, { starts: 1, firstStartMs: 1000 })
    assert.deepEqual(second, { starts: 2, firstStartMs: 1000 })
    await store.stop()
  })

  it('error: use after stop names the problem', async () => {
    const { store } = await tempStore()
    await store.stop()
    await assert.rejects(store.get(bucketKey(Bucket.meta, 'a')), (err: unknown) => err instanceof AgentError && err.code === ErrorCode.STORE_CLOSED)
  })

  it('error: overlong keys are refused', () => {
    assert.throws(() => bucketKey(Bucket.meta, 'x'.repeat(600)), (err: unknown) => err instanceof AgentError && err.code === ErrorCode.STORE_KEY_INVALID)
  })

  it('behavior: prefixEnd', () => {
    assert.deepEqual(prefixEnd(Uint8Array.of(1, 2)), Uint8Array.of(1, 3))
    assert.deepEqual(prefixEnd(Uint8Array.of(1, 0xff)), Uint8Array.of(2))
    assert.equal(prefixEnd(Uint8Array.of(0xff, 0xff)), undefined)
  })
})

describe('data directory filesystem check', () => {
  it('error: JFFS2 overlay is refused with a message naming the fix', async () => {
    await assert.rejects(checkDataDirFilesystem('/srv/meshbox', fixture('openwrt-jffs2.txt')), (err: unknown) => {
      assert.ok(err instanceof AgentError)
      assert.equal(err.code, ErrorCode.STORE_UNSUPPORTED_FS)
      assert.match(err.message, /JFFS2.*\/overlay/)
      assert.match(err.describe(), /tmpfs|UBIFS|ext4/)
      return true
    })
  })

  it('error: the store refuses to open there, before touching the disk', async () => {
    const dataDir = join(tempDir('jffs2', '/var/tmp'), 'data')
    // /var/tmp sits on "/" in the fixture, which is an overlay whose upper layer is JFFS2
    const store = createLmdbStore({ logger: silentLogger }, { dataDir, mountsFile: fixture('openwrt-jffs2.txt') })
    await assert.rejects(store.start(), /JFFS2/)
  })

  it('behavior: tmpfs and f2fs are accepted; an escaped mount point is parsed', async () => {
    assert.equal((await checkDataDirFilesystem('/tmp/meshbox', fixture('openwrt-jffs2.txt')))?.fsType, 'tmpfs')
    assert.equal((await checkDataDirFilesystem('/srv/meshbox', fixture('openwrt-f2fs.txt')))?.fsType, 'f2fs')
    const mounts = parseMounts('/dev/x /mnt/old\\040data jffs2 rw 0 0\n')
    assert.equal(mounts[0]?.mountPoint, '/mnt/old data')
    assert.equal(effectiveMount(parseMounts(`/dev/x /mnt/old\\040data jffs2 rw 0 0\n/dev/y / ext4 rw 0 0`), '/mnt/old data/db')?.fsType, 'jffs2')
  })

  it('behavior: no mounts file (not Linux) means nothing to check', async () => {
    assert.equal(await checkDataDirFilesystem('/srv/meshbox', '/nonexistent/mounts'), undefined)
  })
})
