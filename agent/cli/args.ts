/**
 * Command-line parsing. Flags map onto configuration paths and are validated by the same rules
 * as the file and environment layers; unknown flags are a usage error (exit 64).
 */
import { parseArgs } from 'node:util'
import { AgentError, ErrorCode } from '../errors.js'
import { FIELD_BY_PATH } from '../config/fields.js'
import { checkValue, parseText, type Layer } from '../config/validate.js'

export const COMMANDS = ['start', 'status', 'neighbours', 'find-peer', 'ping', 'throughput', 'routes', 'mesh-ping', 'traceroute', 'services', 'send', 'messages', 'inbox', 'version', 'selftest', 'mesh-key', 'chain', 'system', 'wifi', 'profile', 'help'] as const
export type Command = typeof COMMANDS[number]

/** Flags that set configuration keys. */
export const CONFIG_FLAGS: Record<string, string> = {
  'data-dir': 'dataDir',
  profile: 'profile',
  'http-host': 'http.host',
  'http-port': 'http.port',
  listen: 'mesh.listen',
  'log-level': 'log.level',
  'network-key-file': 'mesh.networkKeyFile',
  chain: 'chain.preset',
  'chain-rpc': 'chain.rpc'
}

/** Config flags that may be given several times (each adds a list entry). */
const REPEATABLE_FLAGS = new Set(['listen', 'chain-rpc'])

export const USAGE = `Usage: meshbox <command> [flags]

Commands:
  start                 run the agent (until SIGTERM/SIGINT)
  status                show the running agent's status
  neighbours            list the running agent's neighbours
  find-peer <peerId>    look a peer up in the mesh (DHT)
  ping <peerId>         connect to a peer (directly or through a relay) and ping it
  throughput <peerId>   send --bytes (default 10000000) on one stream and report MB/s
  routes                show the route table (every box reachable through the mesh)
  mesh-ping <peerId>    round trip over the routed path, with its hop count
  traceroute <peerId>   every hop on the routed path with its RTT
  services [role]       roles announced in the mesh and their providers; with a role, the nearest
  send <peerId> <text>  send a note end to end (stored and forwarded until delivered or --ttl-ms)
  messages [id]         messages this box holds and sent; with an id, that message's status
  inbox                 messages delivered here that no component has taken
  chain                 the light chain node: preset, anchor, verified head and its age, upstream sources
  system                CPU, load, memory, temperatures, interfaces with traffic, data-dir disk
  wifi [scan [device]]  radios and the phones connected; with scan, the networks around
  profile               the hardware profile start would use here, and how it was chosen (--json for the init script)
  version               print the version
  selftest              open the store, start the node, check HTTP, stop; exit 0 if all is well
  mesh-key              print a new mesh network key (copy the same file to every box)

Flags:
  --config <file>             JSON configuration file
  --data-dir <dir>            store and identity directory (default ./.meshbox-data)
  --profile <id>              hardware profile (default auto: the board's on OpenWrt, x86-64-lab elsewhere)
  --allow-unsupported         start even on a board whose profile is marked unsupported
  --http-host <addr>          HTTP API address (default 127.0.0.1)
  --http-port <port>          HTTP API port (default 8080)
  --listen <multiaddr>        libp2p listen address; repeat for more
  --log-level <level>         debug, info, warn, error or silent
  --network-key-file <file>   private mesh key (libp2p pnet); omit for an open mesh
  --chain <preset>            chain: mainnet (default), testnet or dev (a local anvil node)
  --chain-rpc <url>           upstream JSON-RPC node (http/https); repeat for more; none = headers from the mesh
  --bytes <n>                 throughput: bytes to send
  --wait-ms <n>               send: wait this long for the receipt (default 5000, at most http.requestTimeoutMs; 0 = just queue)
  --ttl-ms <n>                send: how long the mesh keeps trying (default mesh.messages.defaultTtlMs)
  --protocol <name>           send: the message protocol (default /meshbox/note/1)
  --json                      print raw JSON (status, neighbours, system, wifi, profile…)
  -h, --help                  this text

Exit codes: 0 ok, 64 usage, 78 configuration, 1 failure.`

