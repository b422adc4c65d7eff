import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import dnsPacket from 'dns-packet'
import { MAX_TXT_STRINGS_PER_PACKET } from '../../agent/mesh/discovery/constants.js'
import {
  buildQuery, buildResponse, createPeerName, isServiceQuery, parseResponse, sameName
} from '../../agent/mesh/discovery/records.js'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Answer, Packet } from 'dns-packet'

const TAG = '_p2p._udp.local'
const idA = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
const idB = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()

/** Through the real encoder and decoder, as the packet travels on the wire. */
function wire (packet: Packet): Packet {
  return dnsPacket.decode(dnsPacket.encode({ type: 'response', flags: dnsPacket.AUTHORITATIVE_ANSWER, ...packet }))
}

function ok (packet: Packet): { peerId: string, addrs: string[] }[] {
  const r = parseResponse(packet, TAG)
  assert.equal(r.ok, true, JSON.stringify(r))
  if (!r.ok) return []
  return r.peers.map(p => ({ peerId: p.peerId, addrs: p.multiaddrs.map(String) }))
}

// The stock module's internals, loaded by file path (its package exports hide them) so we test
// against the exact code a stock js-libp2p node runs.
interface StockQuery {
  gotQuery: (qry: Packet, mdns: { respond: (answers: Answer[]) => void }, peerName: string, addrs: Multiaddr[], tag: string, broadcast: boolean) => void
  gotResponse: (rsp: Packet, localPeerName: string, tag: string) => { id: { toString: () => string }, multiaddrs: Multiaddr[] } | undefined
}
const stockPath = fileURLToPath(new URL('../../node_modules/@libp2p/mdns/dist/src/query.js', import.meta.url))
const stock = await import(stockPath) as StockQuery

const addrsA = [`/ip4/10.77.1.1/tcp/4001/p2p/${idA}`, `/ip4/10.77.1.1/tcp/4002/ws/p2p/${idA}`]

