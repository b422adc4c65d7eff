/**
 * `meshbox selftest`: open the store, start the node, check HTTP answers, stop; then recover a
 * known header seal in this thread and on a worker thread. It runs beside a live agent without
 * disturbing it: loopback listen address, any free HTTP port, no discovery.
 */
import { createAgent } from '../agent.js'
import { checkRecovery } from '../chain/seal/recover-check.js'
import { checkProfileAllowed } from '../config/load.js'
import { detectPlatform } from '../system/platform.js'
import { loadForArgs } from './start.js'
import { createLogger } from '../log/logger.js'
import { AgentError, ErrorCode } from '../errors.js'
import type { ParsedArgs } from './args.js'

export async function runSelftest (args: ParsedArgs): Promise<number> {
  const flags = new Map(args.flags)
  flags.set('http.host', '127.0.0.1')
  flags.set('http.port', 0)
  flags.set('mesh.listen', ['/ip4/127.0.0.1/tcp/0'])
  flags.set('mesh.discovery.enabled', false)
  const platform = await detectPlatform(process.env)
  const loaded = await loadForArgs({ ...args, flags }, platform)
  checkProfileAllowed(loaded)
  const { config, profile } = loaded
  const logger = createLogger({ level: config.log.level === 'debug' ? 'debug' : 'warn' })
  const agent = createAgent({ logger }, { config, profile })
  const checks: Array<[string, boolean]> = []
  try {
    await agent.start()
    checks.push(['store and identity', true], ['libp2p node', agent.status().addresses.length > 0])
    const res = await fetch(new URL('api/v1/health', agent.httpUrl()), { signal: AbortSignal.timeout(5_000) })
    const body = await res.json() as { ok?: boolean }
    checks.push(['http health', res.status === 200 && body.ok === true])
  } finally {
    await agent.stop()
  }
  // Which backend signer recovery loads (WASM from node_modules beside the bundle, or noble).
  const recovery = await checkRecovery({ logger })
  checks.push([`signer recovery (${recovery.here} here, ${recovery.workers} in a worker)`, recovery.ok])
  for (const [name, ok] of checks) process.stdout.write(`${ok ? 'ok  ' : 'FAIL'}  ${name}\n`)
  if (checks.some(([, ok]) => !ok)) throw new AgentError(ErrorCode.INTERNAL, 'selftest failed')
  process.stdout.write(`selftest passed (profile ${profile.id}, data ${config.dataDir})\n`)
  return 0
}
