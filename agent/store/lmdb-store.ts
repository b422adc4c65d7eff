/**
 * Store on LMDB. Writes in the same event turn share one commit (flash wear), and every write
 * promise resolves only after LMDB has flushed that commit to disk.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { openLmdb, type LmdbDatabase } from './lmdb-api.js'
import { AgentError, ErrorCode, errorMessage } from '../errors.js'
import { checkDataDirFilesystem } from './fs-check.js'
import type { Logger } from '../log/logger.js'
import type { BatchOp, RangeOptions, Store } from './store.js'

export interface LmdbStoreComponents { logger: Logger }

export interface LmdbStoreInit {
  dataDir: string
  /** For tests: a fixture instead of /proc/mounts. */
  mountsFile?: string
  /** File name inside dataDir. */
  fileName?: string
}

/** The smallest key greater than every key starting with `prefix` (undefined: no upper bound). */
export function prefixEnd (prefix: Uint8Array): Uint8Array | undefined {
  const end = Uint8Array.from(prefix)
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] !== 0xff) {
      end[i] = (end[i] as number) + 1
      return end.subarray(0, i + 1)
    }
  }
  return undefined
}

export function createLmdbStore (components: LmdbStoreComponents, init: LmdbStoreInit): Store {
  const log = components.logger
  const path = join(init.dataDir, init.fileName ?? 'store.mdb')
  let db: LmdbDatabase | undefined

  const live = (): LmdbDatabase => {
    if (db === undefined) throw new AgentError(ErrorCode.STORE_CLOSED, 'the store is not open')
    return db
  }

  return {
    name: 'store',
    async start () {
      if (db !== undefined) return
      await checkDataDirFilesystem(init.dataDir, init.mountsFile)
      try {
        await mkdir(init.dataDir, { recursive: true, mode: 0o700 })
        db = await openLmdb({ path, encoding: 'binary', keyEncoding: 'binary', compression: false, noSubdir: true })
      } catch (err) {
        throw new AgentError(ErrorCode.STORE_OPEN_FAILED, `cannot open the store at ${path}: ${errorMessage(err)}`, {
          cause: err,
          hints: ['check that the data directory is writable and not used by another agent']
        })
      }
      log.info('Store opened', { path })
    },
    async stop () {
      if (db === undefined) return
      const closing = db
      db = undefined
      await closing.flushed
      await closing.close()
      log.info('Store closed', { path })
    },
    async get (key) {
      const v = live().get(Buffer.from(key.buffer, key.byteOffset, key.byteLength))
      return v === undefined ? undefined : new Uint8Array(v)
    },
    async put (key, value) {
      await live().put(Buffer.from(key), Buffer.from(value))
    },
    async delete (key) {
      await live().remove(Buffer.from(key))
    },
    async * range (prefix: Uint8Array, options: RangeOptions = {}) {
      const end = prefixEnd(prefix)
      const range = live().getRange({
        start: Buffer.from(prefix),
        ...(end !== undefined ? { end: Buffer.from(end) } : {}),
        ...(options.limit !== undefined ? { limit: options.limit } : {})
      })
      for (const { key, value } of range) yield [new Uint8Array(key), new Uint8Array(value)]
    },
    async batch (ops: BatchOp[]) {
      const d = live()
      await d.transaction(() => {
        for (const op of ops) {
          if (op.type === 'put') void d.put(Buffer.from(op.key), Buffer.from(op.value))
          else void d.remove(Buffer.from(op.key))
        }
      })
    },
    sizeBytes () {
      return db === undefined ? 0 : sizeOf(db)
    }
  }
}

function sizeOf (db: LmdbDatabase): number {
  const stats = db.getStats() as { treeBranchPageCount?: number, treeLeafPageCount?: number, overflowPages?: number, pageSize?: number }
  const pages = (stats.treeBranchPageCount ?? 0) + (stats.treeLeafPageCount ?? 0) + (stats.overflowPages ?? 0)
  return pages * (stats.pageSize ?? 4096)
}
