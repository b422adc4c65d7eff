import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import * as ejsRlp from '@ethereumjs/rlp'
import { bigintToBytes, bytesToHex, hexToBytes } from '../../agent/chain/bytes.js'
import { ChainInputError } from '../../agent/chain/errors.js'
import { decodeRlp, encodeRlp, type RlpItem } from '../../agent/chain/rlp.js'

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
const LOREM = 'Lorem ipsum dolor sit amet, consectetur adipisicing elit' // 56 bytes: the first long string

/** Vectors worked out by hand from the yellow paper, appendix B. */
const VECTORS: Array<[string, RlpItem, string]> = [
  ['empty string', new Uint8Array(0), '0x80'],
  ['"dog"', utf8('dog'), '0x83646f67'],
  ['single byte 0x00', Uint8Array.of(0), '0x00'],
  ['single byte 0x7f', Uint8Array.of(0x7f), '0x7f'],
  ['single byte 0x80 needs a prefix', Uint8Array.of(0x80), '0x8180'],
  ['integer 0 (empty string)', bigintToBytes(0n), '0x80'],
  ['integer 15', bigintToBytes(15n), '0x0f'],
  ['integer 1024', bigintToBytes(1024n), '0x820400'],
  ['integer 2^256 - 1', bigintToBytes((1n << 256n) - 1n), '0xa0' + 'ff'.repeat(32)],
  ['55-byte string (last short form)', new Uint8Array(55).fill(0x61), '0xb7' + '61'.repeat(55)],
  ['56-byte string (first long form)', utf8(LOREM), '0xb838' + bytesToHex(utf8(LOREM)).slice(2)],
  ['1024-byte string (two length bytes)', new Uint8Array(1024).fill(1), '0xb90400' + '01'.repeat(1024)],
  ['empty list', [], '0xc0'],
  ['["cat", "dog"]', [utf8('cat'), utf8('dog')], '0xc88363617483646f67'],
  ['set-theoretic three', [[], [[]], [[], [[]]]], '0xc7c0c1c0c3c0c1c0'],
  ['list with a 55-byte payload (last short form)', [utf8(LOREM.slice(0, 54))], '0xf7b6' + bytesToHex(utf8(LOREM.slice(0, 54))).slice(2)],
  ['list with a 56-byte payload (first long form)', [utf8(LOREM.slice(0, 55))], '0xf838b7' + bytesToHex(utf8(LOREM.slice(0, 55))).slice(2)]
]

describe('rlp', () => {
  it('default: encodes the spec vectors and decodes them back', () => {
    for (const [name, item, hex] of VECTORS) {
      assert.equal(bytesToHex(encodeRlp(item)), hex, name)
      assert.deepEqual(decodeRlp(hexToBytes(hex)), item, name)
    }
  })

  it('error: refuses non-canonical, truncated and trailing input', () => {
    const bad: Array<[string, string, RegExp]> = [
      ['0x', 'empty input', /empty/],
      ['0x8100', 'single byte 0x00 wrapped', /single byte below 0x80/],
      ['0x817f', 'single byte 0x7f wrapped', /single byte below 0x80/],
      ['0xb803646f67', 'long form for a 3-byte string', /long form/],
      ['0xb90038' + '61'.repeat(56), 'length with a leading zero', /leading zero/],
      ['0xf803c0c0c0', 'long list form for a 3-byte payload', /long form/],
      ['0x83646f', 'truncated string', /declares 3 bytes/],
      ['0x83646f6700', 'trailing byte', /1 trailing bytes/],
      ['0xc28364', 'child runs past its list', /declares 3 bytes/],
      ['0xb9', 'length field cut off', /runs past the end/]
    ]
    for (const [hex, name, message] of bad) {
      assert.throws(() => decodeRlp(hexToBytes(hex)), (e: unknown) => e instanceof ChainInputError && e.code === 'CHAIN_RLP_INVALID' && message.test(e.message), name)
    }
  })

  it('args: maxBytes and maxDepth bound the work', () => {
    assert.throws(() => decodeRlp(new Uint8Array(100).fill(0), { maxBytes: 99 }), /exceeds the 99-byte limit/)
    const lists = (n: number): Uint8Array => encodeRlp(Array.from({ length: n - 1 }).reduce<RlpItem>(inner => [inner], []))
    assert.doesNotThrow(() => decodeRlp(lists(16)), '16 nested lists are allowed')
    assert.throws(() => decodeRlp(lists(17)), /nested deeper than 16/)
    assert.doesNotThrow(() => decodeRlp(lists(30), { maxDepth: 30 }))
  })

  it('behavior: agrees with @ethereumjs/rlp on generated structures and on bad input', () => {
    let seed = 7
    const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n }
    const gen = (depth: number): RlpItem => {
      if (depth > 3 || rand(3) === 0) {
        const size = [0, 1, 1, 2, 55, 56, 57, 300][rand(8)] as number
        return Uint8Array.from({ length: size }, () => rand(256))
      }
      return Array.from({ length: rand(5) }, () => gen(depth + 1))
    }
    for (let i = 0; i < 300; i++) {
      const item = gen(0)
      const ours = encodeRlp(item)
      assert.equal(bytesToHex(ours), bytesToHex(ejsRlp.encode(item as ejsRlp.Input)), `structure ${i}`)
      assert.deepEqual(decodeRlp(ours), ejsRlp.decode(ours))
    }
    for (const hex of ['0x8100', '0xb803646f67', '0xb90038' + '61'.repeat(56), '0x83646f6700']) {
      assert.throws(() => ejsRlp.decode(hexToBytes(hex)), `@ethereumjs/rlp also refuses ${hex.slice(0, 12)}`)
      assert.throws(() => decodeRlp(hexToBytes(hex)))
    }
  })
})
