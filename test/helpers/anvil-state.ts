/**
 * anvil seeded with known state for the state-proof tests: funded accounts and a contract with
 * known storage slots, one transaction per block. `startAnvilInNetns` runs test/helpers/anvil.ts
 * in a namespace of its own (never the root one) with mining on each transaction, for tests
 * whose only party is the test process; it reaches anvil over anvil.ts's Unix-socket bridge.
 *
 * @example
 * const anvil = await startAnvilInNetns({ name: 'proof' })
 * try { const seeded = await seedState(anvil.rpc) } finally { await anvil.stop() }
 */
import { startAnvil } from './anvil.js'
import { createNetnsLab } from './netns.js'

export interface AnvilNetns {
  /** JSON-RPC call; throws AnvilRpcError (anvil.ts) for a JSON-RPC error answer. */
  rpc: (method: string, params: unknown[]) => Promise<unknown>
  stop: () => Promise<void>
}

export interface AnvilNetnsInit {
  name: string
  chainId?: number
  hardfork?: string
  extraArgs?: string[]
}

export async function startAnvilInNetns (init: AnvilNetnsInit): Promise<AnvilNetns> {
  const lab = createNetnsLab()
  try {
    const ns = await lab.addNamespace(init.name)
    const anvil = await startAnvil({ lab, ns, blockTimeS: null, ...init })
    return {
      rpc: async (method, params) => await anvil.rpc(method, params),
      stop: async () => { await anvil.stop(); await lab.cleanup() }
    }
  } catch (err) {
    await lab.cleanup()
    throw err
  }
}

/** Runtime code of the test contract: returns slot 0 (PUSH1 0 SLOAD PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN). */
export const STORAGE_RUNTIME = '0x600054600052602060' + '00f3'
/** Values the init code stores: slot 0 = 42, slot 1 = 0x1234, slot 7 = a 32-byte value with zero bytes. */
export const STORAGE_SLOTS = { 0: 42n, 1: 0x1234n, 7: BigInt('0x' + 'c0ffee00'.repeat(8)) } as const
/**
 * Init code written by hand: SSTORE the three values, CODECOPY the 11 runtime bytes that follow
 * the 59 bytes of init code, RETURN them.
 */
export const STORAGE_INIT = '0x' +
  '602a600055' + // slot 0 = 0x2a
  '611234600155' + // slot 1 = 0x1234
  '7f' + 'c0ffee00'.repeat(8) + '600755' + // slot 7 = 0xc0ffee00…
  '600b603b600039' + // CODECOPY(mem 0, code 0x3b, 11 bytes)
  '600b6000f3' + // RETURN(mem 0, 11 bytes)
  STORAGE_RUNTIME.slice(2)

/** Addresses the seed funds (no key known: plain EOAs with a balance). */
export const FUNDED = [
  { address: '0x1111111111111111111111111111111111111111', wei: 1_500_000_000_000_000_000n },
  { address: '0x2222222222222222222222222222222222222222', wei: 7n },
  { address: '0x3333333333333333333333333333333333333333', wei: 10n ** 21n }
] as const

/** 18 gwei, Spectrum's recommended minimum; legacy pricing since the chain runs Byzantium rules. */
export const GAS_PRICE = '0x430e23400'

export interface SeededState { dev: string, contract: string, blockNumber: bigint }

interface Receipt { contractAddress: string | null, status: string, blockNumber: string }

/** Sends from an unlocked dev account and waits for the receipt, so each transaction gets its own block. */
export async function sendAndWait (rpc: AnvilNetns['rpc'], tx: Record<string, string>): Promise<Receipt> {
  const hash = await rpc('eth_sendTransaction', [{ gasPrice: GAS_PRICE, ...tx }]) as string
  for (let i = 0; i < 100; i++) {
    const receipt = await rpc('eth_getTransactionReceipt', [hash]) as Receipt | null
    if (receipt !== null) {
      if (receipt.status !== '0x1') throw new Error(`transaction failed: ${JSON.stringify(receipt)}`)
      return receipt
    }
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  throw new Error(`no receipt for ${hash} within 2 s`)
}

/** Funds FUNDED from anvil's first dev account (blocks 1–3) and deploys the storage contract (block 4). */
export async function seedState (rpc: AnvilNetns['rpc']): Promise<SeededState> {
  const accounts = await rpc('eth_accounts', []) as string[]
  const dev = accounts[0] as string
  for (const f of FUNDED) await sendAndWait(rpc, { from: dev, to: f.address, value: '0x' + f.wei.toString(16) })
  const receipt = await sendAndWait(rpc, { from: dev, data: STORAGE_INIT, gas: '0x30d40' })
  if (receipt.contractAddress === null) throw new Error('the deployment receipt has no contract address')
  return { dev, contract: receipt.contractAddress, blockNumber: BigInt(receipt.blockNumber) }
}
