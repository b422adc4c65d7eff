/**
 * Defaults for per-interface mDNS discovery. Every value is chosen to stay wire-compatible with
 * stock js/go/rust libp2p mDNS while finding a new neighbour within 3 s.
 */

/** The DNS-SD service every libp2p implementation browses (libp2p mDNS spec). */
export const DEFAULT_SERVICE_TAG = '_p2p._udp.local'

/** IPv4 mDNS group and port (RFC 6762 §3); stock nodes only listen there. */
export const MDNS_IPV4_GROUP = '224.0.0.251'
export const DEFAULT_MDNS_PORT = 5353

/**
 * Periodic query interval. Stock js uses 10 s; we answer every query at once and announce on
 * start, so 5 s is only a safety net for lost packets and still costs one small packet per
 * interface per interval.
 */
export const DEFAULT_QUERY_INTERVAL_MS = 5000

/** Interfaces come and go (Wi-Fi mesh links, bridges); 2 s keeps "new neighbour seen < 3 s". */
export const DEFAULT_INTERFACE_POLL_MS = 2000

/** The TTL stock js and rust put on PTR/TXT records (RFC 6762 §10 suggests 120 s for host records). */
export const DEFAULT_ANSWER_TTL_S = 120

/** A DNS character-string carries a one-byte length (RFC 1035 §3.3, RFC 6763 §6.1). */
export const MAX_TXT_STRING_BYTES = 255

/**
 * Bounds on what we accept from the network. A stock node announces a handful of addresses;
 * 32 addresses, counted twice because we (and the spec) may repeat the TXT record in answers
 * and additionals, is generous and keeps a hostile packet from costing much CPU.
 */
export const MAX_TXT_STRINGS_PER_PACKET = 64
export const MAX_PTR_ANSWERS_PER_PACKET = 8

/**
 * Bound on what we send per interface. On one segment a node has one address per transport,
 * so 8 keeps the answer (TXT sent twice, see README) well under a 1500-byte MTU.
 */
export const MAX_ANNOUNCED_ADDRESSES = 8

/** Stock js uses a random 63-char instance name; 32 base32 chars are just as unique and shorter. */
export const PEER_NAME_LENGTH = 32

/**
 * Port in our SRV record when no announced address has a TCP port. go-libp2p puts 4001 there
 * too and ignores it: only the TXT dnsaddr records matter.
 */
export const DEFAULT_SRV_PORT = 4001

/** Linux interface flags from `/sys/class/net/<if>/flags` (include/uapi/linux/if.h). */
export const IFF_UP = 0x1
export const IFF_LOOPBACK = 0x8
export const IFF_MULTICAST = 0x1000
