/**
 * Rules on fields whose form depends on the seal engine. PoA headers (Tribe, Clique) have no
 * uncles and no proof of work, so the uncles hash, mixHash and (for Clique) nonce are fixed;
 * extraData has room for exactly the vanity/VRF part and the seal; difficulty only encodes turns.
 * The dev chain (`none`) is held to ethash's format rule on extraData only.
 */
import { bytesToHex, equalBytes, isZero } from '../bytes.js'
import { EMPTY_UNCLES_HASH, SEAL_BYTES, type Header } from '../header.js'
import { isForked, type ChainPreset } from '../presets.js'
import { CLIQUE_VANITY_BYTES } from '../seal/clique-snapshot.js'
import { failure, type HeaderRule } from './types.js'

/** Tribe extraData: 32-byte vanity + seal before Chief100Block; 32-byte VRF output + 129-byte proof + seal after. */
export const TRIBE_EXTRA_BEFORE_CHIEF100 = 32 + SEAL_BYTES
export const TRIBE_EXTRA_AFTER_CHIEF100 = 161 + SEAL_BYTES
/** ethash's MaximumExtraDataSize, applied to the unsealed dev chain. */
export const MAX_UNSEALED_EXTRA = 32
/** Tribe difficulties: in turn 3/2/1 before Chief100Block; 6 down to 1 by priority after it. */
export const TRIBE_MAX_DIFFICULTY_BEFORE_CHIEF100 = 3n
export const TRIBE_MAX_DIFFICULTY = 6n

const isPoA = (preset: ChainPreset): boolean => preset.engine !== 'none'
const isCheckpoint = (preset: ChainPreset, h: Header): boolean => preset.engine === 'clique' && h.number % preset.clique.epoch === 0n

function tribeExtraLengths (preset: ChainPreset & { engine: 'tribe' }, number: bigint): number[] {
  const forked = isForked(preset.tribe.chief100Block, number)
  if (forked === undefined) return [TRIBE_EXTRA_BEFORE_CHIEF100, TRIBE_EXTRA_AFTER_CHIEF100]
  return [forked ? TRIBE_EXTRA_AFTER_CHIEF100 : TRIBE_EXTRA_BEFORE_CHIEF100]
}

export const ruleExtraData: HeaderRule = (_parent, header, { preset }) => {
  const size = header.extraData.length
  switch (preset.engine) {
    case 'tribe': {
      const allowed = tribeExtraLengths(preset, header.number)
      return allowed.includes(size) ? undefined : failure('extra-data', header, 'extraData', `has ${size} bytes, expected ${allowed.join(' or ')}`)
    }
    case 'clique': {
      const list = size - CLIQUE_VANITY_BYTES - SEAL_BYTES
      if (list < 0) return failure('extra-data', header, 'extraData', `has ${size} bytes, fewer than vanity + seal (${CLIQUE_VANITY_BYTES + SEAL_BYTES})`)
      if (!isCheckpoint(preset, header) && list !== 0) return failure('extra-data', header, 'extraData', `carries ${list} bytes of signer list outside a checkpoint`)
      if (list % 20 !== 0) return failure('extra-data', header, 'extraData', `signer list of ${list} bytes is not a whole number of addresses`)
      return undefined
    }
    case 'none':
      return size <= MAX_UNSEALED_EXTRA ? undefined : failure('extra-data', header, 'extraData', `has ${size} bytes, more than ${MAX_UNSEALED_EXTRA}`)
  }
}

export const ruleUnclesHash: HeaderRule = (_parent, header, { preset }) =>
  !isPoA(preset) || equalBytes(header.sha3Uncles, EMPTY_UNCLES_HASH)
    ? undefined
    : failure('uncles-hash', header, 'sha3Uncles', `${bytesToHex(header.sha3Uncles)} is not the empty-list hash: PoA blocks have no uncles`)

export const ruleMixHash: HeaderRule = (_parent, header, { preset }) =>
  !isPoA(preset) || isZero(header.mixHash)
    ? undefined
    : failure('mix-hash', header, 'mixHash', 'is not zero')

/**
 * Clique nonces are votes: all 0xff (add the coinbase) or all 0x00 (drop it), and 0x00 on
 * checkpoints. Tribe is not checked: Spectrum's own check is commented out, and a light client
 * stricter than full nodes on a field that carries no meaning could be stranded on a valid chain.
 */
export const ruleNonce: HeaderRule = (_parent, header, { preset }) => {
  if (preset.engine !== 'clique') return undefined
  const allZero = isZero(header.nonce)
  if (isCheckpoint(preset, header) && !allZero) return failure('nonce', header, 'nonce', `${bytesToHex(header.nonce)} is not zero on a checkpoint`)
  if (allZero || header.nonce.every(b => b === 0xff)) return undefined
  return failure('nonce', header, 'nonce', `${bytesToHex(header.nonce)} is neither 0x00…00 nor 0xff…ff`)
}

/** Clique checkpoints vote for nobody; Tribe blocks after Chief100Block pay a bound, non-zero wallet. */
export const ruleCoinbase: HeaderRule = (_parent, header, { preset }) => {
  if (isCheckpoint(preset, header) && !isZero(header.miner)) return failure('coinbase', header, 'miner', 'is not zero on a checkpoint')
  if (preset.engine === 'tribe' && isForked(preset.tribe.chief100Block, header.number) === true && isZero(header.miner)) {
    return failure('coinbase', header, 'miner', 'is zero after Chief100Block')
  }
  return undefined
}

/** The range only; whether the value matches the signer's turn is the seal engine's check. */
export const ruleDifficulty: HeaderRule = (_parent, header, { preset }) => {
  const d = header.difficulty
  switch (preset.engine) {
    case 'clique':
      return d === 1n || d === 2n ? undefined : failure('difficulty', header, 'difficulty', `${d} is neither 1 (out of turn) nor 2 (in turn)`)
    case 'tribe': {
      const max = isForked(preset.tribe.chief100Block, header.number) === false ? TRIBE_MAX_DIFFICULTY_BEFORE_CHIEF100 : TRIBE_MAX_DIFFICULTY
      return d >= 1n && d <= max ? undefined : failure('difficulty', header, 'difficulty', `${d} is outside 1..${max}`)
    }
    case 'none':
      return undefined
  }
}
