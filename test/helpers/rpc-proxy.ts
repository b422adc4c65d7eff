/**
 * Starts test/helpers/rpc-proxy-runner.ts (a JSON-RPC proxy in front of anvil that can lie about
 * one block, or just answer slowly) inside a test namespace, and waits until it listens.
 *
 * @example
 * const liar = await startRpcProxy({ lab, ns, target: anvil.url, block: 40, mode: 'rehash' })
 * // give the agent liar.url as --chain-rpc; liar.out.events has {"event":"lied"} lines
 */
import { fileURLToPath } from 'node:url'
import { JsonLines } from './json-lines.js'
import type { NetnsLab } from './netns.js'

const RUNNER = fileURLToPath(new URL('./rpc-proxy-runner.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface RpcProxyInit {
  lab: NetnsLab
  ns: string
  /** Upstream URL, valid inside the namespace. */
  target: string
  /** Block number to lie about (mode field or rehash). */
  block?: number
  mode: 'field' | 'rehash' | 'none'
  /** Added before each answer. */
  delayMs?: number
}

export interface RpcProxy { url: string, out: JsonLines, stop: () => Promise<void> }

export async function startRpcProxy (init: RpcProxyInit): Promise<RpcProxy> {
  const arg = JSON.stringify({ target: init.target, block: init.block ?? -1, mode: init.mode, delayMs: init.delayMs ?? 0 })
  const out = new JsonLines(init.lab.spawn(init.ns, process.execPath, ['--import', 'tsx', RUNNER, arg], { cwd: ROOT }), `proxy-${init.mode}`)
  const listening = await out.waitFor(e => e.event === 'listening', 20_000, 'proxy listening')
  return { url: `http://127.0.0.1:${String(listening.port)}`, out, stop: async () => { await out.terminate(3_000).catch(() => undefined) } }
}
