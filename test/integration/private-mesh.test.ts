/**
 * Private mesh (libp2p pnet): boxes sharing the key made by `meshbox mesh-key` become neighbours;
 * a box with another key, or none, is found by mDNS but can never connect. A malformed key file
 * stops `start` with exit 78 and names the file. Four agents on one loopback segment in a
 * namespace; root only, skipped otherwise.
 */
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { AgentProcess } from '../helpers/agent-process.js'
import { AgentSet, availability, runCli, skipUnlessNetns, sleep, waitNeighbour } from '../helpers/live-agents.js'
import { createNetnsLab, type NetnsLab } from '../helpers/netns.js'

const LISTEN = ['--listen', '/ip4/127.0.0.1/tcp/0']
const KEY_FORMAT = /^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}\n?$/

describe('private mesh with a network key', { timeout: 90_000 }, () => {
  let lab: NetnsLab | undefined
  let ns = ''
  let tmp = ''
  const agents = new AgentSet()

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'mbx-pnet-'))
    if (availability !== true) return
    lab = createNetnsLab()
    ns = await lab.addNamespace('pnet')
    await lab.loopbackMulticast(ns)
  })

  after(async () => {
    await agents.stopAll()
    await lab?.cleanup()
    if (tmp !== '') await rm(tmp, { recursive: true, force: true })
  })

  const meshKey = async (file: string): Promise<string> => {
    const r = await runCli(['mesh-key']) // prints a key; no network involved
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, KEY_FORMAT)
    await writeFile(file, r.stdout, { mode: 0o600 })
    return r.stdout
  }

  it('behavior: mesh-key prints a fresh swarm key each time', async () => {
    const k1 = await meshKey(join(tmp, 'k1.key'))
    const k2 = await meshKey(join(tmp, 'k2.key'))
    assert.notEqual(k1, k2)
    assert.equal(await readFile(join(tmp, 'k1.key'), 'utf8'), k1)
  })

  it('behavior: same key → neighbours; other key or none → found by mDNS but never up', async (t) => {
    if (skipUnlessNetns(t)) return
    const shared = join(tmp, 'shared.key')
    const other = join(tmp, 'other.key')
    await meshKey(shared)
    await meshKey(other)
    // Debug logs show the refused dials, which proves discovery did find the outsiders.
    const withKey = (file: string): string[] => [...LISTEN, '--network-key-file', file, '--log-level', 'debug']
    const [a, b, c, d] = await Promise.all([
      agents.start({ name: 'a', netns: ns, args: withKey(shared) }),
      agents.start({ name: 'b', netns: ns, args: withKey(shared) }),
      agents.start({ name: 'c-other-key', netns: ns, args: withKey(other) }),
      agents.start({ name: 'd-no-key', netns: ns, args: [...LISTEN, '--log-level', 'debug'] })
    ]) as [AgentProcess, AgentProcess, AgentProcess, AgentProcess]
    const startedAt = Date.now()

    await waitNeighbour(a, b.peerId, n => n.state === 'up' && n.kind === 'direct', 10_000, 'A sees B up')
    await waitNeighbour(b, a.peerId, n => n.state === 'up' && n.kind === 'direct', 10_000, 'B sees A up')

    const outsiders = [c, d]
    const insiders = [a, b]
    // Watch for ~6 s: no insider ever lists an outsider as up (nor the other way round).
    while (Date.now() - startedAt < 6_500) {
      for (const self of [...insiders, ...outsiders]) {
        const others = insiders.includes(self) ? outsiders : insiders
        const ups = (await self.neighbours()).filter(n => n.state === 'up' && others.some(o => o.peerId === n.peerId))
        assert.deepEqual(ups, [], `${self.name} must not have a neighbour from the other mesh`)
      }
      await sleep(500)
    }
    for (const self of insiders) {
      const st = (await self.api<{ connections: number, meshPrivate: boolean }>('GET', '/api/v1/status')).body
      assert.equal(st.connections, 1, `${self.name} is connected to its partner only`)
      assert.equal(st.meshPrivate, true)
    }
    // Each insider finds each outsider by mDNS and has its dial refused (the lower peer id dials
    // first; the other waits a grace period, and a refused handshake can take its full timeout).
    for (const self of insiders) {
      for (const o of outsiders) {
        await self.waitForLog(l => l.msg === 'Dial failed' && l.ctx?.peerId === o.peerId, 15_000,
          `"Dial failed" for ${o.name} (found by mDNS, refused by the key)`)
      }
    }
  })

  it('error: a malformed key file makes start exit 78 naming the file', async (t) => {
    if (skipUnlessNetns(t)) return
    const bad = join(tmp, 'broken.key')
    await writeFile(bad, '/key/swarm/psk/1.0.0/\n/base16/\nnot-hex\n')
    const r = await runCli(['start', '--data-dir', join(tmp, 'bad-key-data'), ...LISTEN, '--http-port', '0', '--network-key-file', bad], { netns: ns, timeoutMs: 15_000 })
    assert.equal(r.code, 78, `stdout: ${r.stdout.slice(-1000)}\nstderr: ${r.stderr}`)
    assert.ok(r.stderr.includes(bad), `message names the file: ${r.stderr}`)
    assert.match(r.stderr, /64 hexadecimal digits/)

    const missing = join(tmp, 'missing.key')
    const m = await runCli(['start', '--data-dir', join(tmp, 'bad-key-data'), ...LISTEN, '--http-port', '0', '--network-key-file', missing], { netns: ns, timeoutMs: 15_000 })
    assert.equal(m.code, 78, m.stderr)
    assert.ok(m.stderr.includes(missing), `message names the missing file: ${m.stderr}`)
  })
})
