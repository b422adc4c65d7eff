/**
 * A header extends its parent: it names the parent's hash and the next number. With the anchor
 * trusted, these two rules are what make every later header trusted by induction.
 */
import { bytesToHex, equalBytes } from '../bytes.js'
import { headerHash } from '../header.js'
import { failure, type HeaderRule } from './types.js'

export const ruleNumber: HeaderRule = (parent, header) =>
  header.number === parent.number + 1n
    ? undefined
    : failure('number', header, 'number', `does not follow the parent's number ${parent.number}`)

export const ruleParentHash: HeaderRule = (parent, header) => {
  const expected = headerHash(parent)
  return equalBytes(header.parentHash, expected)
    ? undefined
    : failure('parent-hash', header, 'parentHash', `${bytesToHex(header.parentHash)} is not the hash ${bytesToHex(expected)} of block ${parent.number}`)
}
