/**
 * CLI entry: parse, load config, create the agent, handle signals. The polyfill import must stay
 * first: libp2p needs Promise.withResolvers, which Node 20 lacks.
 */
import './polyfills.js'
import { createAgent } from './agent.js'
import { USAGE, parseCli, type ParsedArgs } from './cli/args.js'
import { apiBase, callApi, formatChain, formatInbox, formatNeighbours, formatRoutes, formatSent, formatServices, formatStatus, formatTraceroute } from './cli/client.js'
import { loadConfig } from './config/load.js'
import { AgentError, ErrorCode, errorMessage } from './errors.js'
import { createLogger } from './log/logger.js'
import { newNetworkKey } from './mesh/network-key.js'
import { runSelftest } from './cli/selftest.js'
import { VERSION } from './version.js'

export const EXIT = { ok: 0, failure: 1, usage: 64, config: 78 } as const

const CONFIG_CODES = new Set<string>([ErrorCode.CONFIG_INVALID, ErrorCode.CONFIG_FILE_UNREADABLE, ErrorCode.PROFILE_UNKNOWN,
  ErrorCode.PROFILE_INVALID, ErrorCode.STORE_UNSUPPORTED_FS, ErrorCode.MESH_NETWORK_KEY_INVALID])

const STOP_DEADLINE_MS = 5_000

function exitCodeFor (err: unknown): number {
  if (err instanceof AgentError) {
    if (err.code === ErrorCode.USAGE) return EXIT.usage
    if (CONFIG_CODES.has(err.code)) return EXIT.config
  }
  return EXIT.failure
}

async function start (args: ParsedArgs): Promise<number> {
  const { config, profile } = await loadConfig({ ...(args.configFile !== undefined ? { configFile: args.configFile } : {}), env: process.env, flags: args.flags })
  const logger = createLogger({ level: config.log.level })
  if (profile.status !== 'supported') logger.warn('Hardware profile is not supported', { profile: profile.id, status: profile.status, reason: profile.statusReason })
  const agent = createAgent({ logger }, { config, profile })
  // A stray rejection inside a dependency is logged and survived; an uncaught exception is logged,
  // then ends the process so procd restarts it from a clean state.
  process.on('unhandledRejection', (reason) => { logger.error('Unhandled rejection', {}, reason) })
  process.on('uncaughtExceptionMonitor', (err) => { logger.error('Uncaught exception; exiting', {}, err) })
  const stopped = new Promise<number>(resolve => {
    const onSignal = (signal: NodeJS.Signals): void => {
      logger.info('Stopping', { signal })
      const force = setTimeout(() => { logger.error('Stop took too long; exiting', { deadlineMs: STOP_DEADLINE_MS }); resolve(EXIT.failure) }, STOP_DEADLINE_MS)
      force.unref()
      void agent.stop().then(() => { clearTimeout(force); logger.info('Agent stopped', {}); resolve(EXIT.ok) })
    }
    process.once('SIGTERM', onSignal)
    process.once('SIGINT', onSignal)
  })
  await agent.start()
  const st = agent.status()
  process.stderr.write(`meshbox ${VERSION} ready\n  peer id:     ${st.peerId}\n  addresses:   ${st.addresses.join('\n               ')}\n  status page: ${agent.httpUrl() ?? '-'}\n`)
  return await stopped
}

const DEFAULT_SEND_WAIT_MS = 5_000

function sendBody (args: ParsedArgs): Record<string, unknown> {
  return {
    peerId: args.positionals[0],
    text: args.positionals[1],
    waitMs: args.waitMs ?? DEFAULT_SEND_WAIT_MS,
    ...(args.ttlMs !== undefined ? { ttlMs: args.ttlMs } : {}),
    ...(args.protocol !== undefined ? { protocol: args.protocol } : {})
  }
}

