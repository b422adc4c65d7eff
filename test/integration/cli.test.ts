/**
 * The production bundle's command line: exit codes (0 ok, 64 usage, 78 configuration, 1 failure),
 * messages that name what was wrong, selftest, and the client commands against a running agent.
 * Commands that never get as far as the network (version, usage errors) run here; everything that
 * could start an agent or talk HTTP runs inside a namespace, and is skipped (saying why) when
 * namespaces are unavailable. A data dir on JFFS2 cannot be made here; the store unit tests cover
 * that refusal (exit 78).
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { AgentProcess } from '../helpers/agent-process.js'
import { AgentSet, availability, runCli, skipUnlessNetns, waitNeighbour } from '../helpers/live-agents.js'
import { createNetnsLab, type NetnsLab } from '../helpers/netns.js'

const EXIT = { ok: 0, failure: 1, usage: 64, config: 78 }
/** Keeps a `start` that wrongly got past validation on loopback and out of the working directory. */
const SAFE_START = ['--listen', '/ip4/127.0.0.1/tcp/0', '--http-port', '0']

describe('meshbox CLI', { timeout: 120_000 }, () => {
  let lab: NetnsLab | undefined
  let ns = ''
  let tmp = ''
  const agents = new AgentSet()

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'mbx-cli-'))
    if (availability !== true) return
    lab = createNetnsLab()
    ns = await lab.addNamespace('cli')
  })

  after(async () => {
    await agents.stopAll()
    await lab?.cleanup()
    if (tmp !== '') await rm(tmp, { recursive: true, force: true })
  })

  /** `meshbox start …` inside the namespace; expected to fail before anything listens. */
  const badStart = async (args: string[], env: NodeJS.ProcessEnv = {}): ReturnType<typeof runCli> =>
    await runCli(['start', '--data-dir', join(tmp, 'never-started'), ...args], { netns: ns, env, timeoutMs: 15_000 })

  it('behavior: version exits 0 and prints the version', async () => {
    const r = await runCli(['version'])
    assert.equal(r.code, EXIT.ok, r.stderr)
    assert.match(r.stdout, /^meshbox \d+\.\d+\.\d+/)
  })

  it('error: an unknown flag exits 64 with the usage on stderr', async () => {
    const r = await runCli(['version', '--no-such-flag'])
    assert.equal(r.code, EXIT.usage, r.stderr)
    assert.match(r.stderr, /no-such-flag/)
    assert.match(r.stderr, /Usage: meshbox <command>/)
    assert.equal(r.stdout, '')
  })

  it('error: an unknown command exits 64 and names it', async () => {
    const r = await runCli(['frobnicate'])
    assert.equal(r.code, EXIT.usage, r.stderr)
    assert.match(r.stderr, /unknown command "frobnicate"/)
    assert.match(r.stderr, /Usage: meshbox <command>/)
  })

  it('error: --http-port 99999 exits 78 naming http.port', async (t) => {
    if (skipUnlessNetns(t)) return
    const r = await badStart(['--listen', '/ip4/127.0.0.1/tcp/0', '--http-port', '99999'])
    assert.equal(r.code, EXIT.config, r.stderr)
    assert.match(r.stderr, /http\.port/)
    assert.match(r.stderr, /99999/)
  })

  it('error: a config file with an unknown key exits 78 naming the key and the file', async (t) => {
    if (skipUnlessNetns(t)) return
    const file = join(tmp, 'unknown-key.json')
    await writeFile(file, JSON.stringify({ version: 1, http: { prot: 8080 } }))
    const r = await badStart(['--config', file, ...SAFE_START])
    assert.equal(r.code, EXIT.config, r.stderr)
    assert.match(r.stderr, /prot/)
    assert.ok(r.stderr.includes(file), `names the file: ${r.stderr}`)
  })

  it('error: MESHBOX_HTTP_PORT=abc exits 78 naming the variable', async (t) => {
    if (skipUnlessNetns(t)) return
    const r = await badStart(['--listen', '/ip4/127.0.0.1/tcp/0'], { MESHBOX_HTTP_PORT: 'abc' })
    assert.equal(r.code, EXIT.config, r.stderr)
    assert.match(r.stderr, /MESHBOX_HTTP_PORT/)
  })

  it('error: --profile nope exits 78 naming the profile', async (t) => {
    if (skipUnlessNetns(t)) return
    const r = await badStart(['--profile', 'nope', ...SAFE_START])
    assert.equal(r.code, EXIT.config, r.stderr)
    assert.match(r.stderr, /nope/)
  })

  it('behavior: selftest exits 0 and says "selftest passed"', async (t) => {
    if (skipUnlessNetns(t)) return
    const r = await runCli(['selftest', '--data-dir', join(tmp, 'selftest')], { netns: ns, timeoutMs: 30_000 })
    assert.equal(r.code, EXIT.ok, `stdout: ${r.stdout}\nstderr: ${r.stderr}`)
    assert.match(r.stdout, /selftest passed/)
    assert.doesNotMatch(r.stdout, /FAIL/)
  })

  it('error: status with no agent running exits 1 and says how to fix it', async (t) => {
    if (skipUnlessNetns(t)) return
    const r = await runCli(['status', '--http-port', '8080'], { netns: ns })
    assert.equal(r.code, EXIT.failure, r.stderr)
    assert.match(r.stderr, /no agent answers at http:\/\/127\.0\.0\.1:8080/)
    assert.match(r.stderr, /meshbox start/)
  })

  describe('against running agents', () => {
    let a: AgentProcess
    let b: AgentProcess
    let port = ''
    let solo = ''

    before(async () => {
      if (availability !== true || lab === undefined) return
      solo = await lab.addNamespace('cli2')
      await lab.loopbackMulticast(solo)
      const args = ['--listen', '/ip4/127.0.0.1/tcp/0']
      ;[a, b] = await Promise.all([agents.start({ name: 'a', netns: solo, args }), agents.start({ name: 'b', netns: solo, args })])
      port = new URL(a.httpUrl).port
    })

    it('behavior: status exits 0 and shows the peer id; --json is parseable', async (t) => {
      if (skipUnlessNetns(t)) return
      const r = await runCli(['status', '--http-port', port], { netns: solo })
      assert.equal(r.code, EXIT.ok, r.stderr)
      assert.ok(r.stdout.includes(`peerId: ${a.peerId}`), r.stdout)
      const j = await runCli(['status', '--json', '--http-port', port], { netns: solo })
      assert.equal(j.code, EXIT.ok, j.stderr)
      const body = JSON.parse(j.stdout) as { peerId?: string }
      assert.equal(body.peerId, a.peerId)
    })

    it('behavior: neighbours exits 0 and shows the neighbour\'s peer id', async (t) => {
      if (skipUnlessNetns(t)) return
      await waitNeighbour(a, b.peerId, n => n.state === 'up', 10_000, 'A sees B')
      const r = await runCli(['neighbours', '--http-port', port], { netns: solo })
      assert.equal(r.code, EXIT.ok, r.stderr)
      const line = r.stdout.split('\n').find(l => l.startsWith(b.peerId))
      assert.ok(line !== undefined, `a row for B: ${r.stdout}`)
      assert.match(line, /\bup\b/)
      assert.match(line, /\bdirect\b/)
      assert.match(line, /\blo\b/)
    })

    it('error: ping with a junk peer id exits 1 with the API\'s message', async (t) => {
      if (skipUnlessNetns(t)) return
      const r = await runCli(['ping', 'not-a-peer', '--http-port', port], { netns: solo })
      assert.equal(r.code, EXIT.failure, r.stderr)
      assert.match(r.stderr, /not a peer id/)
    })
  })
})
