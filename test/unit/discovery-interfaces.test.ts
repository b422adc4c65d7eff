import assert from 'node:assert/strict'
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { inCidr, networkCidr, ownerInterface, parseIpv4, selectAnnounceAddresses } from '../../agent/mesh/discovery/addresses.js'
import { MAX_ANNOUNCED_ADDRESSES } from '../../agent/mesh/discovery/constants.js'
import { diffInterfaces, parseFlags, readInterfaceFlags, usableInterfaces } from '../../agent/mesh/discovery/interfaces.js'
import type { InterfaceMap } from '../../agent/mesh/discovery/interfaces.js'
import type { DiscoveryInterface } from '../../agent/mesh/discovery/types.js'

const me = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
const other = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()

const seg1: DiscoveryInterface = { name: 'seg1', address: '10.77.1.2', cidr: '10.77.1.0/24', family: 'IPv4' }
const seg2: DiscoveryInterface = { name: 'seg2', address: '10.77.2.2', cidr: '10.77.2.0/24', family: 'IPv4' }
const lo: DiscoveryInterface = { name: 'lo', address: '127.0.0.1', cidr: '127.0.0.0/8', family: 'IPv4' }

/** What libp2p's getMultiaddrs() returns on router B listening on 0.0.0.0 plus a relay reservation. */
const bAddrs = [
  `/ip4/10.77.1.2/tcp/4001/p2p/${me}`,
  `/ip4/10.77.2.2/tcp/4001/p2p/${me}`,
  `/ip4/127.0.0.1/tcp/4001/p2p/${me}`,
  `/ip4/10.77.2.2/tcp/4002/ws/p2p/${me}`,
  `/ip4/10.77.1.9/tcp/4001/p2p/${other}/p2p-circuit/p2p/${me}`,
  '/ip4/10.77.1.2/tcp/4003',
  `/ip4/10.77.1.2/tcp/4004/p2p/${other}`,
  `/ip6/fe80::1/tcp/4001/p2p/${me}`,
  `/dns4/b.local/tcp/4001/p2p/${me}`
].map(a => multiaddr(a))

function info (address: string, cidr: string | null, family: 'IPv4' | 'IPv6' = 'IPv4'): NonNullable<InterfaceMap[string]>[number] {
  return family === 'IPv4'
    ? { address, cidr, family, netmask: '255.255.255.0', mac: '00:00:00:00:00:00', internal: false }
    : { address, cidr, family, netmask: 'ffff::', mac: '00:00:00:00:00:00', internal: false, scopeid: 0 }
}

describe('discovery addresses', () => {
  it('args: parseIpv4 / networkCidr / inCidr', () => {
    assert.equal(parseIpv4('10.77.1.2'), 0x0a4d0102)
    for (const bad of ['10.77.1', '10.77.1.256', '1.2.3.4.5', 'a.b.c.d', '', '::1']) assert.equal(parseIpv4(bad), undefined, bad)
    assert.equal(networkCidr('10.77.1.2/24'), '10.77.1.0/24')
    assert.equal(networkCidr('127.0.0.1/8'), '127.0.0.0/8')
    assert.equal(networkCidr('10.0.0.1/0'), '0.0.0.0/0')
    assert.equal(networkCidr('10.0.0.1/33'), undefined)
    assert.equal(networkCidr('10.0.0.1'), undefined)
    assert.equal(inCidr('10.77.1.200', '10.77.1.0/24'), true)
    assert.equal(inCidr('10.77.2.1', '10.77.1.0/24'), false)
    assert.equal(inCidr('10.77.2.1', 'garbage'), false)
    assert.equal(inCidr('192.168.1.9', '192.168.1.9/32'), true)
  })

  it('behavior: ownerInterface picks the most specific subnet, then the first name', () => {
    assert.equal(ownerInterface('10.77.1.1', [seg2, seg1, lo])?.name, 'seg1')
    assert.equal(ownerInterface('10.77.2.3', [seg1, seg2])?.name, 'seg2')
    assert.equal(ownerInterface('127.0.0.1', [seg1, lo])?.name, 'lo')
    assert.equal(ownerInterface('10.99.0.1', [seg1, seg2]), undefined)
    const wide = { ...seg1, name: 'br-wan', cidr: '10.77.0.0/16' }
    assert.equal(ownerInterface('10.77.1.5', [wide, seg1])?.name, 'seg1')
    const twin = { ...seg1, name: 'aaa' }
    assert.equal(ownerInterface('10.77.1.5', [seg1, twin])?.name, 'aaa')
  })

  it('behavior: each segment hears only its own addresses; relay, other-segment and loopback addresses are dropped', () => {
    assert.deepEqual(selectAnnounceAddresses(bAddrs, seg1, me).addresses, [
      `/ip4/10.77.1.2/tcp/4001/p2p/${me}`,
      `/ip4/10.77.1.2/tcp/4003/p2p/${me}`
    ])
    assert.deepEqual(selectAnnounceAddresses(bAddrs, seg2, me).addresses, [
      `/ip4/10.77.2.2/tcp/4001/p2p/${me}`,
      `/ip4/10.77.2.2/tcp/4002/ws/p2p/${me}`
    ])
    assert.deepEqual(selectAnnounceAddresses(bAddrs, lo, me).addresses, [`/ip4/127.0.0.1/tcp/4001/p2p/${me}`])
  })

  it('args: duplicates collapse; too long or too many addresses are reported as skipped', () => {
    const dup = selectAnnounceAddresses([...bAddrs, ...bAddrs], seg1, me)
    assert.equal(dup.addresses.length, 2)
    const long = multiaddr(`/ip4/10.77.1.2/tcp/1/tls/sni/${'a'.repeat(200)}.example/ws/p2p/${me}`)
    assert.equal(selectAnnounceAddresses([long], seg1, me).skipped.length, 1)
    const many = Array.from({ length: MAX_ANNOUNCED_ADDRESSES + 3 }, (_, i) => multiaddr(`/ip4/10.77.1.2/tcp/${5000 + i}`))
    const sel = selectAnnounceAddresses(many, seg1, me)
    assert.equal(sel.addresses.length, MAX_ANNOUNCED_ADDRESSES)
    assert.equal(sel.skipped.length, 3)
  })
})