async function client (args: ParsedArgs): Promise<number> {
  const { config } = await loadConfig({ ...(args.configFile !== undefined ? { configFile: args.configFile } : {}), env: process.env, flags: args.flags })
  const base = apiBase(config)
  const id = encodeURIComponent(args.positionals[0] ?? '')
  const [method, path] = ({
    status: ['GET', '/api/v1/status'],
    neighbours: ['GET', '/api/v1/neighbours'],
    'find-peer': ['GET', `/api/v1/peers/${id}`],
    ping: ['POST', `/api/v1/peers/${id}/ping`],
    throughput: ['POST', `/api/v1/peers/${id}/throughput`],
    routes: ['GET', '/api/v1/routes'],
    'mesh-ping': ['POST', '/api/v1/mesh/ping'],
    traceroute: ['POST', '/api/v1/mesh/traceroute'],
    services: ['GET', args.positionals[0] === undefined ? '/api/v1/services' : `/api/v1/services/${id}/nearest`],
    send: ['POST', '/api/v1/messages'],
    messages: ['GET', args.positionals[0] === undefined ? '/api/v1/messages' : `/api/v1/messages/${id}`],
    inbox: ['GET', '/api/v1/messages/inbox'],
    chain: ['GET', '/api/v1/chain']
  } as const)[args.command as 'status' | 'neighbours' | 'find-peer' | 'ping' | 'throughput' | 'routes' | 'mesh-ping' | 'traceroute' | 'services' | 'send' | 'messages' | 'inbox' | 'chain']
  const payload = args.command === 'throughput' && args.bytes !== undefined
    ? { bytes: args.bytes }
    : args.command === 'mesh-ping' || args.command === 'traceroute'
      ? { peerId: args.positionals[0] }
      : args.command === 'send' ? sendBody(args) : undefined
  const body = await callApi(base, method, path, payload)
  if (args.json) process.stdout.write(JSON.stringify(body, null, 2) + '\n')
  else if (args.command === 'neighbours') process.stdout.write(formatNeighbours(body as Array<Record<string, unknown>>) + '\n')
  else if (args.command === 'routes') process.stdout.write(formatRoutes(body as Array<Record<string, unknown>>) + '\n')
  else if (args.command === 'services' && args.positionals[0] === undefined) process.stdout.write(formatServices(body as Array<{ role: string, providers: Array<Record<string, unknown>>, nearest: { peerId: string } | null }>) + '\n')
  else if (args.command === 'send') process.stdout.write(formatSent(body as Record<string, unknown>) + '\n')
  else if (args.command === 'inbox') process.stdout.write(formatInbox(body as Array<Record<string, unknown>>) + '\n')
  else if (args.command === 'chain') process.stdout.write(formatChain(body as Record<string, unknown>) + '\n')
  else if (args.command === 'traceroute') process.stdout.write(formatTraceroute(body as { peerId: string, reached: boolean, hops: Array<Record<string, unknown>> }) + '\n')
  else process.stdout.write(formatStatus(body as Record<string, unknown>) + '\n')
  return EXIT.ok
}

export async function main (argv: string[]): Promise<number> {
  let args: ParsedArgs
  try {
    args = parseCli(argv)
  } catch (err) {
    const usage = err instanceof AgentError && err.code === ErrorCode.USAGE
    process.stderr.write(`meshbox: ${errorMessage(err)}\n${usage ? `\n${USAGE}\n` : ''}`)
    return exitCodeFor(err)
  }
  try {
    switch (args.command) {
      case 'help': process.stdout.write(USAGE + '\n'); return EXIT.ok
      case 'version': process.stdout.write(`meshbox ${VERSION}\n`); return EXIT.ok
      case 'mesh-key': process.stdout.write(newNetworkKey() + '\n'); return EXIT.ok
      case 'start': return await start(args)
      case 'selftest': return await runSelftest(args)
      default: return await client(args)
    }
  } catch (err) {
    process.stderr.write(`meshbox: ${err instanceof AgentError ? err.describe() : errorMessage(err)}\n`)
    return exitCodeFor(err)
  }
}

main(process.argv.slice(2)).then(code => { process.exit(code) }, (err: unknown) => {
  process.stderr.write(`meshbox: ${errorMessage(err)}\n`)
  process.exit(EXIT.failure)
})
