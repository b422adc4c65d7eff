import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import { FILES_DIR, makeFakeRoot, uciShow, type FakeRoot } from '../helpers/openwrt-root.js'

const MT6000 = { board_name: 'glinet,gl-mt6000', model: 'GL.iNet GL-MT6000' }

/** OpenWrt's default lan/wan networks and fw4 zones (anonymous sections, as on a router). */
function system (opts: { lanAddr?: string, lanZone?: string } = {}): string {
  return uciShow('network', `
config interface 'lan'
	option device 'br-lan'
	option proto 'static'
${opts.lanAddr === undefined ? "\toption ipaddr '192.168.8.1'" : opts.lanAddr}
config interface 'wan'
	option device 'eth1'
	option proto 'dhcp'
`) + uciShow('firewall', `
config defaults
	option input 'REJECT'
config zone
	option name 'lan'
	list network 'lan'
	option input 'ACCEPT'
${opts.lanZone ?? ''}
config zone
	option name 'wan'
	list network 'wan'
	list network 'wan6'
	option input 'REJECT'
	option masq '1'
`)
}

async function seed (fake: FakeRoot, opts: { meshbox?: string, lanAddr?: string, lanZone?: string } = {}): Promise<void> {
  await writeFile(fake.uciState, uciShow('meshbox', opts.meshbox ?? await readFile(`${FILES_DIR}/meshbox.config`, 'utf8')) + system(opts))
}

const runDefaults = async (fake: FakeRoot): Promise<string> => await fake.sh([`${fake.root}/etc/uci-defaults/90-meshbox`])
const state = async (fake: FakeRoot): Promise<string[]> => (await readFile(fake.uciState, 'utf8')).split('\n').filter(l => l !== '')
const ruleLines = (lines: string[]): string[] => lines.filter(l => l.startsWith('firewall.meshbox_http'))
const config = async (from: string, to: string): Promise<string> => (await readFile(`${FILES_DIR}/meshbox.config`, 'utf8')).replace(from, to)

describe('uci-defaults script', () => {
  it('default: writes the board\'s profile, its data dir and the LAN address; opens the HTTP port from lan only', async () => {
    const fake = await makeFakeRoot({ board: MT6000 })
    await seed(fake)
    await runDefaults(fake)
    const lines = await state(fake)
    for (const l of ["meshbox.main.profile='gl-mt6000'", "meshbox.main.data_dir='/srv/meshbox'", "meshbox.http.host='192.168.8.1'"]) assert.ok(lines.includes(l), l)
    assert.deepEqual(ruleLines(lines), [
      'firewall.meshbox_http=rule',
      "firewall.meshbox_http.name='Allow-MeshBox-HTTP'",
      "firewall.meshbox_http.src='lan'",
      "firewall.meshbox_http.proto='tcp'",
      "firewall.meshbox_http.dest_port='8080'",
      "firewall.meshbox_http.target='ACCEPT'"
    ])
    assert.equal(lines.filter(l => /^firewall\.[^.]+\.src='wan6?'/.test(l)).length, 0, 'no rule from wan')
    assert.match(await readFile(fake.uciLog, 'utf8'), /^-q commit firewall$/m)
  })

  it('behavior: a second run (sourced in a subshell, as default_postinst does) changes nothing', async () => {
    const fake = await makeFakeRoot({ board: MT6000 })
    await seed(fake)
    await runDefaults(fake)
    const first = await readFile(fake.uciState, 'utf8')
    await writeFile(fake.uciLog, '')
    await fake.sh(['-c', '( . "$1" )', 'sh', `${fake.root}/etc/uci-defaults/90-meshbox`])
    assert.equal(await readFile(fake.uciState, 'utf8'), first)
    assert.doesNotMatch(await readFile(fake.uciLog, 'utf8'), /^-q set /m)
  })

  it('behavior: an operator\'s choices are kept; only the rule\'s port follows meshbox.http.port', async () => {
    const fake = await makeFakeRoot({ board: MT6000 })
    await seed(fake)
    await runDefaults(fake)
    // The operator moves the rule to the guest zone and picks a profile, address and port.
    const edited = (await readFile(fake.uciState, 'utf8'))
      .replace("firewall.meshbox_http.src='lan'", "firewall.meshbox_http.src='guest'")
      .replace("meshbox.main.profile='gl-mt6000'", "meshbox.main.profile='x86-64-lab'")
      .replace("meshbox.http.host='192.168.8.1'", "meshbox.http.host='10.9.0.1'")
      .replace("meshbox.http.port='8080'", "meshbox.http.port='9090'")
    await writeFile(fake.uciState, edited)
    await runDefaults(fake)
    const lines = await state(fake)
    for (const l of ["firewall.meshbox_http.src='guest'", "firewall.meshbox_http.dest_port='9090'", "meshbox.main.profile='x86-64-lab'", "meshbox.http.host='10.9.0.1'"]) assert.ok(lines.includes(l), l)
    assert.equal(ruleLines(lines).filter(l => l.endsWith('=rule')).length, 1)
  })

  it('args: a LAN address in CIDR form is bound without its prefix; a LAN without one leaves loopback', async () => {
    const cidr = await makeFakeRoot({ board: MT6000 })
    await seed(cidr, { lanAddr: "\tlist ipaddr '10.1.2.3/24'" })
    await runDefaults(cidr)
    assert.ok((await state(cidr)).includes("meshbox.http.host='10.1.2.3'"))
    const dhcp = await makeFakeRoot({ board: MT6000 })
    await seed(dhcp, { lanAddr: '' })
    await runDefaults(dhcp)
    assert.equal((await state(dhcp)).some(l => l.startsWith('meshbox.http.host=')), false)
    assert.match(await readFile(dhcp.loggerLog, 'utf8'), /network\.lan has no static address/)
  })

  it('error: when the lan zone faces WAN (masquerading, or covering wan) no rule is made', async () => {
    for (const lanZone of ["\toption masq '1'", "\tlist network 'wan'"]) {
      const fake = await makeFakeRoot({ board: MT6000 })
      await seed(fake, { lanZone })
      await runDefaults(fake)
      assert.deepEqual(ruleLines(await state(fake)), [], lanZone)
      assert.match(await readFile(fake.loggerLog, 'utf8'), /meshbox: zone 'lan' faces WAN here/)
    }
  })

  it('behavior: an unknown board keeps profile auto (the agent picks generic), data in /srv/meshbox', async () => {
    const fake = await makeFakeRoot({ board: { board_name: 'acme,unknown-router' } })
    await seed(fake, { meshbox: await config("option log_level 'info'", "option log_level 'warn'") })
    await runDefaults(fake)
    const lines = await state(fake)
    assert.ok(lines.includes("meshbox.main.profile='auto'"))
    assert.ok(lines.includes("meshbox.main.data_dir='/srv/meshbox'"))
    assert.ok(lines.includes("meshbox.main.log_level='warn'"))
    assert.match(await readFile(fake.loggerLog, 'utf8'), /no hardware profile lists board 'acme,unknown-router'/)
  })
})