describe('discovery interfaces', () => {
  const UP_MC = 0x1003
  const nics: InterfaceMap = {
    lo: [{ ...info('127.0.0.1', '127.0.0.1/8'), internal: true }],
    seg1: [info('10.77.1.2', '10.77.1.2/24'), info('fe80::1', 'fe80::1/64', 'IPv6')],
    seg2: [info('fe80::2', 'fe80::2/64', 'IPv6'), info('10.77.2.2', '10.77.2.2/24')],
    down0: [info('10.9.0.1', '10.9.0.1/24')],
    nomc0: [info('10.8.0.1', '10.8.0.1/24')],
    v6only: [info('fe80::3', 'fe80::3/64', 'IPv6')],
    gone0: [info('10.7.0.1', '10.7.0.1/24')]
  }
  const flags: Record<string, number> = { lo: 0x9 | 0x40, seg1: UP_MC, seg2: UP_MC, down0: 0x1002, nomc0: 0x1003 & ~0x1000, v6only: UP_MC }

  it('default: only up + multicast interfaces with IPv4; lo only with MULTICAST on', () => {
    const got = usableInterfaces(nics, n => flags[n])
    assert.deepEqual(got, [seg1, seg2])
    const withLo = usableInterfaces(nics, n => n === 'lo' ? 0x1049 : flags[n])
    assert.deepEqual(withLo.map(i => i.name), ['lo', 'seg1', 'seg2'])
    assert.deepEqual(withLo[0], lo)
  })

  it('args: allow-list and exclude-list', () => {
    assert.deepEqual(usableInterfaces(nics, n => flags[n], { interfaces: ['seg2', 'down0'] }).map(i => i.name), ['seg2'])
    assert.deepEqual(usableInterfaces(nics, n => flags[n], { interfaces: [], excludeInterfaces: ['seg1'] }).map(i => i.name), ['seg2'])
  })

  it('args: parseFlags and readInterfaceFlags', () => {
    assert.equal(parseFlags('0x1003\n'), 0x1003)
    assert.equal(parseFlags('4099'), undefined)
    assert.equal(parseFlags(''), undefined)
    const root = mkdtempSync(join(tmpdir(), 'mbx-sysfs-'))
    try {
      mkdirSync(join(root, 'seg1'))
      writeFileSync(join(root, 'seg1', 'flags'), '0x1003\n')
      assert.equal(readInterfaceFlags('seg1', root), 0x1003)
      assert.equal(readInterfaceFlags('missing', root), undefined)
      assert.equal(readInterfaceFlags('../seg1', root), undefined)
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })

  it('behavior: diffInterfaces reports added, removed, and a changed address as both', () => {
    assert.deepEqual(diffInterfaces([], [seg1]), { added: [seg1], removed: [] })
    assert.deepEqual(diffInterfaces([seg1, seg2], [seg2]), { added: [], removed: [seg1] })
    assert.deepEqual(diffInterfaces([seg1], [{ ...seg1 }]), { added: [], removed: [] })
    const moved = { ...seg1, address: '10.77.3.2', cidr: '10.77.3.0/24' }
    assert.deepEqual(diffInterfaces([seg1, seg2], [moved, seg2]), { added: [moved], removed: [seg1] })
  })
})
