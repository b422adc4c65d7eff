/**
 * Gas limit and gas used, as geth's header checks have them: the limit moves by less than
 * parent / 1024 per block, stays at or above the chain's floor (5000, and on Spectrum mainnet
 * 40,000,000 from block 8,654,321) and at or below 2^63 − 1; gas used never exceeds the limit.
 */
import { gasLimitFloor } from '../presets.js'
import { failure, type HeaderRule } from './types.js'

export const ruleGasLimit: HeaderRule = (parent, header, ctx) => {
  const rules = ctx.preset.gasLimit
  const limit = header.gasLimit
  if (limit > rules.maximum) return failure('gas-limit', header, 'gasLimit', `${limit} exceeds the maximum ${rules.maximum}`)
  const floor = gasLimitFloor(rules, header.number)
  if (limit < floor) return failure('gas-limit', header, 'gasLimit', `${limit} is below the minimum ${floor}`)
  const diff = limit > parent.gasLimit ? limit - parent.gasLimit : parent.gasLimit - limit
  const bound = parent.gasLimit / rules.boundDivisor
  if (diff >= bound) {
    return failure('gas-limit', header, 'gasLimit', `${limit} differs from the parent's ${parent.gasLimit} by ${diff}, not less than ${bound} (parent / ${rules.boundDivisor})`)
  }
  return undefined
}

export const ruleGasUsed: HeaderRule = (_parent, header) =>
  header.gasUsed <= header.gasLimit
    ? undefined
    : failure('gas-used', header, 'gasUsed', `${header.gasUsed} exceeds gasLimit ${header.gasLimit}`)
