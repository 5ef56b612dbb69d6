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
// A message with its {placeholders} filled from `params` (a placeholder without one is kept).
export const tf = (k, params = {}) => t(k).replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
// The message of `k` if the catalogue has one, else `fallback`.
export const tOr = (k, fallback) => (T[lang] && k in T[lang] ? T[lang][k] : fallback);
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

// An error of the API, its message in the reader's language: the catalogue's text of its key
// (err_<key>) with its params filled in, else the text of its code; never the server's English
// on a Chinese page. The English stays in `english`, for support (showError puts it in a title).
class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {};
    super(ApiError.text(err, status));
    this.status = status;
    this.code = err.code;
    this.key = err.key;
    this.params = err.params || {};
    this.english = err.message || ('HTTP ' + status);
  }

  static text(err, status) {
    const params = err.params || {};
    const fill = (s) => s.replace(/\{(\w+)\}/g, (m, name) => {
      if (!(name in params)) return m;
      const v = String(params[name]);
      return name === 'role' && T[lang][`role_${v}`] ? T[lang][`role_${v}`] : v;
    });
    const keyed = err.key && T[lang][`err_${err.key}`];
    if (keyed) return fill(keyed);
    const coded = err.code && T[lang][`err_code_${err.code}`];
    if (coded) return coded;
    if (lang === 'en' && err.message) return err.message;
    return `${t('err_code_unknown')} (HTTP ${status})`;
  }
}

// On a phone the header has no room for the purpose box: the first read of a person's data in a
// session asks for it in a dialog (prefilled with the last one), and the header's chip changes it.
const narrow = () => window.matchMedia('(max-width: 800px)').matches;
let asking = null;

export function askPurpose() {
  if (asking) return asking;
  asking = new Promise((resolve, reject) => {
    const dlg = document.createElement('dialog');
    dlg.id = 'purpose-dialog';
    dlg.innerHTML = `<form method="dialog"><b>${esc(t('purpose_needed'))}</b>
      <input name="purpose" required maxlength="200" value="${esc(localStorage.getItem('tg.purpose') || t('default_purpose'))}">
      <div class="row-actions"><button class="primary" type="submit">${esc(t('ok'))}</button><button class="ghost" type="button" value="cancel">${esc(t('cancel'))}</button></div></form>`;
    document.body.append(dlg);
    const done = (value) => { dlg.close(); dlg.remove(); asking = null; if (value) resolve(value); else reject(new Error(t('purpose_needed'))); };
    dlg.querySelector('form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const v = dlg.querySelector('input').value.trim();
      if (!v) return;
      localStorage.setItem('tg.purpose', v);
      sessionStorage.setItem('tg.purpose.asked', '1');
      if ($('#purpose')) $('#purpose').value = v;
      drawPurposeChip();
      done(v);
    });
    dlg.querySelector('button[value=cancel]').addEventListener('click', () => done(null));
    dlg.addEventListener('cancel', (ev) => { ev.preventDefault(); done(null); });
    dlg.showModal();
  });
  return asking;
}

export function drawPurposeChip() {
  const chip = $('#purpose-chip');
  if (!chip) return;
  chip.hidden = !me || me.role === 'gate_guard';
  chip.textContent = purpose();
  chip.title = `${t('purpose_set')}：${purpose()}`;
}

