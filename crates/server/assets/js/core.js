// The command centre's shared core: the message lookup t() and the language, the signed-in user
// and the role checks may(), calls to the JSON API (with the purpose every personal read
// states), escaping and small DOM and date helpers, the ECharts helpers every chart goes
// through, and the shell (menu, user, language button) drawn around each page. The pages in
// pages/ build on it; main.js routes between them. ECharts is a classic script: the global
// `echarts`.

import zh from './i18n/zh.js';
import en from './i18n/en.js';

const T = { zh, en };

export let lang = localStorage.getItem('tg.lang') || 'zh';
export function setLang(l) {
  lang = l;
}

export const t = (k) => (T[lang] && T[lang][k]) || k;
export const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
export const $ = (sel, root = document) => root.querySelector(sel);
export const main = () => $('#main');

// The signed-in user as /api/me answers it, or null.
export let me = null;
export function setMe(user) {
  me = user;
}

// The charts on the page (disposed when it changes) and the grids' GeoJSON once fetched.
let charts = [];
let grids = null;

export function purpose() {
  return ($('#purpose') && $('#purpose').value.trim()) || t('default_purpose');
}

// Each page the user goes to is a navigation. An answer that arrives after the user has moved
// on belongs to a page no longer shown: api() throws `Stale` for it rather than let that page
// draw over the current one.
let navigation = 0;
export function navigate() {
  navigation += 1;
}

export class Stale extends Error {}

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || ('HTTP ' + status));
    this.status = status;
    this.code = body && body.error && body.error.code;
  }
}

