import assert from 'node:assert/strict'
import { access, chmod, mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { tempDir } from '../helpers/tmp.js'
import { it } from 'node:test'
import { chromium } from 'playwright-core'
import { startAgent, type AgentProcess } from '../helpers/agent-process.js'
import { createNetnsLab, isNetnsAvailable } from '../helpers/netns.js'

const CHROMIUM = '/usr/bin/chromium'
// Flags that keep a headless Chromium from reaching for the network on its own.
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage']

it('behavior: the technician page shows the agent and its neighbours in a real browser', async (t) => {
  const netns = await isNetnsAvailable()
  if (netns !== true) { t.skip(netns); return }
  try { await access(CHROMIUM) } catch { t.skip(`${CHROMIUM} is missing (Debian package chromium; make test installs it)`); return }
  const lab = createNetnsLab()
  const agents: AgentProcess[] = []
  try {
    const ns = await lab.addNamespace('web')
    await lab.loopbackMulticast(ns)
    const listen = ['--listen', '/ip4/127.0.0.1/tcp/0']
    agents.push(await startAgent({ name: 'a', netns: ns, args: listen }), await startAgent({ name: 'b', netns: ns, args: listen }))
    const [a, b] = agents as [AgentProcess, AgentProcess]
    await a.until(async () => (await a.neighbours()).some(n => n.peerId === b.peerId && n.state === 'up'), 10_000, 'B up at A')

    // The browser runs inside the namespace, where the agent's loopback address lives.
    const dir = tempDir('browser')
    const wrapper = join(dir, 'chromium-in-netns.sh')
    await writeFile(wrapper, `#!/bin/sh\nexec ip netns exec ${ns} ${CHROMIUM} "$@"\n`)
    await chmod(wrapper, 0o755)
    const browser = await chromium.launch({ executablePath: wrapper, headless: true, args: CHROMIUM_FLAGS })
    try {
      const page = await browser.newPage()
      const errors: string[] = []
      page.on('pageerror', err => { errors.push(err.message) })
      await page.goto(a.httpUrl)
      await page.locator('#neighbours tr', { hasText: b.peerId }).waitFor({ timeout: 10_000 })
      assert.match(await page.locator('#status').innerText(), new RegExp(a.peerId))
      const row = page.locator('#neighbours tr', { hasText: b.peerId })
      assert.match(await row.innerText(), /up\s+direct\s+lo/)
      // The route to B (one hop) and the change that added it are listed for the technician.
      await page.locator('#routes tr', { hasText: b.peerId }).waitFor({ timeout: 10_000 })
      assert.match(await page.locator('#route-log').innerText(), /added/)
      assert.match(await page.locator('#services').innerText(), /no roles announced/)
      assert.match(await page.locator('#status').innerText(), /Messages\s+holding 0 \(0 KiB\), inbox 0, delivered here 0, dropped 0/)
      // Kept after the run (dist/ is git-ignored) so a person can look at what a technician sees.
      const shot = fileURLToPath(new URL('../../dist/test-artifacts/status-page.png', import.meta.url))
      await mkdir(dirname(shot), { recursive: true })
      await page.screenshot({ path: shot, fullPage: true })
      t.diagnostic(`screenshot: ${shot}`)
      assert.deepEqual(errors, [])

      // When the agent goes away the page says so instead of showing stale data silently.
      await a.stop()
      await page.locator('#error').filter({ hasText: 'agent not answering' }).waitFor({ timeout: 10_000 })
    } finally {
      await browser.close()
    }
  } finally {
    for (const agent of agents) await agent.stop()
    await lab.cleanup()
  }
})
