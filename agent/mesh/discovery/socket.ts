/**
 * One multicast-dns socket pinned to one interface: bound to 0.0.0.0:<port>, joined to the mDNS
 * group on that interface only, and sending out of that interface only (IP_MULTICAST_IF = its
 * address). Turns multicast-dns' mix of 'error' and 'warning' events into packets, fatal failures
 * (the caller closes the socket and retries on the next poll) and non-fatal warnings.
 */
import multicastDNS from 'multicast-dns'
import { MDNS_IPV4_GROUP } from './constants.js'
import type { DiscoveryInterface } from './types.js'
import type { Answer, Packet, Question } from 'dns-packet'
import type { RemoteInfo } from 'node:dgram'

export interface InterfaceSocketEvents {
  onReady: () => void
  onPacket: (packet: Packet, rinfo: RemoteInfo) => void
  /** The socket is unusable (bind or group join failed); close it and retry later. */
  onFatal: (err: NodeJS.ErrnoException) => void
  /** Something went wrong but the socket still works (a malformed packet, a failed send). */
  onWarning: (err: NodeJS.ErrnoException, what: 'decode' | 'send' | 'socket') => void
}

export interface InterfaceSocket {
  readonly iface: DiscoveryInterface
  isReady: () => boolean
  sendQuery: (packet: { questions: Question[] }) => void
  sendResponse: (packet: { answers: Answer[], additionals: Answer[] }) => void
  close: () => Promise<void>
}

/** Syscalls whose failure leaves the socket deaf or sending out of the wrong interface. */
const FATAL_SYSCALLS = new Set(['bind', 'addMembership', 'setMulticastInterface'])

function asErrno (err: unknown): NodeJS.ErrnoException {
  return err instanceof Error ? err : new Error(String(err))
}

export function openInterfaceSocket (iface: DiscoveryInterface, port: number, events: InterfaceSocketEvents): InterfaceSocket {
  let ready = false
  let closed = false
  const mdns = multicastDNS({
    type: 'udp4',
    ip: MDNS_IPV4_GROUP,
    port,
    interface: iface.address,
    bind: '0.0.0.0',
    reuseAddr: true,
    multicast: true,
    loopback: true
  })

  const fatal = (err: NodeJS.ErrnoException): void => {
    if (closed) return
    ready = false
    events.onFatal(err)
  }

  mdns.on('ready', () => {
    if (closed) return
    ready = true
    events.onReady()
  })
  mdns.on('packet', (packet: Packet, rinfo: RemoteInfo) => {
    if (closed) return
    events.onPacket(packet, rinfo)
  })
  // multicast-dns emits 'error' only for EACCES/EADDRINUSE (bind); everything else is a 'warning'.
  mdns.on('error', (err: Error) => { fatal(asErrno(err)) })
  mdns.on('warning', (err: Error) => {
    if (closed) return
    const e = asErrno(err)
    if (e.syscall !== undefined && FATAL_SYSCALLS.has(e.syscall)) fatal(e)
    else events.onWarning(e, e.syscall === undefined ? 'decode' : 'socket')
  })

  const sent = (err: Error | null): void => {
    if (err != null && !closed) events.onWarning(asErrno(err), 'send')
  }

  return {
    iface,
    isReady: () => ready && !closed,
    sendQuery: (packet) => { if (!closed) mdns.query(packet, sent) },
    sendResponse: (packet) => { if (!closed) mdns.respond(packet, sent) },
    close: async () => {
      if (closed) return
      closed = true
      ready = false
      await new Promise<void>(resolve => {
        try {
          mdns.destroy(() => { resolve() })
        } catch {
          resolve() // a socket that never bound may throw ERR_SOCKET_DGRAM_NOT_RUNNING
        }
      })
    }
  }
}