export async function api(path, opts = {}) {
  // Taken before anything is awaited: a page left while its purpose was asked is stale too.
  const issued = navigation;
  if (narrow() && /[?&]purpose=/.test(path) && !sessionStorage.getItem('tg.purpose.asked')) {
    const p = await askPurpose();
    path = path.replace(/([?&]purpose=)[^&]*/, `$1${encodeURIComponent(p)}`);
  }
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
    users: ['admin'],
    reveal: ['admin', 'analyst', 'epidemiologist', 'grid_worker'],
    person: ['admin', 'analyst', 'epidemiologist', 'grid_worker'],
    alerts: ['admin', 'analyst', 'epidemiologist', 'grid_worker', 'viewer'],
    overview: ['admin', 'analyst', 'epidemiologist', 'grid_worker', 'viewer'],
    tasks: ['admin', 'analyst', 'epidemiologist', 'grid_worker'],
    board: ['admin', 'analyst', 'epidemiologist', 'viewer'],
    work: ['admin', 'analyst', 'grid_worker'],
    route: ['admin', 'analyst'],
    residents: ['admin', 'analyst', 'epidemiologist', 'grid_worker'],
    found: ['admin', 'analyst', 'epidemiologist'],
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

// /api/grids.geojson holds every level's shapes (properties code, name, level, parent_code);
// citymap.js draws the tree from it. Two maps are registered for the pages that draw on a plain
// base, both named by code (as ECharts matches a series' data): 'grids', the grid-level shapes
// (or the extent of the places when there are none), and 'city', the same with the counties
// after them as a faint base. Answers the whole collection.
export async function loadGrids() {
  if (!grids) {
    grids = await api('/api/grids.geojson');
    const named = (f) => ({ ...f, properties: { ...f.properties, name: f.properties.code } });
    const all = grids.features || [];
    let cells = all.filter((f) => f.properties.level === 'grid');
    if (!cells.length) cells = all.filter((f) => !['province', 'city', 'county'].includes(f.properties.level));
    if (!cells.length) cells = all;
    const counties = all.filter((f) => f.properties.level === 'county');
    echarts.registerMap('grids', { type: 'FeatureCollection', features: cells.map(named) });
    echarts.registerMap('city', { type: 'FeatureCollection', features: cells.concat(counties).map(named) });
    grids.counties = counties;
    grids.extent = extentOf(cells.length ? cells : all);
  }
  return grids;
}

// An import may have changed the grids: the next map fetches them again.
export function forgetGrids() {
  grids = null;
}

// [west, south, east, north] of GeoJSON features, or null.
function extentOf(features) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c) => {
    if (typeof c[0] === 'number') { b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]); b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]); } else c.forEach(walk);
  };
  features.forEach((f) => f.geometry && walk(f.geometry.coordinates));
  return b[0] <= b[2] ? b : null;
}

export function tags(reasons) {
  const seen = new Set();
  return reasons.filter((r) => !seen.has(r.code) && seen.add(r.code))
    .map((r) => `<span class="tag ${esc(r.code)}">${esc(t(r.code))}</span>`).join('');
}

// A subject as the page shows it: an unresolved `TYPE:VALUE` with its type in words
// ("电话 151****6651"); a person id as it is.
export function subjectText(s) {
  const m = /^(id_number|phone|plate|person_id):(.*)$/.exec(s || '');
  return m ? `${t('subject_type_' + m[1])} ${m[2]}` : (s || '');
}

