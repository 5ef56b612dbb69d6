// The overview: counts, the map of alerts by grid (with each grid's red, yellow and green
// residents), alerts by reason and over time, cases by date, and the gates' last 24 hours.

import { t, esc, $, main, api, chart, loadGrids, short } from '../core.js';

export async function pageOverview() {
  const [o, ts, st, gd] = await Promise.all([api('/api/overview'), api('/api/tasks/stats'), api('/api/status/grids'), api('/api/gates/day'), loadGrids()]);
  const c = o.counts;
  const answered = ts.share_answered_in_time == null ? '-' : Math.round(ts.share_answered_in_time * 100) + '%';
  main().innerHTML = `<h1>${esc(t('overview'))} <span class="muted">${esc(short(o.as_of))}</span></h1>
    <div class="cards">
      ${[['alerts_n', c.alerts], ['cases_active', c.cases_active], ['areas_open', c.areas_open], ['persons', c.persons], ['sightings', c.sightings], ['unrouted', o.unrouted]]
        .map(([k, n]) => `<div class="card"><div class="n" data-count="${k}">${Number(n).toLocaleString()}</div><div class="l">${esc(t(k))}</div></div>`).join('')}
      <div class="card"><div class="n">${(ts.by_state.open || 0) + (ts.by_state.accepted || 0)}</div><div class="l">${esc(t('tasks'))} · ${esc(t('state_open'))}</div></div>
      <div class="card"><div class="n" id="answered-in-time">${answered}</div><div class="l">${esc(t('answered_in_time'))}</div></div>
      ${['red', 'yellow', 'green'].map((k) => `<div class="card status-${k}"><div class="n" data-status-count="${k}">${Number(st[k]).toLocaleString()}</div><div class="l">${esc(t(`status_${k}`))}</div></div>`).join('')}
    </div>
    <div class="grid2">
      <div class="panel"><h2>${esc(t('grid_map'))}</h2><div id="map" class="chart tall"></div></div>
      <div class="panel"><h2>${esc(t('by_reason'))}</h2><div id="reasons" class="chart"></div></div>
    </div>
    <div class="grid2">
      <div class="panel"><h2>${esc(t('over_time'))}</h2><div id="time" class="chart small"></div></div>
      <div class="panel"><h2>${esc(t('cases_by_date'))}</h2><div id="cases" class="chart small"></div></div>
    </div>
    <div class="grid2">
      <div class="panel"><h2>${esc(t('gate_day'))} <span class="muted">${esc(t('gate_scans'))} ${Number(gd.scans).toLocaleString()} · ${esc(t('gate_fevers'))} ${gd.fevers}</span></h2>${gd.scans ? '<div id="gates" class="chart small"></div>' : `<p class="muted">${esc(t('gate_no_scans'))}</p>`}</div>
      <div class="panel"><h2>${esc(t('gate_refusals'))}</h2>${Object.keys(gd.refusals).length
        ? `<table>${Object.entries(gd.refusals).sort((a, b) => b[1] - a[1]).map(([r, n]) => `<tr><td>${esc(t(`refuse_${r}`))}</td><td class="num">${n}</td></tr>`).join('')}</table>`
        : `<p class="muted">${esc(t('gate_none'))}</p>`}</div>
    </div>`;
  const hours = Object.keys(gd.by_hour).sort();
  const gateIds = [...new Set(hours.flatMap((h) => Object.keys(gd.by_hour[h])))];
  if (gd.scans) chart($('#gates')).setOption({
    grid: { left: 40, right: 10, top: 24, bottom: 30 }, tooltip: { trigger: 'axis' }, legend: { type: 'scroll', top: 0 },
    xAxis: { type: 'category', data: hours.map((h) => h.slice(11)) }, yAxis: { type: 'value', minInterval: 1 },
    series: gateIds.map((g) => ({ type: 'bar', stack: 'scans', name: (gd.gates.find((x) => x.gate === g) || {}).name || g, data: hours.map((h) => gd.by_hour[h][g] || 0) })),
  });
  const status = (g) => st.grids[g] || { red: 0, yellow: 0, green: 0 };
  const max = Math.max(1, ...o.by_grid.map((g) => g.alerts));
  const m = chart($('#map'));
  m.setOption({
    tooltip: { trigger: 'item', formatter: (p) => { const g = status(p.name); return `${esc(p.name)}<br>${esc(t('alerts'))}: ${p.value || 0}<br>${esc(t('status_red'))} ${g.red} · ${esc(t('status_yellow'))} ${g.yellow} · ${esc(t('status_green'))} ${g.green}`; } },
    visualMap: { min: 0, max, left: 'left', bottom: 10, calculable: true, inRange: { color: ['#f2f6fb', '#f7c59f', '#e4572e', '#8c1c13'] } },
    series: [{ type: 'map', map: 'grids', roam: true, name: t('alerts'), label: { show: false }, data: o.by_grid.map((g) => ({ name: g.grid_code, value: g.alerts })), emphasis: { label: { show: false } } }],
  });
  m.on('click', (p) => { location.hash = `#/alerts?grid=${encodeURIComponent(p.name)}`; });
  chart($('#reasons')).setOption({
    grid: { left: 110, right: 20, top: 10, bottom: 20 },
    xAxis: { type: 'value' }, yAxis: { type: 'category', data: o.by_reason.map((r) => t(r.code)) },
    series: [{ type: 'bar', data: o.by_reason.map((r) => r.alerts), itemStyle: { color: '#1f6fbf' } }],
    tooltip: {},
  });
  chart($('#time')).setOption({
    grid: { left: 40, right: 10, top: 10, bottom: 30 }, tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: o.over_time.map((d) => d.date) }, yAxis: { type: 'value' },
    series: [{ type: 'line', data: o.over_time.map((d) => d.alerts), areaStyle: {}, smooth: true }],
  });
  chart($('#cases')).setOption({
    grid: { left: 40, right: 10, top: 10, bottom: 30 }, tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: o.cases_by_date.map((d) => d.date) }, yAxis: { type: 'value', minInterval: 1 },
    series: [{ type: 'bar', data: o.cases_by_date.map((d) => d.cases), itemStyle: { color: '#c0392b' } }],
  });
}
