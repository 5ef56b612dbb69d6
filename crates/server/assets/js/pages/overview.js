// The overview: counts, the city map of alerts (county down to grid, each grid's red, yellow
// and green residents in the tooltip, the epidemic areas drawn on it), alerts by reason and over
// time, cases by date, and the gates' last 24 hours.

import { t, esc, $, main, api, chart, loadGrids, short, num, me } from '../core.js';
import { cityMap } from '../citymap.js';

export async function pageOverview() {
  const [o, ts, st, gd, geo, areas] = await Promise.all([api('/api/overview'), api('/api/tasks/stats'), api('/api/status/grids'), api('/api/gates/day'), loadGrids(),
    api('/api/areas').catch(() => [])]);
  const c = o.counts;
  const answered = ts.share_answered_in_time == null ? '-' : Math.round(ts.share_answered_in_time * 100) + '%';
  // "No home grid" counts alerts; the board's queue of tasks to route is fewer (a task goes to
  // the grid its subject was last seen in): the two are named apart, with the reason in a title.
  const card = (k, n, label, hint) => `<div class="card"${hint ? ` title="${esc(hint)}"` : ''}><div class="n" data-count="${k}">${num(n)}</div><div class="l">${esc(label)}</div></div>`;
  main().innerHTML = `<h1>${esc(t('overview'))} <span class="muted">${esc(short(o.as_of))}</span></h1>
    <div class="cards">
      ${card('alerts_n', c.alerts, t(o.scope === 'grids' ? 'ov_alerts_mine' : 'alerts_n'))}
      ${[['cases_active', c.cases_active], ['areas_open', c.areas_open], ['persons', c.persons], ['sightings', c.sightings]]
        .map(([k, n]) => card(k, n, t(k))).join('')}
      ${o.scope === 'grids' ? '' : card('unrouted', o.unrouted, t('ov_no_home_grid'), t('ov_no_home_grid_hint'))}
      <div class="card" title="${esc(t('ov_tasks_hint'))}"><div class="n">${num((ts.by_state.open || 0) + (ts.by_state.accepted || 0))}</div><div class="l">${esc(t('ov_open_tasks'))}</div></div>
      <div class="card"><div class="n" id="answered-in-time">${answered}</div><div class="l">${esc(t('answered_in_time'))}</div></div>
      ${['red', 'yellow', 'green'].map((k) => `<div class="card status-${k}"><div class="n" data-status-count="${k}">${num(st[k])}</div><div class="l">${esc(t(`status_${k}`))}</div></div>`).join('')}
    </div>
    <div class="grid2">
      <div class="panel"><h2>${esc(t('grid_map'))}</h2><div id="map"></div></div>
      <div class="panel"><h2>${esc(t('by_reason'))}</h2><div id="reasons" class="chart"></div></div>
    </div>
    <div class="grid2">
      <div class="panel"><h2>${esc(t('over_time'))}</h2><div id="time" class="chart small"></div></div>
      <div class="panel"><h2>${esc(t('cases_by_date'))}</h2><div id="cases" class="chart small"></div></div>
    </div>
    <div class="grid2">
      <div class="panel"><h2>${esc(t('gate_day'))} <span class="muted">${esc(t('gate_scans'))} ${num(gd.scans)} · ${esc(t('gate_fevers'))} ${num(gd.fevers)}</span></h2>${gd.scans ? '<div id="gates" class="chart small"></div>' : `<p class="muted">${esc(t('gate_no_scans'))}</p>`}</div>
      <div class="panel"><h2>${esc(t('gate_refusals'))}</h2>${Object.keys(gd.refusals).length
        ? `<table>${Object.entries(gd.refusals).sort((a, b) => b[1] - a[1]).map(([r, n]) => `<tr><td>${esc(t(`refuse_${r}`))}</td><td class="num">${num(n)}</td></tr>`).join('')}</table>`
        : `<p class="muted">${esc(t('gate_none'))}</p>`}</div>
    </div>`;
  const hours = Object.keys(gd.by_hour).sort();
  const gateIds = [...new Set(hours.flatMap((h) => Object.keys(gd.by_hour[h])))];
  if (gd.scans) chart($('#gates')).setOption({
    grid: { left: 40, right: 10, top: 24, bottom: 30 }, tooltip: { trigger: 'axis' }, legend: { type: 'scroll', top: 0 },
    xAxis: { type: 'category', data: hours.map((h) => h.slice(11)) }, yAxis: { type: 'value', minInterval: 1 },
    series: gateIds.map((g) => ({ type: 'bar', stack: 'scans', name: (gd.gates.find((x) => x.gate === g) || {}).name || g, data: hours.map((h) => gd.by_hour[h][g] || 0) })),
  });
  // A region's residents by colour: the sum over its grids.
  const colours = (grids) => grids.reduce((s, g) => {
    const x = st.grids[g];
    if (x) ['red', 'yellow', 'green'].forEach((k) => { s[k] += x[k] || 0; });
    return s;
  }, { red: 0, yellow: 0, green: 0 });
  cityMap($('#map'), geo, {
    key: 'overview',
    values: Object.fromEntries(o.by_grid.map((g) => [g.grid_code, g.alerts])),
    label: t('alerts_in_grid'),
    detail: (grids) => { const x = colours(grids); return ['red', 'yellow', 'green'].map((k) => `${esc(t('status_' + k))} ${num(x[k])}`).join(' · '); },
    areas,
    focus: me && me.role === 'grid_worker' ? me.grids : null,
    onGrid: (code) => { location.hash = `#/alerts?grid=${encodeURIComponent(code)}`; },
  });
  chart($('#reasons')).setOption({
    grid: { left: 110, right: 20, top: 10, bottom: 20 },
    xAxis: { type: 'value' }, yAxis: { type: 'category', data: o.by_reason.map((r) => t(r.code)) },
    series: [{ type: 'bar', data: o.by_reason.map((r) => r.alerts), itemStyle: { color: '#1f6fbf' } }],
    tooltip: { confine: true },
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
