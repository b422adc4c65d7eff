/**
 * Clique (EIP-225) signer-set tracking as a pure state machine: a snapshot at block N plus
 * header N+1 gives the snapshot at N+1. It mirrors go-ethereum's clique/snapshot.go: checkpoint
 * blocks (number % epoch == 0) reset votes; a signer may not sign again within
 * ⌊signers/2⌋ + 1 blocks; a coinbase gains or loses its seat once more than half the signers
 * voted for it (nonce 0xff…ff adds, 0x00…00 drops). Snapshots are immutable values.
 */
import { bytesToHex, isZero, toAddress, type Address } from '../bytes.js'
import { SEAL_BYTES, headerHash, type Header } from '../header.js'

export const CLIQUE_VANITY_BYTES = 32

export interface CliqueVote {
  readonly signer: Address
  readonly block: bigint
  readonly address: Address
  readonly authorize: boolean
}

export interface CliqueSnapshot {
  readonly epoch: bigint
  /** Block this snapshot describes the state after. */
  readonly number: bigint
  readonly hash: `0x${string}`
  /** Authorised signers, ascending (geth sorts addresses bytewise; lowercase hex sorts the same). */
  readonly signers: readonly Address[]
  /** Block number → who signed it, for the last ⌊signers/2⌋ blocks. */
  readonly recents: ReadonlyMap<bigint, Address>
  readonly votes: readonly CliqueVote[]
  readonly tally: ReadonlyMap<Address, { readonly authorize: boolean, readonly votes: number }>
}

/** Signer addresses listed in a checkpoint header's extraData, or undefined if the list is malformed. */
export function cliqueSignersFromExtra (extra: Uint8Array): Address[] | undefined {
  const listBytes = extra.length - CLIQUE_VANITY_BYTES - SEAL_BYTES
  if (listBytes < 0 || listBytes % 20 !== 0) return undefined
  const out: Address[] = []
  for (let at = CLIQUE_VANITY_BYTES; at < CLIQUE_VANITY_BYTES + listBytes; at += 20) out.push(toAddress(extra.subarray(at, at + 20)))
  return out
}

/**
 * The snapshot at a trusted checkpoint header (genesis, or any block whose number is a multiple
 * of `epoch`): its signers are read from its extraData, as geth does for a checkpoint it cannot
 * trace back further.
 * @throws RangeError if the header is not a checkpoint or lists no signers.
 */
export function cliqueSnapshotFromCheckpoint (header: Header, epoch: bigint): CliqueSnapshot {
  if (header.number % epoch !== 0n) throw new RangeError(`header ${header.number} is not a checkpoint of epoch ${epoch}`)
  const signers = cliqueSignersFromExtra(header.extraData)
  if (signers === undefined || signers.length === 0) throw new RangeError(`checkpoint header ${header.number} lists no signers`)
  return { epoch, number: header.number, hash: bytesToHex(headerHash(header)), signers: [...signers].sort(), recents: new Map(), votes: [], tally: new Map() }
}

/** How many blocks must pass before a signer may sign again. */
export function cliqueSignerLimit (snap: CliqueSnapshot): number {
  return Math.floor(snap.signers.length / 2) + 1
}

export function cliqueInTurn (snap: CliqueSnapshot, number: bigint, signer: Address): boolean {
  const offset = snap.signers.indexOf(signer)
  return offset >= 0 && number % BigInt(snap.signers.length) === BigInt(offset)
}

/** Did `signer` sign one of the blocks before `number` that are still inside its limit? */
export function cliqueRecentlySigned (snap: CliqueSnapshot, number: bigint, signer: Address): boolean {
  const limit = BigInt(cliqueSignerLimit(snap))
  for (const [seen, who] of snap.recents) if (who === signer && seen > number - limit) return true
  return false
}

type Tally = Map<Address, { authorize: boolean, votes: number }>

function cast (signers: readonly Address[], tally: Tally, address: Address, authorize: boolean): boolean {
  // A vote to add a signer who is in, or to drop one who is out, is meaningless.
  if (signers.includes(address) === authorize) return false
  const old = tally.get(address)
  tally.set(address, { authorize, votes: (old?.votes ?? 0) + 1 })
  return true
}

function uncast (tally: Tally, address: Address, authorize: boolean): void {
  const old = tally.get(address)
  if (old === undefined || old.authorize !== authorize) return
  if (old.votes > 1) tally.set(address, { authorize, votes: old.votes - 1 })
  else tally.delete(address)
}

/**
 * The snapshot after `header`, which was sealed by `signer`. Precondition: the header passed
 * verifyHeader against `snap` (number, parent, authorised and not recent signer, nonce); this
 * function does not re-check those and throws RangeError only if the header does not follow `snap`.
 */
export function cliqueApply (snap: CliqueSnapshot, header: Header, signer: Address): CliqueSnapshot {
  const number = header.number
  if (number !== snap.number + 1n) throw new RangeError(`snapshot is at ${snap.number}, cannot apply header ${number}`)
  let votes: CliqueVote[] = number % snap.epoch === 0n ? [] : [...snap.votes]
  const tally: Tally = number % snap.epoch === 0n ? new Map() : new Map(snap.tally)
  let signers = [...snap.signers]
  const recents = new Map(snap.recents)
  const limitBefore = BigInt(cliqueSignerLimit(snap))
  if (number >= limitBefore) recents.delete(number - limitBefore)
  recents.set(number, signer)

  const coinbase = toAddress(header.miner)
  const authorize = !isZero(header.nonce)
  // A signer holds at most one vote per address: a new vote replaces the old one.
  const previous = votes.findIndex(v => v.signer === signer && v.address === coinbase)
  if (previous >= 0) {
    const old = votes[previous] as CliqueVote
    uncast(tally, old.address, old.authorize)
    votes.splice(previous, 1)
  }
  if (cast(signers, tally, coinbase, authorize)) votes.push({ signer, block: number, address: coinbase, authorize })

  const result = tally.get(coinbase)
  if (result !== undefined && result.votes > Math.floor(signers.length / 2)) {
    if (result.authorize) {
      signers = [...signers, coinbase].sort()
    } else {
      signers = signers.filter(s => s !== coinbase)
      const limitAfter = BigInt(Math.floor(signers.length / 2) + 1)
      if (number >= limitAfter) recents.delete(number - limitAfter)
      // The dropped signer's own pending votes no longer count.
      for (const v of votes.filter(v => v.signer === coinbase)) uncast(tally, v.address, v.authorize)
      votes = votes.filter(v => v.signer !== coinbase)
    }
    votes = votes.filter(v => v.address !== coinbase)
    tally.delete(coinbase)
  }
  return { epoch: snap.epoch, number, hash: bytesToHex(headerHash(header)), signers, recents, votes, tally }
}
