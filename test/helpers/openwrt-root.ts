/**
 * A fake OpenWrt root for the package's shell scripts: the real init script, uci-defaults script,
 * /usr/bin/meshbox, common.sh and profile table, next to our own stand-ins for rc.common,
 * functions.sh, procd.sh and node (test/package/fixtures/openwrt) and for the ubus, uci and logger
 * commands (test/package/fixtures/bin, first on PATH). Scripts run under BusyBox ash, the
 * router's shell, with BusyBox's awk, sed, grep and the rest next on PATH, as on a router.
 */
import { execFile } from 'node:child_process'
import { copyFile, mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { listProfiles } from '../../agent/config/profile.js'
import { profilesTable } from '../../scripts/package/stage.js'
import { tempDir } from './tmp.js'

const run = promisify(execFile)
const REPO = fileURLToPath(new URL('../../', import.meta.url))
export const FILES_DIR = join(REPO, 'openwrt/meshbox-agent/files')
const FIXTURES = join(REPO, 'test/package/fixtures')

export interface FakeRoot {
  root: string
  env: NodeJS.ProcessEnv
  procdLog: string
  uciState: string
  uciLog: string
  loggerLog: string
  /** Runs `busybox sh <args>` with the fake root's environment; resolves with stdout. */
  sh: (args: string[], extraEnv?: NodeJS.ProcessEnv) => Promise<string>
}

export interface FakeRootInit {
  /** /etc/config/meshbox; the shipped default when absent. */
  config?: string
  /** JSON that `ubus call system board` prints; none = ubus fails. */
  board?: Record<string, unknown>
}

let applets: Promise<string> | undefined

/** A directory of symlinks to busybox, one per applet, made once per process. */
async function busyboxApplets (): Promise<string> {
  applets ??= (async () => {
    const dir = tempDir('busybox-applets')
    const { stdout } = await run('busybox', ['--list'])
    const busybox = (await run('sh', ['-c', 'command -v busybox'])).stdout.trim()
    for (const name of stdout.split('\n').filter(n => /^[a-z0-9_.-]+$/.test(n))) await symlink(busybox, join(dir, name))
    return dir
  })()
  return await applets
}

async function place (src: string, dest: string): Promise<void> {
  await mkdir(dirname(dest), { recursive: true })
  await copyFile(src, dest)
}

export async function makeFakeRoot (init: FakeRootInit = {}): Promise<FakeRoot> {
  const dir = tempDir('openwrt-root')
  const root = join(dir, 'root')
  await place(join(FIXTURES, 'openwrt/rc.common'), join(root, 'etc/rc.common'))
  await place(join(FIXTURES, 'openwrt/functions.sh'), join(root, 'lib/functions.sh'))
  await place(join(FIXTURES, 'openwrt/procd.sh'), join(root, 'lib/functions/procd.sh'))
  await place(join(FILES_DIR, 'meshbox.init'), join(root, 'etc/init.d/meshbox'))
  await place(join(FILES_DIR, 'meshbox.uci-defaults'), join(root, 'etc/uci-defaults/90-meshbox'))
  await place(join(FILES_DIR, 'meshbox.common.sh'), join(root, 'usr/share/meshbox/common.sh'))
  await place(join(FILES_DIR, 'meshbox.wrapper'), join(root, 'usr/bin/meshbox'))
  await place(join(FIXTURES, 'openwrt/node'), join(root, 'usr/bin/node'))
  await writeFile(join(root, 'usr/share/meshbox/profiles'), profilesTable(listProfiles()))
  await mkdir(join(root, 'etc/config'), { recursive: true })
  await writeFile(join(root, 'etc/config/meshbox'), init.config ?? await readFile(join(FILES_DIR, 'meshbox.config'), 'utf8'))
  const env: NodeJS.ProcessEnv = {
    PATH: `${join(FIXTURES, 'bin')}:${await busyboxApplets()}:/usr/bin:/bin`,
    IPKG_INSTROOT: root,
    PROCD_LOG: join(dir, 'procd.log'),
    FAKE_UCI_STATE: join(dir, 'uci.state'),
    FAKE_UCI_LOG: join(dir, 'uci.log'),
    FAKE_LOGGER_LOG: join(dir, 'logger.log')
  }
  if (init.board !== undefined) {
    env.FAKE_UBUS_BOARD = join(dir, 'board.json')
    await writeFile(env.FAKE_UBUS_BOARD, JSON.stringify(init.board, null, '\t'))
  }
  for (const f of [env.PROCD_LOG, env.FAKE_UCI_STATE, env.FAKE_UCI_LOG, env.FAKE_LOGGER_LOG]) await writeFile(f as string, '')
  const sh = async (args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<string> =>
    (await run('busybox', ['sh', ...args], { env: { ...env, ...extraEnv }, cwd: dir, timeout: 20_000 })).stdout
  return { root, env, procdLog: env.PROCD_LOG as string, uciState: env.FAKE_UCI_STATE as string, uciLog: env.FAKE_UCI_LOG as string, loggerLog: env.FAKE_LOGGER_LOG as string, sh }
}

/** A UCI file (config/option/list lines) in `uci show` format, for the fake uci's state. */
export function uciShow (pkg: string, text: string): string {
  const out: string[] = []
  let section = ''
  let anon = 0
  const lists = new Map<string, number>()
  const unquote = (s: string): string => s.replace(/^'(.*)'$/, '$1').replace(/^"(.*)"$/, '$1')
  for (const raw of text.split('\n')) {
    const m = /^\s*(config|option|list)\s+(\S+)(?:\s+(.+?))?\s*$/.exec(raw)
    if (m === null) continue
    const [, kind, key = '', value] = m
    if (kind === 'config') {
      section = value !== undefined ? unquote(value) : `cfg${String(++anon).padStart(2, '0')}`
      out.push(`${pkg}.${section}=${key}`)
    } else if (kind === 'option') {
      out.push(`${pkg}.${section}.${key}='${unquote(value ?? '')}'`)
    } else {
      const path = `${pkg}.${section}.${key}`
      const at = lists.get(path)
      if (at === undefined) { lists.set(path, out.length); out.push(`${path}='${unquote(value ?? '')}'`) } else out[at] += ` '${unquote(value ?? '')}'`
    }
  }
  return out.join('\n') + '\n'
}

export interface ProcdCall { name: string, args: string[] }

export async function procdCalls (file: string): Promise<ProcdCall[]> {
  return (await readFile(file, 'utf8')).split('\n').filter(l => l !== '').map(l => {
    const [name = '', ...args] = l.split('\x1f')
    return { name, args }
  })
}

export interface ProcdInstance { name: string, command: string[], env: Record<string, string>, params: Record<string, string[]> }

/** Folds the recorded set_param/append_param calls into the instances procd would receive. */
export function procdInstances (calls: readonly ProcdCall[]): ProcdInstance[] {
  const out: ProcdInstance[] = []
  let cur: ProcdInstance | undefined
  for (const { name, args } of calls) {
    if (name === 'open_instance') { cur = { name: args[0] ?? '', command: [], env: {}, params: {} }; out.push(cur); continue }
    if (name === 'close_instance') { cur = undefined; continue }
    if (cur === undefined || (name !== 'set_param' && name !== 'append_param')) continue
    const [type = '', ...values] = args
    if (type === 'command') cur.command = name === 'set_param' ? values : [...cur.command, ...values]
    else if (type === 'env') {
      if (name === 'set_param') cur.env = {}
      for (const kv of values) cur.env[kv.slice(0, kv.indexOf('='))] = kv.slice(kv.indexOf('=') + 1)
    } else cur.params[type] = name === 'set_param' ? values : [...(cur.params[type] ?? []), ...values]
  }
  return out
}
