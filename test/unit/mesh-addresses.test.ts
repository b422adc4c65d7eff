import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { addressesOnSubnet, connectionFacts, interfaceForAddress } from '../../agent/mesh/addresses.js'
import { reservedRelays } from '../../agent/mesh/relay-supervisor.js'
import type { NetworkInterfaceInfo } from 'node:os'

const B = '12D3KooWRtABrymdTjL2X8yPk6DENwuus1pxDHGDrFEChuc1YYP9'
const C = '12D3KooWRimXaHDsm139CahkuEp6LE3eYFp3CKGvBhKQWxvdWfWu'

const iface = (address: string, cidr: string): NetworkInterfaceInfo =>
  ({ address, cidr, family: 'IPv4', netmask: '255.255.255.0', mac: '00:00:00:00:00:00', internal: false })

describe('mesh address helpers', () => {
  it('behavior: direct and relayed connections are told apart, with the relay id', () => {
    assert.deepEqual(connectionFacts({ remoteAddr: multiaddr(`/ip4/10.77.1.2/tcp/4001/p2p/${B}`) }), { kind: 'direct', via: null, ip: '10.77.1.2' })
    assert.deepEqual(connectionFacts({ remoteAddr: multiaddr(`/ip4/10.77.1.2/tcp/4001/p2p/${B}/p2p-circuit/p2p/${C}`) }), { kind: 'relayed', via: B, ip: '10.77.1.2' })
  })

  it('behavior: the interface a remote address sits behind', () => {
    const ifaces = { seg1: [iface('10.77.1.2', '10.77.1.2/24')], seg2: [iface('10.77.2.2', '10.77.2.2/24')] }
    assert.equal(interfaceForAddress('10.77.2.3', ifaces), 'seg2')
    assert.equal(interfaceForAddress('10.77.3.3', ifaces), null)
  })

  it('behavior: only addresses on the segment a peer was heard on are dialled', () => {
    const heard = [multiaddr('/ip4/127.0.0.1/tcp/1'), multiaddr('/ip4/10.77.1.1/tcp/4001'), multiaddr('/ip4/10.77.2.1/tcp/4001'), multiaddr('/ip6/::1/tcp/1')]
    assert.deepEqual(addressesOnSubnet(heard, '10.77.1.0/24').map(String), ['/ip4/10.77.1.1/tcp/4001'])
    assert.equal(addressesOnSubnet(heard, undefined).length, 4)
  })

  it('behavior: our relay reservations are read from our circuit addresses', () => {
    assert.deepEqual(reservedRelays([
      `/ip4/10.77.2.2/tcp/4001/p2p/${B}/p2p-circuit/p2p/${C}`,
      `/ip4/10.77.1.2/tcp/4001/p2p/${B}/p2p-circuit/p2p/${C}`,
      `/ip4/10.77.2.3/tcp/4001/p2p/${C}`
    ]), [B])
  })
})
