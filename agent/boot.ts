/**
 * Entry of the shipped bundle (dist/meshbox.mjs). It runs the agent (dist/meshbox-main.cjs)
 * through V8's code cache: compiling 1.4 MB of JavaScript costs about 60 ms at every start on an
 * x86 dev box, and several times that on a router's Cortex-A53, while loading cached code costs
 * a few ms. Node 20 (OpenWrt 24.10's) has no code cache for ES modules, hence a CommonJS bundle
 * run through vm.Script with cachedData.
 *
 * The cache is a pure optimisation: every problem (no writable directory, a rejected or damaged
 * cache) falls back to a plain compile, silently. Because cached code is executable, the cache
 * directory must belong to this user and be closed to others, and entries are keyed by a hash of
 * the bundle's contents, Node's version and the CPU architecture. The agent and the CLI commands
 * keep separate entries, since each holds what its own start compiled.
 * MESHBOX_CODE_CACHE_DIR chooses the directory (the OpenWrt init script points it at the data
 * directory); MESHBOX_CODE_CACHE=off turns the cache off.
 */
import { createHash } from 'node:crypto'
import { lstatSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import Module from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Script } from 'node:vm'

/** Written once the agent has started, so the functions compiled while starting are included. */
const WRITE_AFTER_MS = 10_000

const main = join(dirname(fileURLToPath(import.meta.url)), 'meshbox-main.cjs')
const source = readFileSync(main, 'utf8')

function cacheDir (): string | undefined {
  if (process.env.MESHBOX_CODE_CACHE === 'off') return undefined
  const uid = process.getuid?.() ?? 0
  const dir = process.env.MESHBOX_CODE_CACHE_DIR ?? join(tmpdir(), `meshbox-code-cache-${uid}`)
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const st = lstatSync(dir)
    return st.isDirectory() && st.uid === uid && (st.mode & 0o022) === 0 ? dir : undefined
  } catch {
    return undefined
  }
}

const dir = cacheDir()
const key = createHash('sha256').update(source).update(process.version).update(process.arch).digest('hex').slice(0, 24)
const role = process.argv[2] === 'start' ? 'agent' : 'cli'
const file = dir === undefined ? undefined : join(dir, `meshbox-${key}-${role}.v8`)
let cachedData: Buffer | undefined
try {
  if (file !== undefined) cachedData = readFileSync(file)
} catch {}

const script = new Script(Module.wrap(source), { filename: main, cachedData })
let written = false
const save = (): void => {
  if (written || file === undefined) return
  written = true
  try {
    const tmp = `${file}.${process.pid}.tmp`
    writeFileSync(tmp, script.createCachedData(), { mode: 0o600 })
    renameSync(tmp, file)
  } catch {}
}
if (file !== undefined && (cachedData === undefined || script.cachedDataRejected === true)) {
  setTimeout(save, WRITE_AFTER_MS).unref()
  process.once('exit', save)
}

// Code restored from the cache cannot use import() on Node 20, and CommonJS has no import.meta:
// lend ours (agent/system/import-external.ts).
Object.assign(globalThis, {
  [Symbol.for('meshbox.importExternal')]: async (specifier: string): Promise<unknown> => await import(specifier),
  [Symbol.for('meshbox.resolveExternal')]: (specifier: string): string => import.meta.resolve(specifier)
})
const run = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: { exports: object }, filename: string, dirname: string) => void
const module = { exports: {} }
run(module.exports, createRequire(main), module, main, dirname(main))
