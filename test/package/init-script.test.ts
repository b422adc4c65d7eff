import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import { FILES_DIR, makeFakeRoot, procdCalls, procdInstances, type FakeRoot } from '../helpers/openwrt-root.js'

const MT6000 = { board_name: 'glinet,gl-mt6000', model: 'GL.iNet GL-MT6000', release: { target: 'mediatek/filogic' } }
const defaults = async (): Promise<string> => await readFile(`${FILES_DIR}/meshbox.config`, 'utf8')

async function start (fake: FakeRoot, action = 'start'): Promise<Awaited<ReturnType<typeof procdCalls>>> {
  await fake.sh([`${fake.root}/etc/rc.common`, `${fake.root}/etc/init.d/meshbox`, action])
  return await procdCalls(fake.procdLog)
}

describe('init script under procd', () => {
  it('default: the shipped config on a GL-MT6000 runs node with the profile\'s heap, LAN address and musl', async () => {
    const fake = await makeFakeRoot({ board: MT6000, addresses: { lan: '192.168.8.1' } })
    const [inst, ...more] = procdInstances(await start(fake))
    assert.equal(more.length, 0)
    assert.equal(inst?.name, 'main')
    assert.deepEqual(inst?.command, [
      '/usr/bin/node', '--max-old-space-size=160', '/usr/lib/meshbox/meshbox.mjs', 'start',
      '--data-dir', '/srv/meshbox', '--log-level', 'info', '--http-host', '192.168.8.1', '--http-port', '8080',
      '--profile', 'gl-mt6000', '--listen', '/ip4/0.0.0.0/tcp/4001', '--listen', '/p2p-circuit', '--chain', 'mainnet'
    ])
    assert.deepEqual(inst?.env, { LIBC: 'musl', NODE_ENV: 'production', MESHBOX_CHAIN_ENABLED: 'true' })
    assert.deepEqual(inst?.params, {
      respawn: ['3600', '5', '5'],
      limits: ['nofile=4096 4096', 'core=0 0'],
      term_timeout: ['10'],
      stdout: ['1'],
      stderr: ['1'],
      pidfile: ['/var/run/meshbox.pid']
    })
  })

  it('default: triggers reload on a meshbox UCI change and when the LAN interface changes', async () => {
    const fake = await makeFakeRoot({ board: MT6000, addresses: { lan: '192.168.8.1' } })
    const calls = await start(fake)
    assert.deepEqual(calls.filter(c => c.name.includes('trigger')), [
      { name: 'reload_trigger', args: ['meshbox'] },
      { name: 'reload_interface_trigger', args: ['lan'] }
    ])
    assert.deepEqual(calls[0], { name: 'open_service', args: ['meshbox', `${fake.root}/etc/init.d/meshbox`] })
    assert.equal(calls.at(-1)?.name, 'close_service')
  })

  it('args: every UCI option reaches the command line or the environment', async () => {
    const config = `
config agent 'main'
	option enabled 'yes'
	option profile 'x86-64-lab'
	option data_dir '/mnt/usb/meshbox'
	option heap_mb '96'
	option log_level 'debug'
	option respawn_threshold '600'
	option respawn_timeout '10'
	option respawn_retry '0'
config http 'http'
	option host '10.0.0.1'
	option port '9000'
config mesh 'mesh'
	list listen '/ip4/10.0.0.1/tcp/4002'
	option network_key_file '/etc/meshbox/swarm.key'
	list interfaces 'br-lan'
	list interfaces 'phy1-mesh0'
config chain 'chain'
	option enabled '0'
	option preset 'testnet'
	list rpc 'https://a.example/rpc'
	list rpc 'http://b.example:8545'
config services 'services'
	list roles 'uplink-gateway'
	list roles 'monitor'
`
    const fake = await makeFakeRoot({ config })
    const calls = await start(fake)
    const [inst] = procdInstances(calls)
    assert.deepEqual(inst?.command, [
      '/usr/bin/node', '--max-old-space-size=96', '/usr/lib/meshbox/meshbox.mjs', 'start',
      '--data-dir', '/mnt/usb/meshbox', '--log-level', 'debug', '--http-host', '10.0.0.1', '--http-port', '9000',
      '--profile', 'x86-64-lab', '--listen', '/ip4/10.0.0.1/tcp/4002', '--network-key-file', '/etc/meshbox/swarm.key',
      '--chain', 'testnet', '--chain-rpc', 'https://a.example/rpc', '--chain-rpc', 'http://b.example:8545'
    ])
    assert.deepEqual(inst?.env, {
      LIBC: 'musl',
      NODE_ENV: 'production',
      MESHBOX_CHAIN_ENABLED: 'false',
      MESHBOX_MESH_DISCOVERY_INTERFACES: 'br-lan,phy1-mesh0',
      MESHBOX_SERVICES_ROLES: 'uplink-gateway,monitor'
    })
    assert.deepEqual(inst?.params.respawn, ['600', '10', '0'])
    // Bound to a literal address: no interface to follow.
    assert.deepEqual(calls.filter(c => c.name.includes('trigger')), [{ name: 'reload_trigger', args: ['meshbox'] }])
  })

  it('behavior: enabled 0 starts nothing (procd then drops a running instance)', async () => {
    const fake = await makeFakeRoot({ board: MT6000, config: (await defaults()).replace("option enabled '1'", "option enabled '0'") })
    const calls = await start(fake)
    assert.deepEqual(procdInstances(calls), [])
    assert.deepEqual(calls.map(c => c.name), ['open_service', 'reload_trigger', 'reload_interface_trigger', 'close_service'])
  })

  it('behavior: LAN without an address yet binds loopback, never 0.0.0.0', async () => {
    const fake = await makeFakeRoot({ board: MT6000 })
    const [inst] = procdInstances(await start(fake))
    const cmd = inst?.command ?? []
    assert.equal(cmd[cmd.indexOf('--http-host') + 1], '127.0.0.1')
  })

  it('behavior: an unknown board with profile auto leaves profile and heap to the agent, data in /srv/meshbox', async () => {
    const fake = await makeFakeRoot({ board: { board_name: 'acme,unknown-router' }, addresses: { lan: '192.168.1.1' } })
    const [inst] = procdInstances(await start(fake))
    const cmd = inst?.command ?? []
    assert.equal(cmd.includes('--profile'), false)
    assert.equal(cmd.some(a => a.startsWith('--max-old-space-size')), false)
    assert.equal(cmd[cmd.indexOf('--data-dir') + 1], '/srv/meshbox')
  })

  it('behavior: reload re-sends the instance (procd restarts only on a change), then SIGHUP, no stop', async () => {
    const fake = await makeFakeRoot({ board: MT6000, addresses: { lan: '192.168.8.1' } })
    const calls = await start(fake, 'reload')
    assert.equal(procdInstances(calls).length, 1)
    assert.deepEqual(calls.map(c => c.name).filter(n => n.endsWith('_service') || n === 'send_signal'), ['open_service', 'close_service', 'send_signal'])
    assert.deepEqual(calls.at(-1), { name: 'send_signal', args: ['meshbox', 'main', 'HUP'] })
  })
})

describe('/usr/bin/meshbox', () => {
  it('default: runs the CLI against the service\'s address from UCI, with LIBC=musl; the user\'s flags come last', async () => {
    const fake = await makeFakeRoot({ addresses: { lan: '192.168.8.1' } })
    const out = await fake.sh([`${fake.root}/usr/bin/meshbox`, 'status', '--json', '--http-port', '9999'])
    assert.deepEqual(out.trim().split('\n'), ['LIBC=musl', `${fake.root}/usr/lib/meshbox/meshbox.mjs`, 'status', '--http-host', '192.168.8.1', '--http-port', '8080', '--json', '--http-port', '9999'])
  })

  it('behavior: no arguments means help; a 0.0.0.0 service is asked on loopback', async () => {
    const config = (await defaults()).replace("option host 'lan'", "option host '0.0.0.0'")
    const fake = await makeFakeRoot({ config })
    const out = await fake.sh([`${fake.root}/usr/bin/meshbox`])
    assert.deepEqual(out.trim().split('\n').slice(2), ['help', '--http-host', '127.0.0.1', '--http-port', '8080'])
  })
})
