/**
 * The technician status page: one self-contained HTML document (no external assets, works with
 * no internet) that polls the JSON API every two seconds.
 */
export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>MeshBox agent</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 1rem; color: #1b1f23; background: #fafafa; }
  h1 { font-size: 1.3rem; margin: 0 0 .5rem; }
  h2 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
  code { font-size: .85rem; word-break: break-all; }
  table { border-collapse: collapse; width: 100%; background: #fff; }
  th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #ddd; font-size: .9rem; }
  .up { color: #0a7d32; font-weight: 600; } .lost { color: #b3261e; font-weight: 600; }
  #error { color: #b3261e; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; }
  dt { color: #555; }
</style>
</head>
<body>
<h1>MeshBox agent</h1>
<p id="error" role="alert"></p>
<dl id="status"></dl>
<h2>Neighbours</h2>
<table>
  <thead><tr><th>Peer</th><th>State</th><th>Kind</th><th>Interface</th><th>RTT ms</th><th>Loss %</th><th>Last seen</th></tr></thead>
  <tbody id="neighbours"><tr><td colspan="7">loading…</td></tr></tbody>
</table>
<h2>Routes</h2>
<table>
  <thead><tr><th>Destination</th><th>Next hop</th><th>Metric</th><th>Hops</th><th>Age</th></tr></thead>
  <tbody id="routes"><tr><td colspan="5">loading…</td></tr></tbody>
</table>
<h2>Services</h2>
<table>
  <thead><tr><th>Role</th><th>Nearest</th><th>Metric</th><th>Hops</th><th>Providers</th></tr></thead>
  <tbody id="services"><tr><td colspan="5">loading…</td></tr></tbody>
</table>
<h2>Route changes</h2>
<table>
  <thead><tr><th>When</th><th>Destination</th><th>Change</th><th>Next hop</th><th>Why</th></tr></thead>
  <tbody id="route-log"><tr><td colspan="5">loading…</td></tr></tbody>
</table>
<script>
const text = (s) => String(s ?? '').replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]))
const ago = (ms) => { const s = Math.max(0, Math.round((Date.now() - ms) / 1000)); return s + ' s ago' }
async function refresh () {
  try {
    const [st, nb, rt, rl, sv, ms, ch] = await Promise.all(['api/v1/status', 'api/v1/neighbours', 'api/v1/routes', 'api/v1/routes/log', 'api/v1/services', 'api/v1/messages?limit=1', 'api/v1/chain'].map(u => fetch(u).then(r => r.json())))
    const [sy, wf] = await Promise.all(['api/v1/system', 'api/v1/wifi'].map(u => fetch(u).then(r => r.json()).catch(() => null)))
    document.getElementById('error').textContent = ''
    const rows = [['Peer id', '<code>' + text(st.peerId) + '</code>'], ['Version', text(st.version)], ['Profile', text(st.profile)],
      ['Uptime', text(st.uptimeS) + ' s'], ['Neighbours up', text(st.neighbours)], ['Memory (RSS)', text(Math.round(st.rssBytes / 1048576)) + ' MiB'],
      ['Messages', 'holding ' + text(ms.held.messages) + ' (' + text(Math.round(ms.held.bytes / 1024)) + ' KiB' +
        (ms.held.oldestAgeMs === null ? '' : ', oldest ' + text(Math.round(ms.held.oldestAgeMs / 1000)) + ' s') + '), inbox ' + text(ms.inbox) +
        ', delivered here ' + text(ms.counters.delivered) + ', dropped ' + text(ms.counters.dropped)],
      ['Chain', !ch.enabled ? 'off' : text(ch.preset) + ': ' + (ch.head === null ? 'no verified header yet' : 'head ' + text(ch.head.number) +
        ', block ' + text(Math.round(ch.head.ageMs / 1000)) + ' s old, from ' + text(ch.head.from)) + (ch.syncing ? ' (syncing to ' + text(ch.target) + ')' : '') +
        '; upstream ' + (ch.upstream.length === 0 ? 'none' : text(ch.upstream.filter(u => u.healthy).length) + '/' + text(ch.upstream.length) + ' healthy') +
        (ch.lastFailure ? '; last refused: ' + text(ch.lastFailure.message) : '')],
      ['System', !sy || !sy.cpu ? 'unavailable' : 'load ' + text(sy.cpu.loadAvg.join(' ')) + ', memory ' + text(Math.round(sy.memory.availableBytes / 1048576)) + ' MiB free of ' +
        text(Math.round(sy.memory.totalBytes / 1048576)) + ' MiB' + (sy.temperatures.length ? ', ' + text(Math.max(...sy.temperatures.map(t => t.celsius))) + ' °C' : '') +
        (sy.disk.availableBytes !== undefined ? ', data dir ' + text((sy.disk.availableBytes / 1073741824).toFixed(1)) + ' GiB free (' + text(sy.disk.fsType) + ')' : '')],
      ['Wi-Fi', !wf || !wf.radios ? 'unavailable' : !wf.available ? 'unavailable: ' + text(wf.note) : text(wf.radios.length) + ' radio interfaces, ' + text(wf.stations.length) + ' phones connected' + (wf.note ? ' (' + text(wf.note) + ')' : '')],
      ['Addresses', st.addresses.map(a => '<code>' + text(a) + '</code>').join('<br>')]]
    document.getElementById('status').innerHTML = rows.map(([k, v]) => '<dt>' + k + '</dt><dd>' + v + '</dd>').join('')
    document.getElementById('neighbours').innerHTML = nb.length === 0
      ? '<tr><td colspan="7">no neighbours yet</td></tr>'
      : nb.map(n => '<tr><td><code>' + text(n.peerId) + '</code></td><td class="' + text(n.state) + '">' + text(n.state) + '</td><td>' + text(n.kind) +
        (n.via ? ' via <code>' + text(n.via.slice(-8)) + '</code>' : '') + '</td><td>' + text(n.interface ?? '-') + '</td><td>' +
        text(n.rttMs === null ? '-' : n.rttMs.toFixed(2)) + '</td><td>' + text(n.lossPct) + '</td><td>' + ago(n.lastSeenMs) + '</td></tr>').join('')
    const short = (id) => id ? '…' + text(String(id).slice(-10)) : '-'
    document.getElementById('routes').innerHTML = rt.length === 0
      ? '<tr><td colspan="5">no routes yet</td></tr>'
      : rt.map(r => '<tr><td><code>' + text(r.destination) + '</code></td><td><code>' + short(r.nextHop) + '</code></td><td>' + text(r.metric) +
        '</td><td>' + text(r.hops) + '</td><td>' + text(Math.round(r.ageMs / 1000)) + ' s</td></tr>').join('')
    document.getElementById('services').innerHTML = sv.length === 0
      ? '<tr><td colspan="5">no roles announced</td></tr>'
      : sv.map(s => '<tr><td>' + text(s.role) + '</td><td>' + (s.nearest ? (s.nearest.self ? 'this box' : '<code>' + short(s.nearest.peerId) + '</code>') : 'none reachable') +
        '</td><td>' + text(s.nearest ? s.nearest.metric : '-') + '</td><td>' + text(s.nearest ? s.nearest.hops : '-') + '</td><td>' + text(s.providers.length) + '</td></tr>').join('')
    document.getElementById('route-log').innerHTML = rl.length === 0
      ? '<tr><td colspan="5">no changes yet</td></tr>'
      : rl.slice(-15).reverse().map(c => '<tr><td>' + ago(c.atMs) + '</td><td><code>' + short(c.destination) + '</code></td><td>' + text(c.change) +
        '</td><td>' + short(c.from && c.from.nextHop) + ' → ' + short(c.to && c.to.nextHop) + '</td><td>' + text(c.reason) + '</td></tr>').join('')
  } catch (err) {
    document.getElementById('error').textContent = 'agent not answering: ' + err.message
  }
}
refresh()
setInterval(refresh, 2000)
</script>
</body>
</html>
`
