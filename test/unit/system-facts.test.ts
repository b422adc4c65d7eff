import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { describe, it } from 'node:test'
import { createSystemFacts } from '../../agent/system/facts.js'
import { parseMilliCelsius, parseNetDev } from '../../agent/system/proc.js'
import { tempDir } from '../helpers/tmp.js'

const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:  1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0
br-lan: 123456789 98765    1    2    0     0          0        50 987654321 87654    3    4    0     0       0          0
garbage line
`

describe('system facts on this machine', () => {
  it('default: sane numbers, and the event loop is never blocked while collecting', async (t) => {
    const dataDir = tempDir('facts')
    const facts = createSystemFacts({}, { dataDir, ttlMs: 50 })
    // Loading systeminformation is a one-time module load the agent does after it is ready.
    const warmStarted = performance.now()
    await facts.warm()
    t.diagnostic(`systeminformation loaded in ${(performance.now() - warmStarted).toFixed(1)} ms`)
    const delay = monitorEventLoopDelay({ resolution: 1 })
    delay.enable()
    const started = performance.now()
    const v = await facts.get()
    const firstMs = performance.now() - started
    const times: number[] = []
    for (let i = 0; i < 5; i++) {
      await new Promise(resolve => setTimeout(resolve, 60))
      const s = performance.now()
      await facts.get()
      times.push(performance.now() - s)
    }
    delay.disable()
    const maxDelayMs = delay.max / 1e6
    t.diagnostic(`first collection ${firstMs.toFixed(1)} ms, later ${times.map(x => x.toFixed(1)).join('/')} ms, max event-loop delay ${maxDelayMs.toFixed(1)} ms`)
    assert.ok(v.cpu.cores >= 1 && v.cpu.cores <= 1024)
    assert.ok(v.cpu.model.length > 0)
    assert.equal(v.cpu.loadAvg.length, 3)
    assert.ok(Math.abs(v.memory.totalBytes - os.totalmem()) < 16 * 1024 * 1024, 'MemTotal agrees with os.totalmem()')
    assert.ok(v.memory.availableBytes > 0 && v.memory.availableBytes <= v.memory.totalBytes)
    assert.ok(v.memory.agentRssBytes > 1024 * 1024)
    assert.ok(v.uptimeS > 0)
    assert.ok(v.interfaces.some(i => i.name === 'lo' && i.rxBytes >= 0 && i.addresses.includes('127.0.0.1/8')))
    assert.ok('totalBytes' in v.disk && v.disk.totalBytes > 0 && v.disk.availableBytes <= v.disk.totalBytes, JSON.stringify(v.disk))
    assert.ok('fsType' in v.disk && typeof v.disk.fsType === 'string')
    for (const temp of v.temperatures) assert.ok(temp.celsius > -40 && temp.celsius < 150)
    // Collection is async reads only; 50 ms would mean something ran synchronously (a sync exec is 100s of ms).
    assert.ok(maxDelayMs < 50, `event loop blocked for ${maxDelayMs} ms`)
  })

  it('behavior: answers are kept for the TTL and say how old they are', async () => {
    const facts = createSystemFacts({}, { dataDir: tempDir('facts'), ttlMs: 60_000 })
    const a = await facts.get()
    await new Promise(resolve => setTimeout(resolve, 30))
    const b = await facts.get()
    assert.equal(a.collectedAtMs, b.collectedAtMs)
    assert.ok(b.ageMs >= 25, String(b.ageMs))
  })

  it('behavior: a missing data directory is reported, not thrown', async () => {
    const v = await createSystemFacts({}, { dataDir: '/nonexistent/meshbox' }).get()
    assert.deepEqual(v.disk, { path: '/nonexistent/meshbox', error: 'ENOENT' })
  })

  it('behavior: /proc and /sys from a router-like fixture', async () => {
    const root = tempDir('procfs')
    mkdirSync(join(root, 'proc/net'), { recursive: true })
    writeFileSync(join(root, 'proc/net/dev'), NET_DEV)
    writeFileSync(join(root, 'proc/mounts'), '/dev/root /rom squashfs ro 0 0\noverlayfs:/overlay / overlay rw 0 0\n')
    mkdirSync(join(root, 'sys/class/thermal/thermal_zone0'), { recursive: true })
    writeFileSync(join(root, 'sys/class/thermal/thermal_zone0/temp'), '52300\n')
    writeFileSync(join(root, 'sys/class/thermal/thermal_zone0/type'), 'cpu-thermal\n')
    mkdirSync(join(root, 'sys/class/net/br-lan'), { recursive: true })
    writeFileSync(join(root, 'sys/class/net/br-lan/operstate'), 'up\n')
    writeFileSync(join(root, 'sys/class/net/br-lan/mtu'), '1500\n')
    const v = await createSystemFacts({}, { dataDir: root, procDir: join(root, 'proc'), sysDir: join(root, 'sys'), platform: { openwrt: true } }).get()
    assert.deepEqual(v.temperatures, [{ zone: 'thermal_zone0', type: 'cpu-thermal', celsius: 52.3 }])
    const br = v.interfaces.find(i => i.name === 'br-lan')
    assert.equal(br?.rxBytes, 123456789)
    assert.equal(br?.txDropped, 4)
    assert.equal(br?.operstate, 'up')
    assert.equal(br?.mtu, 1500)
    assert.deepEqual(v.platform, { openwrt: true })
  })

  it('behavior: the pure /proc readers', () => {
    assert.deepEqual(parseNetDev(NET_DEV).map(i => i.name), ['lo', 'br-lan'])
    assert.equal(parseMilliCelsius('45000'), 45)
    assert.equal(parseMilliCelsius('junk'), null)
    assert.equal(parseMilliCelsius(''), null)
  })
})