export async function api(path, opts = {}) {
  const issued = navigation;
  const res = await fetch(path, { credentials: 'same-origin', ...opts });
  const text = await res.text();
  if (issued !== navigation) throw new Stale(path);
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (_) { body = null; }
  if (res.status === 401 && !path.startsWith('/api/session')) {
    me = null;
    location.hash = '#/login';
    throw new ApiError(401, body);
  }
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

export const withPurpose = (path, extra = {}) => {
  const q = new URLSearchParams({ purpose: purpose(), ...extra });
  return path + (path.includes('?') ? '&' : '?') + q.toString();
};
export const post = (path, body) => api(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

export function may(action) {
  const r = me && me.role;
  const table = {
    trace: ['admin', 'analyst', 'epidemiologist'],
    manage: ['admin', 'analyst', 'epidemiologist'],
    import: ['admin', 'analyst'],
    feeds: ['admin', 'analyst'],
    audit: ['admin'],
    reveal: ['admin', 'analyst', 'epidemiologist', 'grid_worker'],
    person: ['admin', 'analyst', 'epidemiologist', 'grid_worker'],
    alerts: ['admin', 'analyst', 'epidemiologist', 'grid_worker', 'viewer'],
    overview: ['admin', 'analyst', 'epidemiologist', 'grid_worker', 'viewer'],
    tasks: ['admin', 'analyst', 'epidemiologist', 'grid_worker'],
    board: ['admin', 'analyst', 'epidemiologist', 'viewer'],
    work: ['admin', 'analyst', 'grid_worker'],
    route: ['admin', 'analyst'],
    residents: ['admin', 'analyst', 'epidemiologist', 'grid_worker'],
  };
  return (table[action] || []).includes(r);
}

export function disposeCharts() {
  charts.forEach((c) => c.dispose());
  charts = [];
}

// A chart needs room to draw in. An element with none (not laid out, or on a page already
// left) gets a chart that draws nothing: ECharts fails on a map of no size.
const NO_CHART = { setOption() {}, on() {}, getZr() { return { on() {} }; }, convertFromPixel() { return null; }, dispatchAction() {} };
const roomy = (el) => el && el.isConnected && el.clientWidth > 0 && el.clientHeight > 0;

export function chart(el) {
  if (!roomy(el)) return NO_CHART;
  const c = echarts.init(el);
  charts.push(c);
  return c;
}

// Only charts still on the page, with room, are resized: one whose element a new page
// replaced is gone.
window.addEventListener('resize', () => charts.forEach((c) => {
  if (!c.isDisposed() && roomy(c.getDom())) c.resize();
}));

export async function loadGrids() {
  if (!grids) {
    grids = await api('/api/grids.geojson');
    echarts.registerMap('grids', grids);
  }
  return grids;
}

// An import may have changed the grids: the next map fetches them again.
export function forgetGrids() {
  grids = null;
}

export function tags(reasons) {
  const seen = new Set();
  return reasons.filter((r) => !seen.has(r.code) && seen.add(r.code))
    .map((r) => `<span class="tag ${esc(r.code)}">${esc(t(r.code))}</span>`).join('');
}

export const short = (ts) => (ts ? ts.replace('T', ' ').slice(0, 16) : '');

export function showError(e) {
  if (e instanceof Stale) return;
  main().insertAdjacentHTML('afterbegin', `<div class="error" role="alert">${esc(e.message)}</div>`);
}

export function hashParams() {
  const q = location.hash.split('?')[1] || '';
  return Object.fromEntries(new URLSearchParams(q));
}

// ------------------------------------------------------------------ maps and timelines

export function placesOption(steps, highlight) {
  const pts = steps.filter((s) => s.place.lon != null).map((s) => ({
    name: s.place.name || s.place.place_id,
    value: [s.place.lon, s.place.lat, s.start],
    itemStyle: highlight && highlight.has(s.place.place_id) ? { color: '#e4572e' } : undefined,
  }));
  const line = pts.map((p) => [p.value[0], p.value[1]]);
  return {
    tooltip: { trigger: 'item', formatter: (p) => (p.seriesType === 'scatter' ? `${esc(p.name)}<br>${esc(short(p.value[2]))}` : esc(p.name)) },
    geo: { map: 'grids', roam: true, label: { show: false }, itemStyle: { areaColor: '#eef2f7', borderColor: '#9fb0c3' }, emphasis: { disabled: true } },
    series: [
      { type: 'lines', coordinateSystem: 'geo', polyline: true, data: line.length > 1 ? [{ coords: line }] : [], lineStyle: { color: '#1f6fbf', width: 1.5, opacity: 0.6 } },
      { type: 'scatter', coordinateSystem: 'geo', data: pts, symbolSize: 9, itemStyle: { color: '#1f6fbf' } },
    ],
  };
}

export function timelineOption(rows) {
  // rows: [{lane, start, end, label, color}]
  const lanes = [...new Set(rows.map((r) => r.lane))];
  return {
    tooltip: { formatter: (p) => `${esc(p.value[4])}<br>${esc(short(p.value[5]))} – ${esc(short(p.value[6]))}` },
    grid: { left: 120, right: 20, top: 10, bottom: 30 },
    xAxis: { type: 'time' },
    yAxis: { type: 'category', data: lanes, axisLabel: { width: 110, overflow: 'truncate' } },
    series: [{
      type: 'custom',
      renderItem: (params, api) => {
        const lane = api.value(0);
        const a = api.coord([api.value(1), lane]);
        const b = api.coord([api.value(2), lane]);
        const h = api.size([0, 1])[1] * 0.5;
        return { type: 'rect', shape: { x: a[0], y: a[1] - h / 2, width: Math.max(3, b[0] - a[0]), height: h }, style: { fill: api.value(3) } };
      },
      encode: { x: [1, 2], y: 0 },
      data: rows.map((r) => [lanes.indexOf(r.lane), Date.parse(r.start), Date.parse(r.end), r.color, r.label, r.start, r.end]),
    }],
  };
}

// ------------------------------------------------------------------ shell

export function drawShell() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.querySelectorAll('[data-t]').forEach((el) => { el.textContent = t(el.dataset.t); });
  $('#lang').textContent = lang === 'zh' ? 'English' : '中文';
  const p = $('#purpose');
  if (p && !p.value) p.value = localStorage.getItem('tg.purpose') || t('default_purpose');
  const items = [
    ['tasks', 'tasks'], ['residents', 'residents'], ['overview', 'overview'], ['alerts', 'alerts'], ['board', 'board'], ['trace', 'trace'], ['areas', 'manage'],
    ['import', 'import'], ['feeds', 'feeds'], ['audit', 'audit'],
  ].filter(([, a]) => me && may(a));
  const here = location.hash.split('?')[0].split('/')[1] || '';
  $('#nav').innerHTML = items.map(([k]) => `<a href="#/${k}" class="${here === k ? 'on' : ''}">${esc(t(k))}</a>`).join('')
    + (me && !['gate_guard', 'grid_worker'].includes(me.role) ? `<a href="/api/docs">${esc(t('api'))}</a>` : '');
  $('#user').textContent = me ? `${me.username} · ${t(`role_${me.role}`)}` : '';
  $('#logout').hidden = !me;
  $('#logout').textContent = t('logout');
}

// The event stream a page follows (the task list); closed when the user moves to another page.
let events = null;

export function follow(source) {
  events = source;
  return source;
}

export function stopFollowing() {
  if (events) { events.close(); events = null; }
}
