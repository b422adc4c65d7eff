/**
 * A hostile peer for broadcast: a plain libp2p node with gossipsub that connects to an agent and
 * publishes on `/meshbox/services/1`, each message correctly signed with its own key: first one
 * well-formed announcement of its own (so the test sees the channel works), then an announcement
 * claiming another box's roles, non-JSON, an unknown field, a bad role name, an oversized one,
 * an older sequence number (a replay of the past), and last an RPC larger than the agent's
 * gossipsub frame bound. Prints JSON lines:
 *   {"event":"started","peerId":…} {"event":"subscribed"} {"event":"sent","what":…} {"event":"done"}
 * Argument: JSON {"target": "<agent multiaddr with /p2p/>", "fakeDest": "<peer id>"}.
 * Run inside a test namespace only, with `--import tsx --import ./agent/polyfills.ts`.
 */
import { startGossipPeer } from './gossip-peer.js'

const init = JSON.parse(process.argv[2] ?? '{}') as { target: string, fakeDest: string }
const { self, send, finish } = await startGossipPeer(init.target, '/meshbox/services/1')

const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const announce = (fields: Record<string, unknown>): Uint8Array => text(JSON.stringify({ peerId: self, seq: 5, lifetimeMs: 60_000, roles: ['monitor'], ...fields }))
await send('good', announce({}))
await send('forged', announce({ peerId: init.fakeDest, seq: 1, roles: ['uplink-gateway'] }))
await send('not json', text('not json at all'))
await send('unknown field', announce({ seq: 6, evil: true }))
await send('bad role', announce({ seq: 7, roles: ['Uplink Gateway'] }))
await send('oversized', announce({ seq: 8, roles: ['monitor'], pad: 'x'.repeat(4000) }))
await send('older seq', announce({ seq: 3, roles: [] }))
await send('huge rpc', new Uint8Array(600 * 1024).fill(0x20))
await finish()