describe('discovery records', () => {
  it('default: response round-trips through the wire format', () => {
    const res = buildResponse({ serviceTag: TAG, peerName: 'abc', addresses: addrsA, ttlS: 120, hostAddress: '10.77.1.1' })
    assert.ok(res)
    assert.deepEqual(ok(wire(res)), [{ peerId: idA, addrs: ['/ip4/10.77.1.1/tcp/4001', '/ip4/10.77.1.1/tcp/4002/ws'] }])
  })

  it('default: response carries PTR+TXT in answers and TXT+SRV+A in additionals', () => {
    const res = buildResponse({ serviceTag: TAG, peerName: 'abc', addresses: addrsA, ttlS: 120, hostAddress: '10.77.1.1' })
    assert.ok(res)
    assert.deepEqual(res.answers.map(a => a.type), ['PTR', 'TXT'])
    assert.deepEqual(res.additionals.map(a => a.type), ['TXT', 'SRV', 'A'])
    const decoded = wire(res)
    const srv = decoded.additionals?.find(a => a.type === 'SRV')
    assert.equal(srv?.type === 'SRV' ? srv.data.port : 0, 4001)
    assert.equal(decoded.additionals?.find(a => a.type === 'A')?.name, 'abc.local')
  })

  it('behavior: a stock js node parses our response', () => {
    const res = buildResponse({ serviceTag: TAG, peerName: 'abc', addresses: addrsA, ttlS: 120, hostAddress: '10.77.1.1' })
    assert.ok(res)
    const found = stock.gotResponse(wire(res), 'someoneelse', TAG)
    assert.equal(found?.id.toString(), idA)
    assert.deepEqual([...new Set(found?.multiaddrs.map(String))], ['/ip4/10.77.1.1/tcp/4001', '/ip4/10.77.1.1/tcp/4002/ws'])
  })

  it('behavior: we parse what a stock js node sends', () => {
    let answers: Answer[] = []
    const stockAddrs = [`/ip4/10.77.1.3/tcp/4001/p2p/${idB}`, `/ip4/127.0.0.1/tcp/4001/p2p/${idB}`].map(a => multiaddr(a))
    stock.gotQuery(wire({ type: 'query', ...buildQuery(TAG) }), { respond: (a) => { answers = a } }, 'stockname', stockAddrs, TAG, true)
    assert.ok(answers.length > 0, 'stock node answered our query')
    assert.deepEqual(ok(wire({ answers })), [{ peerId: idB, addrs: ['/ip4/10.77.1.3/tcp/4001', '/ip4/127.0.0.1/tcp/4001'] }])
  })

  it('behavior: we parse go-libp2p style (one TXT, several strings, in additionals, root dots)', () => {
    const inst = `gopeer.${TAG}.`
    const packet: Packet = {
      answers: [{ name: `${TAG}.`, type: 'PTR', ttl: 120, data: inst }],
      additionals: [
        { name: inst, type: 'SRV', ttl: 120, data: { port: 4001, target: 'gopeer.local.' } },
        { name: inst, type: 'TXT', ttl: 120, data: addrsA.map(a => `dnsaddr=${a}`) },
        { name: 'gopeer.local.', type: 'A', ttl: 120, data: '10.77.1.1' }
      ]
    }
    assert.deepEqual(ok(wire(packet)), [{ peerId: idA, addrs: ['/ip4/10.77.1.1/tcp/4001', '/ip4/10.77.1.1/tcp/4002/ws'] }])
  })

  it('behavior: we parse rust-libp2p style (one TXT record per address in additionals)', () => {
    const inst = `rustpeer.${TAG}`
    const packet: Packet = {
      answers: [{ name: TAG, type: 'PTR', ttl: 300, data: inst }],
      additionals: addrsA.map(a => ({ name: inst, type: 'TXT' as const, ttl: 300, data: `dnsaddr=${a}` }))
    }
    const r = parseResponse(wire(packet), TAG)
    assert.ok(r.ok)
    assert.equal(r.peers[0]?.ttlS, 300)
    assert.equal(r.peers[0]?.multiaddrs.length, 2)
  })

  it('behavior: addresses of another peer in the same instance are dropped', () => {
    const packet: Packet = {
      answers: [{ name: TAG, type: 'PTR', ttl: 120, data: `x.${TAG}` },
        { name: `x.${TAG}`, type: 'TXT', ttl: 120, data: [`dnsaddr=${addrsA[0] ?? ''}`, `dnsaddr=/ip4/10.0.0.9/tcp/1/p2p/${idB}`] }]
    }
    assert.deepEqual(ok(wire(packet)), [{ peerId: idA, addrs: ['/ip4/10.77.1.1/tcp/4001'] }])
  })

  it('behavior: goodbye (ttl 0), foreign service tags and PTR without TXT yield no peer', () => {
    const txt: Answer = { name: `x.${TAG}`, type: 'TXT', ttl: 120, data: `dnsaddr=${addrsA[0] ?? ''}` }
    assert.deepEqual(ok(wire({ answers: [{ name: TAG, type: 'PTR', ttl: 0, data: `x.${TAG}` }, txt] })), [])
    assert.deepEqual(ok(wire({ answers: [{ name: '_other._udp.local', type: 'PTR', ttl: 120, data: `x.${TAG}` }, txt] })), [])
    assert.deepEqual(ok(wire({ answers: [{ name: TAG, type: 'PTR', ttl: 120, data: `x.${TAG}` }] })), [])
    assert.deepEqual(ok({}), [])
  })

  it('error: unparsable multiaddrs and bad peer ids are skipped and counted, never thrown', () => {
    const packet: Packet = {
      answers: [{ name: TAG, type: 'PTR', ttl: 120, data: `x.${TAG}` }, {
        name: `x.${TAG}`,
        type: 'TXT',
        ttl: 120,
        data: ['dnsaddr=/ip4/999.1.1.1/tcp/1', 'dnsaddr=/ip4/10.0.0.1/tcp/1/p2p/notapeerid', 'dnsaddr=/ip4/10.0.0.1/tcp/1', 'hello', Buffer.from([0xff, 0xfe]), `dnsaddr=${addrsA[0] ?? ''}`]
      }]
    }
    const r = parseResponse(wire(packet), TAG)
    assert.ok(r.ok)
    assert.equal(r.invalidAddresses, 3)
    assert.equal(r.peers[0]?.peerId, idA)
  })

  it('error: oversized packets are rejected', () => {
    const many = Array.from({ length: MAX_TXT_STRINGS_PER_PACKET + 1 }, (_, i) => `dnsaddr=/ip4/10.0.0.${i % 250}/tcp/1/p2p/${idA}`)
    const big = parseResponse(wire({ answers: [{ name: TAG, type: 'PTR', ttl: 1, data: `x.${TAG}` }, { name: `x.${TAG}`, type: 'TXT', data: many }] }), TAG)
    assert.deepEqual(big, { ok: false, reason: 'too many TXT strings' })
    const long = parseResponse({ answers: [{ name: TAG, type: 'PTR', ttl: 1, data: `x.${TAG}` }, { name: `x.${TAG}`, type: 'TXT', data: 'x'.repeat(300) }] }, TAG)
    assert.deepEqual(long, { ok: false, reason: 'TXT string too long' })
    const ptrs = Array.from({ length: 9 }, (_, i): Answer => ({ name: TAG, type: 'PTR', ttl: 1, data: `p${i}.${TAG}` }))
    assert.deepEqual(parseResponse({ answers: ptrs }, TAG), { ok: false, reason: 'too many PTR answers' })
  })

  it('error: malformed shapes from a decoder never throw', () => {
    const weird = [{ answers: [{ name: TAG, type: 'PTR', data: 42 }] }, { answers: [{ name: TAG, type: 'OPT' }] }, { additionals: [{ type: 'TXT', name: 'x', data: [] }] },
      { answers: [{ type: 'PTR', data: `x.${TAG}` }, { name: `x.${TAG}`, type: 'TXT', data: 42 }] },
      { answers: [{ name: TAG, type: 'PTR', ttl: 5, data: `x.${TAG}` }, { name: `x.${TAG}`, type: 'TXT', data: [42, null, 'dnsaddr=/ip4/1.2.3.4'] }] },
      { answers: null, additionals: 'x' }]
    for (const p of weird) assert.doesNotThrow(() => parseResponse(p as unknown as Packet, TAG))
    assert.throws(() => dnsPacket.decode(Buffer.from([1, 2, 3])), 'the decoder itself throws; multicast-dns turns that into a warning')
  })

  it('args: buildResponse drops TXT strings over 255 bytes and returns undefined when nothing is left', () => {
    const long = `/ip4/10.77.1.1/tcp/4001/ws/${'x'.repeat(250)}`
    assert.equal(buildResponse({ serviceTag: TAG, peerName: 'a', addresses: [long], ttlS: 1, hostAddress: '10.77.1.1' }), undefined)
    assert.equal(buildResponse({ serviceTag: TAG, peerName: 'a', addresses: [], ttlS: 1, hostAddress: '10.77.1.1' }), undefined)
  })

  it('behavior: isServiceQuery accepts PTR/ANY for our tag only', () => {
    assert.equal(isServiceQuery(wire({ type: 'query', ...buildQuery(TAG) }), TAG), true)
    assert.equal(isServiceQuery({ type: 'query', questions: [{ name: '_P2P._udp.local.', type: 'PTR' }] }, TAG), true)
    assert.equal(isServiceQuery({ type: 'query', questions: [{ name: TAG, type: 'A' }] }, TAG), false)
    assert.equal(isServiceQuery({ type: 'query', questions: [{ name: 'printer.local', type: 'PTR' }] }, TAG), false)
    assert.equal(isServiceQuery({ type: 'response', questions: [{ name: TAG, type: 'PTR' }] }, TAG), false)
  })

  it('default: peer names are 32 lowercase base32 chars and differ', () => {
    const a = createPeerName()
    assert.match(a, /^[a-z2-7]{32}$/)
    assert.notEqual(a, createPeerName())
    assert.equal(sameName('A.local.', 'a.LOCAL'), true)
  })
})
