/**
 * A phone with a wallet, as a separate process run inside a box's namespace: ethers v6 against
 * the box's `/rpc`, nothing installed on the box for it. Prints one JSON line per step so the
 * test can check each:
 *   {"step":"network","chainId":"…"}  {"step":"blockNumber","n":…}
 *   {"step":"balance","wei":"…","meshbox":{…}}  {"step":"sent","hash":"…"}
 *   {"step":"receipt","status":1,"blockNumber":…,"blockHash":"…"}   or {"step":"error","message":"…"}
 * argv: rpcUrl privateKey to valueWei
 */
import { JsonRpcProvider, Wallet } from 'ethers'

const [url, key, to, value] = process.argv.slice(2) as [string, string, string, string]
const out = (o: Record<string, unknown>): void => { process.stdout.write(JSON.stringify(o) + '\n') }

async function main (): Promise<void> {
  const provider = new JsonRpcProvider(url, undefined, { staticNetwork: false, polling: true, pollingInterval: 500, batchMaxCount: 1 })
  const network = await provider.getNetwork()
  out({ step: 'network', chainId: network.chainId.toString() })
  out({ step: 'blockNumber', n: await provider.getBlockNumber() })
  const wallet = new Wallet(key, provider)
  // The raw call too, to see how the box says it verified the balance.
  const raw = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getBalance', params: [wallet.address, 'latest'] }) })
  const answer = await raw.json() as { result?: string, meshbox?: unknown, error?: unknown }
  out({ step: 'balance', wei: (await provider.getBalance(wallet.address)).toString(), raw: answer })
  const tx = await wallet.sendTransaction({ to, value: BigInt(value) })
  out({ step: 'sent', hash: tx.hash, nonce: tx.nonce, gasLimit: tx.gasLimit.toString(), type: tx.type })
  const receipt = await tx.wait(1, 90_000)
  out({ step: 'receipt', status: receipt?.status, blockNumber: receipt?.blockNumber, blockHash: receipt?.blockHash, hash: receipt?.hash })
}

main().then(() => { process.exit(0) }, (err: unknown) => {
  out({ step: 'error', message: err instanceof Error ? err.message.slice(0, 2000) : String(err) })
  process.exit(1)
})
