import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import { FILES_DIR, makeFakeRoot, uciShow, type FakeRoot } from '../helpers/openwrt-root.js'

const MT6000 = { board_name: 'glinet,gl-mt6000', model: 'GL.iNet GL-MT6000' }

/** OpenWrt's default fw4 zones (anonymous sections, as in /etc/config/firewall), plus extra zones. */
function firewall (extra = ''): string {
  return uciShow('firewall', `
config defaults
	option input 'REJECT'
config zone
	option name 'lan'
	list network 'lan'
	option input 'ACCEPT'
config zone
	option name 'wan'
	list network 'wan'
	list network 'wan6'
	option input 'REJECT'
	option masq '1'
${extra}`)
}

async function seed (fake: FakeRoot, meshbox?: string, extraZones = ''): Promise<void> {
  await writeFile(fake.uciState, uciShow('meshbox', meshbox ?? await readFile(`${FILES_DIR}/meshbox.config`, 'utf8')) + firewall(extraZones))
}

const runDefaults = async (fake: FakeRoot): Promise<string> => await fake.sh([`${fake.root}/etc/uci-defaults/90-meshbox`])
const state = async (fake: FakeRoot): Promise<string[]> => (await readFile(fake.uciState, 'utf8')).split('\n').filter(l => l !== '')
const ruleLines = (lines: string[]): string[] => lines.filter(l => l.startsWith('firewall.meshbox_http'))

describe('uci-defaults script', () => {
  it('default: picks the board\'s profile and data dir, opens the HTTP port from lan only', async () => {
    const fake = await makeFakeRoot({ board: MT6000 })
    await seed(fake)
    await runDefaults(fake)
    const lines = await state(fake)
    assert.ok(lines.includes("meshbox.main.profile='gl-mt6000'"))
    assert.ok(lines.includes("meshbox.main.data_dir='/srv/meshbox'"))
    assert.deepEqual(ruleLines(lines), [
      'firewall.meshbox_http=rule',
      "firewall.meshbox_http.name='Allow-MeshBox-HTTP'",
      "firewall.meshbox_http.proto='tcp'",
      "firewall.meshbox_http.target='ACCEPT'",
      "firewall.meshbox_http.src='lan'",
      "firewall.meshbox_http.dest_port='8080'"
    ])
    assert.equal(lines.filter(l => /\.src='wan6?'/.test(l)).length, 0, 'no rule from wan')
    assert.match(await readFile(fake.uciLog, 'utf8'), /^-q commit firewall$/m)
  })

  it('behavior: a second run changes nothing and adds no rule', async () => {
    const fake = await makeFakeRoot({ board: MT6000 })
    await seed(fake)
    await runDefaults(fake)
    const first = await readFile(fake.uciState, 'utf8')
    await writeFile(fake.uciLog, '')
    // default_postinst sources the script in a subshell: run it that way this time.
    await fake.sh(['-c', '( . "$1" )', 'sh', `${fake.root}/etc/uci-defaults/90-meshbox`])
    assert.equal(await readFile(fake.uciState, 'utf8'), first)
    assert.doesNotMatch(await readFile(fake.uciLog, 'utf8'), /^-q set /m)
  })

  it('behavior: a changed port moves the one rule; an operator\'s profile choice is kept', async () => {
    const fake = await makeFakeRoot({ board: MT6000 })
    const config = (await readFile(`${FILES_DIR}/meshbox.config`, 'utf8')).replace("option port '8080'", "option port '9090'").replace("option profile 'auto'", "option profile 'x86-64-lab'")
    await seed(fake, config)
    await runDefaults(fake)
    const lines = await state(fake)
    assert.ok(lines.includes("meshbox.main.profile='x86-64-lab'"))
    assert.equal(ruleLines(lines).filter(l => l.endsWith('=rule')).length, 1)
    assert.ok(lines.includes("firewall.meshbox_http.dest_port='9090'"))
  })

  it('behavior: the phones\' own zone gets the rule when it is not WAN-facing', async () => {
    const fake = await makeFakeRoot({ board: MT6000 })
    const config = (await readFile(`${FILES_DIR}/meshbox.config`, 'utf8')).replace("option zone 'lan'", "option zone 'guest'")
    await seed(fake, config, "config zone\n\toption name 'guest'\n\tlist network 'guest'\n\toption input 'REJECT'\n")
    await runDefaults(fake)
    assert.ok((await state(fake)).includes("firewall.meshbox_http.src='guest'"))
  })

  it('error: a WAN-facing zone (named wan, masquerading, or covering wan) never gets the rule', async () => {
    const cases: Array<[string, string]> = [
      ['wan', ''],
      ['wan6', ''],
      ['uplink', "config zone\n\toption name 'uplink'\n\tlist network 'lte'\n\toption masq '1'\n"],
      ['outside', "config zone\n\toption name 'outside'\n\tlist network 'wan'\n"]
    ]
    for (const [zone, extra] of cases) {
      const fake = await makeFakeRoot({ board: MT6000 })
      await seed(fake, (await readFile(`${FILES_DIR}/meshbox.config`, 'utf8')).replace("option zone 'lan'", `option zone '${zone}'`), extra)
      await runDefaults(fake)
      assert.deepEqual(ruleLines(await state(fake)), [], `zone ${zone}`)
      assert.match(await readFile(fake.loggerLog, 'utf8'), new RegExp(`meshbox: zone '${zone}' faces WAN`), `zone ${zone} is logged`)
    }
  })

  it('behavior: an unknown board keeps profile auto and says so in the log', async () => {
    const fake = await makeFakeRoot({ board: { board_name: 'acme,unknown-router' } })
    await seed(fake)
    await runDefaults(fake)
    const lines = await state(fake)
    assert.ok(lines.includes("meshbox.main.profile='auto'"))
    assert.ok(lines.includes("meshbox.main.data_dir='/srv/meshbox'"))
    assert.match(await readFile(fake.loggerLog, 'utf8'), /no hardware profile lists board 'acme,unknown-router'/)
  })
})
