/**
 * A self-check of signer recovery for `meshbox selftest`: one known seal recovered in this thread
 * and on a worker, reporting which backend each used. On a router it answers the question "did
 * the WASM module load from node_modules beside the bundle, and do workers start?"; a fallback to
 * noble is still a pass, a wrong signer is not.
 */
import { hexToBytes, type Address } from '../bytes.js'
import type { Logger } from '../../log/logger.js'
import { createRecoverPool, type RecoverPoolInit } from './recover-pool.js'
import type { RecoverBackendName } from './recover-wasm.js'

/** keccak256("meshbox selftest: signer recovery"), signed by keccak256("meshbox selftest: a key nobody uses"). */
const DIGEST = hexToBytes('0xc5c09f13d1f5775fb040e37f6d449c1c3fae30b2d34717d9ffd02fdc1c5fa4fe')
const SEAL = hexToBytes('0x64cab8b01b026f726f0bd52c63d39fa649433fddf715e7e6edd0c3f7f662a32a047bccf0fb856b646b6dea22e97e7c67978494760e0e83a0285a5f994299fdda01')
const SIGNER: Address = '0xadadc26d028f034ca4ec40958e2741ba1ca7d429'

export interface RecoveryCheck {
  ok: boolean
  here: RecoverBackendName
  workers: RecoverBackendName | 'none'
}

export async function checkRecovery (c: { logger: Logger }, init: Pick<RecoverPoolInit, 'wasmSpecifier' | 'nobleSpecifier'> = {}): Promise<RecoveryCheck> {
  const pool = createRecoverPool(c, { ...init, workers: 1 })
  await pool.start()
  try {
    const here = await pool.warm()
    const inThread = pool.recover(DIGEST, SEAL)
    const [onWorker] = await pool.recoverMany([{ digest: DIGEST, seal: SEAL }], AbortSignal.timeout(10_000))
    return { ok: inThread === SIGNER && onWorker === SIGNER, here, workers: pool.stats().workerBackend ?? 'none' }
  } finally {
    await pool.stop()
  }
}
