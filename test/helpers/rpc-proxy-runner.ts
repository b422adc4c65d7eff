/**
 * A JSON-RPC proxy that lies: it forwards every request to an upstream node (anvil), after
 * `delayMs` (a slower honest source), and, in answers to eth_getBlockByNumber /
 * eth_getBlockByHash, alters the block numbered `block`:
 *   - mode `field`: flips a byte of stateRoot and leaves `hash` as it was (the hash no longer
 *     matches the fields);
 *   - mode `rehash`: sets gasUsed above gasLimit and recomputes `hash` over the altered fields (a
 *     self-consistent header that breaks the gas-used rule);
 *   - mode `none`: tells the truth.
 * Prints JSON lines: {"event":"listening","port":N} and {"event":"lied","block":N,"mode":…}.
 * Argument: JSON {"target": "http://127.0.0.1:8545", "block": 40, "mode": "field" | "rehash" | "none", "delayMs": 0}.
 * Run inside a test namespace only, with `--import tsx`.
 */
import { createServer } from 'node:http'
import { bytesToHex, headerFromRpc, headerHash } from '../../agent/chain/index.js'

const init = JSON.parse(process.argv[2] ?? '{}') as { target: string, block: number, mode: 'field' | 'rehash' | 'none', delayMs?: number }
const print = (line: Record<string, unknown>): void => { process.stdout.write(JSON.stringify({ ...line, t: Date.now() }) + '\n') }

type Call = { id: unknown, method: string }
type Answer = { id: unknown, result?: unknown }

function lie (block: Record<string, unknown>): Record<string, unknown> {
  if (init.mode === 'field') {
    const root = String(block.stateRoot)
    const flipped = (parseInt(root.slice(2, 4), 16) ^ 0xff).toString(16).padStart(2, '0')
    return { ...block, stateRoot: '0x' + flipped + root.slice(4) }
  }
  const altered = { ...block, gasUsed: '0x' + (BigInt(String(block.gasLimit)) + 1n).toString(16) }
  return { ...altered, hash: bytesToHex(headerHash(headerFromRpc(altered, { checkHash: false }))) }
}

function alter (calls: Call[], answers: Answer[]): void {
  if (init.mode === 'none') return
  for (const a of answers) {
    const call = calls.find(c => c.id === a.id)
    if (call === undefined || (call.method !== 'eth_getBlockByNumber' && call.method !== 'eth_getBlockByHash')) continue
    const block = a.result as Record<string, unknown> | null | undefined
    if (block === null || block === undefined || typeof block !== 'object' || block.number !== '0x' + init.block.toString(16)) continue
    a.result = lie(block)
    print({ event: 'lied', block: init.block, mode: init.mode, method: call.method })
  }
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    void (async () => {
      const body = Buffer.concat(chunks).toString('utf8')
      if ((init.delayMs ?? 0) > 0) await new Promise(resolve => setTimeout(resolve, init.delayMs))
      const upstream = await fetch(init.target, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
      const text = await upstream.text()
      let out = text
      try {
        const parsed = JSON.parse(text) as Answer | Answer[]
        const calls = JSON.parse(body) as Call | Call[]
        const answers = Array.isArray(parsed) ? parsed : [parsed]
        alter(Array.isArray(calls) ? calls : [calls], answers)
        out = JSON.stringify(parsed)
      } catch { /* pass it on as it is */ }
      res.writeHead(upstream.status, { 'content-type': 'application/json' })
      res.end(out)
    })().catch(err => { res.writeHead(502); res.end(String(err)) })
  })
})
server.listen(0, '127.0.0.1', () => {
  const a = server.address()
  print({ event: 'listening', port: typeof a === 'object' && a !== null ? a.port : 0 })
})
process.on('SIGTERM', () => { server.close(); process.exit(0) })
