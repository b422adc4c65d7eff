import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, it } from 'node:test'
import { readTree } from '../../scripts/package/stage.js'
import { readTar, treeOrder, writeTar, type TarEntry } from '../../scripts/package/tar.js'
import { tempDir } from '../helpers/tmp.js'

const run = promisify(execFile)
const MTIME = 1_700_000_000

/** A tree with what trips tar writers: names of exactly 100 bytes and longer, sort traps, modes. */
async function makeTree (): Promise<string> {
  const root = tempDir('tar-tree')
  const long = `${'d'.repeat(60)}/${'e'.repeat(60)}`
  await mkdir(join(root, long), { recursive: true })
  await mkdir(join(root, 'a-b'), { recursive: true })
  await mkdir(join(root, 'a/x'), { recursive: true })
  const files: Array<[string, string, number]> = [
    [`${long}/file.txt`, 'long path\n', 0o644],
    ['a98'.padEnd(98, 'z'), 'exactly 100 bytes with "./"\n', 0o644],
    ['a-b/run.sh', '#!/bin/sh\necho hi\n', 0o755],
    ['a/x/secret', 'mode 0600\n', 0o600],
    ['a/x/big', 'x'.repeat(5000), 0o644],
    ['a/empty', '', 0o644]
  ]
  for (const [rel, text, mode] of files) {
    await writeFile(join(root, rel), text)
    await chmod(join(root, rel), mode)
  }
  return root
}

describe('tar writer', () => {
  it('behavior: byte-identical to GNU tar --format=gnu --numeric-owner --owner=0 --group=0 --sort=name', async () => {
    const root = await makeTree()
    await chmod(root, 0o755)
    const gnu = join(tempDir('tar-out'), 'gnu.tar')
    await run('tar', ['--format=gnu', '--numeric-owner', '--owner=0', '--group=0', '--sort=name', `--mtime=@${MTIME}`, '-cf', gnu, '.'], { cwd: root })
    const ours = writeTar(await readTree(root), MTIME)
    const theirs = await readFile(gnu)
    assert.equal(ours.length, theirs.length)
    assert.ok(ours.equals(theirs), 'our tar differs from GNU tar')
  })

  it('behavior: read back: paths, modes, owners, mtime and contents', async () => {
    const entries: TarEntry[] = [
      { path: './', type: 'dir', mode: 0o755 },
      { path: `./${'n'.repeat(150)}`, type: 'file', mode: 0o600, data: Buffer.from('long') },
      { path: './b', type: 'file', mode: 0o755, data: Buffer.alloc(1025, 7) }
    ]
    const back = readTar(writeTar(entries, MTIME))
    assert.deepEqual(back.map(m => [m.path, m.type, m.mode, m.uid, m.gid, m.mtime, m.data.length]), [
      ['./', 'dir', 0o755, 0, 0, MTIME, 0],
      [`./${'n'.repeat(150)}`, 'file', 0o600, 0, 0, MTIME, 4],
      ['./b', 'file', 0o755, 0, 0, MTIME, 1025]
    ])
    assert.deepEqual(back[2]?.data, new Uint8Array(1025).fill(7))
  })

  it('behavior: sort order walks the tree like tar --sort=name ("a" and its children before "a-b")', () => {
    const paths = ['./a-b/', './a/x', './a/', './', './a-b/c', './Z']
    const sorted = paths.map(p => ({ path: p, type: 'file' as const, mode: 0o644 })).sort(treeOrder).map(e => e.path)
    assert.deepEqual(sorted, ['./', './Z', './a/', './a/x', './a-b/', './a-b/c'])
  })

  it('behavior: a whole archive is padded to 10240-byte records', () => {
    assert.equal(writeTar([], MTIME).length, 10240)
    assert.equal(writeTar([{ path: './f', type: 'file', mode: 0o644, data: Buffer.alloc(10000) }], MTIME).length, 20480)
  })
})
