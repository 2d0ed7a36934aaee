// admin: the dashboard, one self-contained HTML page (no CDN, no build step: nothing external is
// reachable where services run). It polls /api/overview every second and draws this service, its
// callers and its upstreams as a live graph: edges as thick as their traffic and coloured by
// success, endpoints as dots coloured by state, golden metrics with sparklines, the last errors.
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>inmesh dashboard</title>
<style>
  :root { --bg:#0f1419; --panel:#171d24; --text:#e6edf3; --muted:#8b98a5; --ok:#3fb950; --warn:#d29922; --bad:#f85149; --eject:#a371f7; --line:#2d333b; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif; background:var(--bg); color:var(--text); }
  header { display:flex; gap:16px; align-items:baseline; padding:14px 20px; border-bottom:1px solid var(--line); }
  header h1 { font-size:18px; margin:0; }
  header .muted { color:var(--muted); }
  .badge { padding:2px 8px; border-radius:10px; font-size:12px; font-weight:600; }
  .badge.ok { background:#1f3d2a; color:var(--ok); } .badge.bad { background:#442326; color:var(--bad); }
  main { display:grid; grid-template-columns: minmax(0,3fr) minmax(0,2fr); gap:16px; padding:16px 20px; }
  section { background:var(--panel); border:1px solid var(--line); border-radius:8px; padding:12px 14px; }
  section h2 { font-size:13px; text-transform:uppercase; letter-spacing:.06em; color:var(--muted); margin:0 0 10px; }
  #graph svg { width:100%; height:auto; display:block; }
  .node rect { fill:#1d2530; stroke:#3b4654; rx:10; }
  .node.self rect { stroke:#58a6ff; stroke-width:2; }
  .node text { fill:var(--text); font-size:15px; font-weight:600; text-anchor:middle; }
  .node .sub { fill:var(--muted); font-size:12px; font-weight:400; }
  .edge { fill:none; stroke-linecap:round; }
  .edge.flow { stroke-dasharray:8 8; stroke-linecap:butt; animation: flow linear infinite; }
  @keyframes flow { to { stroke-dashoffset:-32; } }
  .edge-label { fill:var(--text); font-size:12px; text-anchor:middle; paint-order:stroke; stroke:var(--bg); stroke-width:4px; }
  table { width:100%; border-collapse:collapse; font-variant-numeric:tabular-nums; }
  th, td { text-align:right; padding:5px 6px; border-bottom:1px solid var(--line); white-space:nowrap; }
  th:first-child, td:first-child { text-align:left; }
  th { color:var(--muted); font-weight:500; font-size:12px; }
  td.sub { padding-left:18px; color:var(--muted); }
  .legend { display:flex; gap:14px; flex-wrap:wrap; color:var(--muted); font-size:12px; margin-top:8px; }
  .dot { display:inline-block; width:10px; height:10px; border-radius:50%; margin-right:5px; vertical-align:middle; }
  #errors { list-style:none; margin:0; padding:0; max-height:280px; overflow:auto; font-size:13px; }
  #errors li { padding:6px 0; border-bottom:1px solid var(--line); }
  #errors .when { color:var(--muted); margin-right:8px; }
  #errors .code { color:var(--bad); font-weight:600; margin-right:8px; }
  .empty { color:var(--muted); }
  .wide { grid-column: 1 / -1; }
</style>
</head>
<body>
<header>
  <h1>inmesh · <span id="service">…</span></h1>
  <span id="identity" class="muted"></span>
  <span id="ready" class="badge">…</span>
  <span id="uptime" class="muted"></span>
  <span id="updated" class="muted" style="margin-left:auto"></span>
</header>
<main>
  <section id="graph" class="wide"><h2>Traffic</h2><svg id="svg" viewBox="0 0 1000 300" role="img" aria-label="service graph"></svg>
    <div class="legend">
      <span><span class="dot" style="background:var(--ok)"></span>healthy</span>
      <span><span class="dot" style="background:var(--warn)"></span>unhealthy</span>
      <span><span class="dot" style="background:var(--eject)"></span>ejected</span>
      <span><span class="dot" style="background:var(--bad)"></span>circuit open</span>
      <span>edges: width = requests/s, colour = success rate (last 10 s)</span>
    </div>
  </section>
  <section><h2>Golden metrics (last 10 s)</h2>
    <table id="golden"><thead><tr><th>series</th><th>req/s</th><th>success</th><th>p50</th><th>p95</th><th>p99</th><th>last minute</th></tr></thead><tbody></tbody></table>
  </section>
  <section><h2>Last errors</h2><ul id="errors"><li class="empty">none</li></ul></section>
</main>
<script>
(() => {
  const token = new URLSearchParams(location.search).get('token');
  const headers = token ? { authorization: 'Bearer ' + token } : {};
  const NS = 'http://www.w3.org/2000/svg';
  const $ = (id) => document.getElementById(id);
  const el = (name, attrs = {}, text) => {
    const node = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  const stateColor = (s) => ({ healthy: css('--ok'), unhealthy: css('--warn'), ejected: css('--eject'), 'circuit-open': css('--bad') })[s] || css('--muted');
  const successColor = (rate, rps) => rps === 0 ? css('--line') : rate >= 0.99 ? css('--ok') : rate >= 0.95 ? css('--warn') : css('--bad');
  const fmtMs = (ms) => ms === 0 ? '–' : ms < 10 ? ms.toFixed(1) + ' ms' : Math.round(ms) + ' ms';
  const fmtRps = (r) => r >= 100 ? Math.round(r).toString() : r.toFixed(1);
  const fmtPct = (r, n) => n === 0 ? '–' : (r * 100).toFixed(r >= 0.999 ? 1 : 2) + '%';

  function edge(svg, x1, y1, x2, y2, s) {
    const width = 2 + Math.log2(1 + s.requestsPerSecond) * 2.2;
    const mx = (x1 + x2) / 2;
    const d = 'M' + x1 + ',' + y1 + ' C' + mx + ',' + y1 + ' ' + mx + ',' + y2 + ' ' + x2 + ',' + y2;
    const color = successColor(s.successRate, s.requestsPerSecond);
    // A wide translucent band for the volume, a thin dashed line on top for the flow.
    svg.appendChild(el('path', { d, class: 'edge', stroke: color, 'stroke-opacity': 0.35, 'stroke-width': width.toFixed(1) }));
    if (s.requestsPerSecond > 0) {
      const flow = el('path', { d, class: 'edge flow', stroke: color, 'stroke-width': 2.5 });
      // Faster dashes for more traffic: the graph moves as the numbers do.
      flow.style.animationDuration = Math.max(0.25, 2.5 / Math.log2(2 + s.requestsPerSecond)) + 's';
      svg.appendChild(flow);
    }
    const label = fmtRps(s.requestsPerSecond) + ' rps · ' + fmtPct(s.successRate, s.requests) + ' · p99 ' + fmtMs(s.p99Ms);
    svg.appendChild(el('text', { x: mx, y: (y1 + y2) / 2 - 8, class: 'edge-label' }, label));
  }

  function node(svg, x, y, title, sub, self, id) {
    const g = el('g', { class: 'node' + (self ? ' self' : ''), 'data-testid': 'node-' + id });
    g.appendChild(el('rect', { x: x - 85, y: y - 26, width: 170, height: 52, rx: 10 }));
    g.appendChild(el('text', { x, y: y - 2 }, title));
    if (sub) g.appendChild(el('text', { x, y: y + 16, class: 'sub' }, sub));
    svg.appendChild(g);
    return g;
  }

  function sparkline(values) {
    const w = 90, h = 22, max = Math.max(1, ...values);
    const svg = el('svg', { width: w, height: h, viewBox: '0 0 ' + w + ' ' + h });
    const pts = values.map((v, i) => (i * w / Math.max(1, values.length - 1)).toFixed(1) + ',' + (h - 2 - (v / max) * (h - 4)).toFixed(1)).join(' ');
    svg.appendChild(el('polyline', { points: pts, fill: 'none', stroke: css('--ok'), 'stroke-width': 1.5 }));
    return svg;
  }

  function row(tbody, name, s, history, sub, id) {
    const tr = document.createElement('tr');
    tr.dataset.testid = 'row-' + id;
    const cells = [name, fmtRps(s.requestsPerSecond), fmtPct(s.successRate, s.requests), fmtMs(s.p50Ms), fmtMs(s.p95Ms), fmtMs(s.p99Ms)];
    cells.forEach((text, i) => {
      const td = document.createElement('td');
      td.textContent = text;
      if (i === 0 && sub) td.className = 'sub';
      if (i === 1) td.dataset.testid = 'rps-' + id;
      tr.appendChild(td);
    });
    const spark = document.createElement('td');
    if (history) spark.appendChild(sparkline(history));
    tr.appendChild(spark);
    tbody.appendChild(tr);
  }

  function render(o) {
    $('service').textContent = o.service;
    $('identity').textContent = o.identity || '';
    const ready = $('ready');
    ready.textContent = o.ready ? 'ready' : 'not ready';
    ready.className = 'badge ' + (o.ready ? 'ok' : 'bad');
    $('uptime').textContent = 'up ' + o.uptimeSeconds + ' s';
    $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();

    const svg = $('svg');
    const ups = o.upstreams;
    const height = Math.max(300, 60 + ups.length * 120);
    svg.setAttribute('viewBox', '0 0 1000 ' + height);
    svg.replaceChildren();
    const cy = height / 2;
    edge(svg, 185, cy, 355, cy, o.inbound);
    ups.forEach((u, i) => {
      const y = ups.length === 1 ? cy : 60 + i * ((height - 120) / Math.max(1, ups.length - 1));
      edge(svg, 525, cy, 735, y, u);
    });
    node(svg, 100, cy, 'callers', fmtRps(o.inbound.requestsPerSecond) + ' rps in', false, 'callers');
    node(svg, 440, cy, o.service, o.identity ? 'mTLS' : '', true, 'self');
    ups.forEach((u, i) => {
      const y = ups.length === 1 ? cy : 60 + i * ((height - 120) / Math.max(1, ups.length - 1));
      const g = node(svg, 820, y, u.name, u.endpoints.length + ' endpoints', false, u.name);
      u.endpoints.forEach((e, j) => {
        const dot = el('circle', { cx: 750 + 14 * (j % 12), cy: y + 40 + 14 * Math.floor(j / 12), r: 5, fill: stateColor(e.state), 'data-state': e.state });
        dot.appendChild(el('title', {}, e.id + ' · ' + e.state + (e.rttMs >= 0 ? ' · ' + e.rttMs.toFixed(1) + ' ms' : '') + ' · ' + e.pending + ' in flight'));
        g.appendChild(dot);
      });
    });

    const tbody = document.querySelector('#golden tbody');
    tbody.replaceChildren();
    row(tbody, 'inbound', o.inbound, o.inbound.history, false, 'inbound');
    for (const u of ups) {
      row(tbody, '→ ' + u.name, u, u.history, false, u.name);
      for (const s of u.subsets) row(tbody, s.name, s, null, true, u.name + '-' + s.name);
    }

    const list = $('errors');
    list.replaceChildren();
    if (o.errors.length === 0) {
      const li = document.createElement('li');
      li.className = 'empty';
      li.textContent = 'none';
      list.appendChild(li);
    }
    for (const e of o.errors) {
      const li = document.createElement('li');
      const when = document.createElement('span'); when.className = 'when'; when.textContent = new Date(e.time).toLocaleTimeString();
      const code = document.createElement('span'); code.className = 'code'; code.textContent = e.code || ('HTTP ' + e.status);
      li.append(when, code, document.createTextNode(e.direction + ' ' + e.service + ': ' + e.message));
      list.appendChild(li);
    }
  }

  async function tick() {
    try {
      const res = await fetch('api/overview', { headers, cache: 'no-store' });
      if (res.ok) render(await res.json());
    } catch (e) { /* the service may be restarting; try again */ }
    setTimeout(tick, 1000);
  }
  tick();
})();
</script>
</body>
</html>
`;