export interface ParsedArgs {
  command: Command
  positionals: string[]
  configFile?: string
  json: boolean
  bytes?: number
  /** send: wait for the receipt, time to live, protocol */
  waitMs?: number
  ttlMs?: number
  protocol?: string
  flags: Layer
}

function usage (message: string): AgentError {
  return new AgentError(ErrorCode.USAGE, message)
}

export function parseCli (argv: string[]): ParsedArgs {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string' },
        json: { type: 'boolean' },
        bytes: { type: 'string' },
        'wait-ms': { type: 'string' },
        'ttl-ms': { type: 'string' },
        protocol: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        'allow-unsupported': { type: 'boolean' },
        ...Object.fromEntries(Object.keys(CONFIG_FLAGS).map(k => [k, { type: 'string' as const, multiple: REPEATABLE_FLAGS.has(k) }]))
      }
    })
  } catch (err) {
    throw usage((err as Error).message)
  }
  const [first, ...rest] = parsed.positionals
  const command = parsed.values.help === true ? 'help' : (first ?? 'help')
  if (!(COMMANDS as readonly string[]).includes(command)) throw usage(`unknown command "${command.slice(0, 40)}"`)
  const flags: Layer = new Map()
  for (const [flag, path] of Object.entries(CONFIG_FLAGS)) {
    const value = (parsed.values as Record<string, string | string[] | boolean | undefined>)[flag]
    if (value === undefined || typeof value === 'boolean') continue
    const field = FIELD_BY_PATH.get(path)
    if (field === undefined) continue
    const source = `flag --${flag}`
    flags.set(path, Array.isArray(value) ? checkValue(field, value, source) : parseText(field, value, source))
  }
  if (parsed.values['allow-unsupported'] === true) flags.set('allowUnsupported', true)
  const wantsId = ['find-peer', 'ping', 'throughput', 'mesh-ping', 'traceroute'].includes(command)
  let bytes: number | undefined
  if (parsed.values.bytes !== undefined) {
    bytes = Number(parsed.values.bytes)
    if (command !== 'throughput') throw usage('--bytes goes with throughput')
    if (!Number.isInteger(bytes) || bytes < 1) throw usage(`--bytes must be a positive integer, got "${parsed.values.bytes.slice(0, 20)}"`)
  }
  const send = sendFlags(command, parsed.values)
  if (wantsId && rest.length !== 1) throw usage(`${command} takes exactly one peer id`)
  if (command === 'send' && rest.length !== 2) throw usage('send takes a peer id and the text (quote it)')
  if (command === 'messages' && rest.length > 1) throw usage('messages takes at most one message id')
  if (command === 'services' && rest.length > 1) throw usage('services takes at most one role')
  if (command === 'wifi' && (rest.length > 2 || (rest.length > 0 && rest[0] !== 'scan'))) throw usage('wifi takes nothing, or scan and an optional device')
  if (!wantsId && !['services', 'send', 'messages', 'wifi'].includes(command) && rest.length > 0) throw usage(`unexpected argument "${String(rest[0]).slice(0, 40)}"`)
  return {
    command: command as Command,
    positionals: rest,
    ...(parsed.values.config !== undefined ? { configFile: parsed.values.config } : {}),
    json: parsed.values.json === true,
    ...(bytes !== undefined ? { bytes } : {}),
    ...send,
    flags
  }
}

function sendFlags (command: string, values: Record<string, unknown>): { waitMs?: number, ttlMs?: number, protocol?: string } {
  const out: { waitMs?: number, ttlMs?: number, protocol?: string } = {}
  for (const [flag, key] of [['wait-ms', 'waitMs'], ['ttl-ms', 'ttlMs']] as const) {
    const raw = values[flag]
    if (raw === undefined) continue
    if (command !== 'send') throw usage(`--${flag} goes with send`)
    const n = Number(raw)
    if (typeof raw !== 'string' || !Number.isInteger(n) || n < 0) throw usage(`--${flag} must be a whole number of milliseconds, got "${String(raw).slice(0, 20)}"`)
    out[key] = n
  }
  if (values.protocol !== undefined) {
    if (command !== 'send') throw usage('--protocol goes with send')
    out.protocol = String(values.protocol)
  }
  return out
}