// A count with the thousands separated, as the page's language writes it.
export const num = (n) => (n == null || n === '' ? '-' : Number(n).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB'));

export const short = (ts) => (ts ? ts.replace('T', ' ').slice(0, 16) : '');

export function showError(e) {
  if (e instanceof Stale) return;
  const english = e.english && e.english !== e.message ? ` title="${esc(`${t('err_english')}: ${e.english}`)}"` : '';
  main().insertAdjacentHTML('afterbegin', `<div class="error" role="alert"${english}>${esc(e.message)}</div>`);
}

// Prev/next under a paged table: `id` names its buttons (`${id}-prev`, `${id}-next`).
export function pagerHtml(id, offset, limit, total) {
  const from = total ? offset + 1 : 0;
  const to = Math.min(offset + limit, total);
  return `<div class="pager" id="${id}" ${total <= limit && offset === 0 ? 'hidden' : ''}>
    <button class="ghost" id="${id}-prev" type="button" ${offset === 0 ? 'disabled' : ''}>${esc(t('prev'))}</button>
    <span>${esc(tf('page_of', { from: num(from), to: num(to), total: num(total) }))}</span>
    <button class="ghost" id="${id}-next" type="button" ${offset + limit >= total ? 'disabled' : ''}>${esc(t('next'))}</button></div>`;
}

// Wires a pager drawn by pagerHtml: `go(offset)` shows that page.
export function wirePager(id, offset, limit, total, go) {
  const prev = document.getElementById(`${id}-prev`);
  const next = document.getElementById(`${id}-next`);
  if (prev) prev.addEventListener('click', () => go(Math.max(0, offset - limit)));
  if (next) next.addEventListener('click', () => { if (offset + limit < total) go(offset + limit); });
}

export function hashParams() {
  const q = location.hash.split('?')[1] || '';
  return Object.fromEntries(new URLSearchParams(q));
}

// ------------------------------------------------------------------ maps and timelines

// A trajectory on the city's grids (the counties outlined and named over them), zoomed to its
// points in the city: a trip to Wuhan keeps the view on the grids it came back to (the line runs
// off the edge; the map can be dragged and zoomed). Call loadGrids() first.
export function placesOption(steps, highlight) {
  const pts = steps.filter((s) => s.place.lon != null).map((s) => ({
    name: s.place.name || s.place.place_id,
    value: [s.place.lon, s.place.lat, s.start],
    itemStyle: highlight && highlight.has(s.place.place_id) ? { color: '#e4572e' } : undefined,
  }));
  const line = pts.map((p) => [p.value[0], p.value[1]]);
  const city = grids && grids.extent;
  const near = (p) => !city || (p[0] >= city[0] - 0.05 && p[0] <= city[2] + 0.05 && p[1] >= city[1] - 0.05 && p[1] <= city[3] + 0.05);
  const shown = line.filter(near).length ? line.filter(near) : line;
  let boundingCoords;
  if (shown.length) {
    const xs = shown.map((p) => p[0]); const ys = shown.map((p) => p[1]);
    const [w, e, s, n] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    // At least about 2 km across, with a margin, so one point is not a blur of grids.
    const pad = Math.max(0.01, (e - w) * 0.15, (n - s) * 0.15);
    boundingCoords = [[w - pad, n + pad], [e + pad, s - pad]];
  }
  const counties = (grids && grids.counties) || [];
  const countyName = Object.fromEntries(counties.map((f) => [f.properties.code, f.properties.name]));
  return {
    tooltip: { trigger: 'item', formatter: (p) => (p.seriesType === 'scatter' ? `${esc(p.name)}<br>${esc(short(p.value[2]))}` : esc(p.name)) },
    geo: {
      map: counties.length ? 'city' : 'grids', roam: true, boundingCoords,
      label: { show: false, color: '#51657b', fontSize: 13, formatter: (p) => countyName[p.name] || '' },
      itemStyle: { areaColor: '#eef2f7', borderColor: '#c3cfdb', borderWidth: 0.5 }, emphasis: { disabled: true },
      regions: counties.map((f) => ({ name: f.properties.code, silent: true, label: { show: true }, itemStyle: { areaColor: 'rgba(0,0,0,0)', borderColor: '#7d90a6', borderWidth: 1.5 } })),
    },
    series: [
      { type: 'lines', coordinateSystem: 'geo', polyline: true, data: line.length > 1 ? [{ coords: line }] : [], lineStyle: { color: '#1f6fbf', width: 1.5, opacity: 0.6 } },
      { type: 'scatter', coordinateSystem: 'geo', data: pts, symbolSize: 9, itemStyle: { color: '#1f6fbf' } },
    ],
  };
}

// A timeline, one lane a place, first visited on top: rows [{lane, name, kind, start, end, label,
// color, thin}]. `lane` keys the lane (a place_id); its label is `name` over `kind` (the place kind in
// words). Names that end alike ("…城关街道第1社区菜场", "…新城街道第1社区菜场") show as much as
// tells them apart, wrapped rather than cut. A lane needs about 36 px: the page sizes the chart.
export function timelineOption(rows, { labelWidth = 150 } = {}) {
  const lanes = [];
  const info = new Map();
  rows.forEach((r) => {
    if (info.has(r.lane)) return;
    info.set(r.lane, { name: r.name || r.lane, kind: r.kind || '' });
    lanes.push(r.lane);
  });
  const perLine = Math.max(6, Math.floor((labelWidth - 8) / 12));
  const names = lanes.map((l) => info.get(l).name);
  const tail = (s, n) => (s.length <= n ? s : '…' + s.slice(s.length - n + 1));
  const shown = new Map(lanes.map((l, i) => {
    const s = names[i];
    let n = Math.min(s.length, perLine);
    while (n < s.length && names.some((o) => o !== s && tail(o, n) === tail(s, n))) n += 1;
    const label = tail(s, n);
    const lines = [];
    for (let k = 0; k < label.length; k += perLine) lines.push(label.slice(k, k + perLine));
    return [l, lines.join('\n')];
  }));
  return {
    tooltip: {
      formatter: (p) => {
        const lane = info.get(lanes[p.value[0]]);
        return `<b>${esc(lane.name)}</b> <span style="color:#6b7a8a">${esc(lane.kind)}</span><br>${esc(p.value[4])}<br>${esc(short(p.value[5]))} – ${esc(short(p.value[6]))}`;
      },
    },
    grid: { left: labelWidth + 6, right: 16, top: 8, bottom: 28 },
    // Days as the page's language writes them ("2月1日", "1/2"); a tick within a day by its hour.
    xAxis: {
      type: 'time',
      axisLabel: {
        hideOverlap: true,
        formatter: (v) => {
          const d = new Date(v);
          const two = (n) => String(n).padStart(2, '0');
          if (d.getHours() || d.getMinutes()) return `${two(d.getHours())}:${two(d.getMinutes())}`;
          return lang === 'zh' ? `${d.getMonth() + 1}月${d.getDate()}日` : `${d.getDate()}/${d.getMonth() + 1}`;
        },
      },
    },
    yAxis: {
      type: 'category', data: lanes, inverse: true,
      axisLabel: {
        interval: 0, lineHeight: 14,
        formatter: (l) => `{n|${shown.get(l)}}\n{k|${info.get(l).kind}}`,
        rich: { n: { color: '#1d2733', fontSize: 12, lineHeight: 14, align: 'right' }, k: { color: '#6b7a8a', fontSize: 11, lineHeight: 14, align: 'right' } },
      },
    },
    series: [{
      type: 'custom',
      renderItem: (params, api) => {
        const lane = api.value(0);
        const a = api.coord([api.value(1), lane]);
        const b = api.coord([api.value(2), lane]);
        const h = api.size([0, 1])[1] * 0.5;
        // A `thin` row (another person's stay at the place) runs under the lane's own bars.
        const [y, hh] = api.value(7) ? [a[1] + h / 2 - 1, h * 0.35] : [a[1] - h / 2, h];
        return { type: 'rect', shape: { x: a[0], y, width: Math.max(3, b[0] - a[0]), height: hh }, style: { fill: api.value(3) } };
      },
      encode: { x: [1, 2], y: 0 },
      data: rows.map((r) => [lanes.indexOf(r.lane), Date.parse(r.start), Date.parse(r.end), r.color, r.label, r.start, r.end, r.thin ? 1 : 0]),
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
    ['tasks', 'tasks'], ['residents', 'residents'], ['overview', 'overview'], ['alerts', 'alerts'], ['board', 'board'], ['found', 'found'], ['trace', 'trace'], ['areas', 'manage'],
    ['import', 'import'], ['feeds', 'feeds'], ['users', 'users'], ['audit', 'audit'],
  ].filter(([, a]) => me && may(a));
  const here = location.hash.split('?')[0].split('/')[1] || '';
  $('#nav').innerHTML = items.map(([k]) => `<a href="#/${k}" class="${here === k ? 'on' : ''}">${esc(t(k))}</a>`).join('')
    + (me && !['gate_guard', 'grid_worker'].includes(me.role) ? `<a href="/api/docs">${esc(t('api'))}</a>` : '');
  $('#user').textContent = me ? `${me.username} · ${t(`role_${me.role}`)}` : '';
  $('#logout').hidden = !me;
  $('#logout').textContent = t('logout');
  // A gate guard reads no one's data by purpose: no box for it.
  $('.who .purpose').hidden = !me || me.role === 'gate_guard';
  drawPurposeChip();
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

// A chance of infection as a grid worker reads it: two significant figures, "<0.1%" below.
export function pct(p) {
  if (p == null || Number.isNaN(p)) return '-';
  const x = p * 100;
  if (x >= 10) return `${Math.round(x)}%`;
  if (x >= 1) return `${Number(x.toFixed(1))}%`;
  if (x >= 0.1) return `${Number(x.toFixed(2))}%`;
  return '<0.1%';
}

// The reason that contributed most to an alert's chance: the largest exposure, else the first.
export function mainReason(reasons) {
  return (reasons || []).reduce((best, r) => (best == null || (r.chance || 0) > (best.chance || 0) ? r : best), null);
}
