// tracegrid command centre. Every page is drawn from the JSON API; the server decides what each
// role may see, this script only leaves out what the role cannot use. No build step.
'use strict';

const T = {
  zh: {
    overview: '总览', alerts: '预警', trace: '追踪', areas: '疫区与病例', import: '数据导入', audit: '审计', api: '接口',
    login: '登录', logout: '退出', username: '用户名', password: '密码', bad_login: '用户名或密码错误',
    purpose: '查询事由', default_purpose: '疫情排查核实',
    alerts_n: '预警人数', cases_active: '在管病例', areas_open: '有效疫区', persons: '常住人口', sightings: '轨迹记录', unrouted: '无网格归属',
    by_reason: '预警原因', over_time: '预警随时间（最早线索日期）', cases_by_date: '确诊病例（按确诊日期）', grid_map: '网格预警分布',
    score: '评分', subject: '对象', name: '姓名', grid: '网格', reasons: '原因', id_number: '身份证号', phone: '电话', address: '住址',
    reason: '原因', min_score: '最低评分', search: '搜索', all: '全部', filter: '筛选', prev: '上一页', next: '下一页',
    total: '共', evidence: '证据', where: '地点', when: '时间', with_case: '关联病例', timeline: '时间轴', map: '地图',
    trajectory: '行动轨迹', contacts: '密接关系', degree: '度数', tier: '接触级别', first_at: '首次接触', is_case: '病例',
    trace_btn: '追踪', trace_of: '追踪对象', case_links: '病例间传播关联', open_trace: '查看追踪', reveal: '显示完整号码',
    areas_list: '疫区', area_name: '名称', add_area: '新增或修改疫区', area_id: '疫区编号', region_code: '行政区划代码', from: '开始', to: '结束', risk: '风险',
    draw: '在地图上点击绘制多边形（留空行政区划代码）', clear: '清除', save: '保存', end_area: '结束', changed: '变化',
    new_alerts: '新增预警', cleared: '解除预警', cases: '病例', add_case: '新增或修改病例', status: '状态', onset: '发病', confirmed: '确诊', isolated: '隔离',
    upload: '上传数据包（zip 或多个文件）', encoding: '编码', start_import: '开始导入', importing: '正在导入', rows_read: '已读行数',
    accepted: '接收', rejected: '拒收', duplicates: '重复', file: '文件', download_rejects: '下载拒收明细', done: '完成', failed: '失败',
    at: '时间', user: '用户', action: '操作', target: '对象', detail: '详情', more: '更多',
    none: '无', not_in_grid: '不在您的网格内', no_alert: '无预警', loading: '加载中…',
    CLOSE_CONTACT: '密切接触', SECONDARY_CONTACT: '次密接', GENERAL_CONTACT: '一般接触', EPI_AREA: '疫区来返',
    DELIVERY_FROM_AREA: '疫区快递', FEVER_MEDICINE: '购退烧药', OUTSIDE_ARRIVAL: '外地来衢',
    FEVER_CHECKIN: '打卡发热', MISSED_CHECKIN: '漏打卡',
    tasks: '今日任务', board: '任务看板', task: '任务', accept: '接受', record: '记录结果', submit: '提交',
    outcome: '结果', note: '备注', isolation_until: '隔离至', checkin: '健康打卡', temperature: '体温 °C', symptoms: '症状',
    due: '时限', overdue: '已超时', priority: '优先级', state_open: '待处理', state_accepted: '处理中', state_isolating: '居家隔离', state_closed: '已办结',
    confirmed_o: '已核实接触史', home_isolation: '居家隔离', central_isolation: '集中隔离', hospital: '送医检测', unreachable: '联系不上', wrong_person: '信息有误',
    cleared: '排除', isolation_completed: '隔离期满', history: '处理记录', new_tasks: '任务已更新', answered_in_time: '按时响应率', median_first_contact: '首次联系中位（分钟）',
    unrouted_queue: '无网格任务', escalated: '已升级', reassign: '改派', grid_code: '网格代码', by_grid_tasks: '各网格任务', outcomes_by_reason: '各原因处理结果',
    community: '社区', 'command centre': '指挥中心', none_left: '暂无任务', call: '拨打',
    residents: '我的住户', household: '户', show: '查看', photo: '证件照片', photos: '照片',
  },
  en: {
    overview: 'Overview', alerts: 'Alerts', trace: 'Trace', areas: 'Areas & cases', import: 'Import', audit: 'Audit', api: 'API',
    login: 'Log in', logout: 'Log out', username: 'User name', password: 'Password', bad_login: 'Wrong user name or password',
    purpose: 'Purpose', default_purpose: 'outbreak screening check',
    alerts_n: 'People alerted', cases_active: 'Active cases', areas_open: 'Open areas', persons: 'Residents', sightings: 'Sightings', unrouted: 'No grid',
    by_reason: 'Alerts by reason', over_time: 'Alerts over time (earliest lead)', cases_by_date: 'Cases by confirmation date', grid_map: 'Alerts by grid',
    score: 'Score', subject: 'Subject', name: 'Name', grid: 'Grid', reasons: 'Reasons', id_number: 'ID number', phone: 'Phone', address: 'Address',
    reason: 'Reason', min_score: 'Min score', search: 'Search', all: 'All', filter: 'Filter', prev: 'Previous', next: 'Next',
    total: 'Total', evidence: 'Evidence', where: 'Where', when: 'When', with_case: 'Case', timeline: 'Timeline', map: 'Map',
    trajectory: 'Trajectory', contacts: 'Contacts', degree: 'Degree', tier: 'Tier', first_at: 'First met', is_case: 'Case',
    trace_btn: 'Trace', trace_of: 'Subject', case_links: 'Transmission links between cases', open_trace: 'Open trace', reveal: 'Show full numbers',
    areas_list: 'Epidemic areas', area_name: 'Name', add_area: 'Add or change an area', area_id: 'Area id', region_code: 'Region code', from: 'From', to: 'To', risk: 'Risk',
    draw: 'Click the map to draw a polygon (leave region code empty)', clear: 'Clear', save: 'Save', end_area: 'End', changed: 'Changed',
    new_alerts: 'New alerts', cleared: 'Cleared', cases: 'Cases', add_case: 'Add or change a case', status: 'Status', onset: 'Onset', confirmed: 'Confirmed', isolated: 'Isolated',
    upload: 'Upload a drop (a zip or several files)', encoding: 'Encoding', start_import: 'Import', importing: 'Importing', rows_read: 'Rows read',
    accepted: 'Accepted', rejected: 'Rejected', duplicates: 'Duplicates', file: 'File', download_rejects: 'Download rejects', done: 'Done', failed: 'Failed',
    at: 'At', user: 'User', action: 'Action', target: 'Target', detail: 'Detail', more: 'More',
    none: 'None', not_in_grid: 'Not in your grids', no_alert: 'No alert', loading: 'Loading…',
    CLOSE_CONTACT: 'Close contact', SECONDARY_CONTACT: 'Secondary contact', GENERAL_CONTACT: 'General contact', EPI_AREA: 'Epidemic area',
    DELIVERY_FROM_AREA: 'Delivery from area', FEVER_MEDICINE: 'Fever medicine', OUTSIDE_ARRIVAL: 'Arrival from outside',
    FEVER_CHECKIN: 'Fever at check-in', MISSED_CHECKIN: 'Missed check-in',
    tasks: 'Tasks', board: 'Task board', task: 'Task', accept: 'Accept', record: 'Record outcome', submit: 'Submit',
    outcome: 'Outcome', note: 'Note', isolation_until: 'Isolate until', checkin: 'Check-in', temperature: 'Temperature °C', symptoms: 'Symptoms',
    due: 'Due', overdue: 'Overdue', priority: 'Priority', state_open: 'Open', state_accepted: 'Accepted', state_isolating: 'Isolating', state_closed: 'Closed',
    confirmed_o: 'Confirmed exposure', home_isolation: 'Home isolation', central_isolation: 'Central isolation', hospital: 'To hospital for testing', unreachable: 'Not reachable', wrong_person: 'Wrong person',
    cleared: 'Cleared', isolation_completed: 'Isolation completed', history: 'History', new_tasks: 'Tasks updated', answered_in_time: 'Answered in time', median_first_contact: 'Median minutes to first contact',
    unrouted_queue: 'Unrouted queue', escalated: 'Escalated', reassign: 'Reassign', grid_code: 'Grid code', by_grid_tasks: 'Tasks by grid', outcomes_by_reason: 'Outcomes by reason',
    community: 'Community', 'command centre': 'Command centre', none_left: 'No tasks', call: 'Call',
    residents: 'Households', household: 'Household', show: 'Show', photo: 'Photo of a document', photos: 'Photos',
  },
};
const REASONS = ['CLOSE_CONTACT', 'SECONDARY_CONTACT', 'GENERAL_CONTACT', 'EPI_AREA', 'DELIVERY_FROM_AREA', 'FEVER_MEDICINE', 'OUTSIDE_ARRIVAL'];

let lang = localStorage.getItem('tg.lang') || 'zh';
const t = (k) => (T[lang] && T[lang][k]) || k;
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const $ = (sel, root = document) => root.querySelector(sel);
const main = () => $('#main');
let me = null;
let charts = [];
let grids = null;

function purpose() {
  return ($('#purpose') && $('#purpose').value.trim()) || t('default_purpose');
}

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || ('HTTP ' + status));
    this.status = status;
    this.code = body && body.error && body.error.code;
  }
}

async function api(path, opts = {}) {
  const res = await fetch(path, { credentials: 'same-origin', ...opts });
  const text = await res.text();
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

const withPurpose = (path, extra = {}) => {
  const q = new URLSearchParams({ purpose: purpose(), ...extra });
  return path + (path.includes('?') ? '&' : '?') + q.toString();
};
const post = (path, body) => api(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

function may(action) {
  const r = me && me.role;
  const table = {
    trace: ['admin', 'analyst', 'epidemiologist'],
    manage: ['admin', 'analyst', 'epidemiologist'],
    import: ['admin', 'analyst'],
    audit: ['admin'],
    reveal: ['admin', 'analyst', 'epidemiologist', 'grid_worker'],
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

function disposeCharts() {
  charts.forEach((c) => c.dispose());
  charts = [];
}

function chart(el) {
  const c = echarts.init(el);
  charts.push(c);
  return c;
}

window.addEventListener('resize', () => charts.forEach((c) => c.resize()));

async function loadGrids() {
  if (!grids) {
    grids = await api('/api/grids.geojson');
    echarts.registerMap('grids', grids);
  }
  return grids;
}

function tags(reasons) {
  const seen = new Set();
  return reasons.filter((r) => !seen.has(r.code) && seen.add(r.code))
    .map((r) => `<span class="tag ${esc(r.code)}">${esc(t(r.code))}</span>`).join('');
}

const short = (ts) => (ts ? ts.replace('T', ' ').slice(0, 16) : '');

function showError(e) {
  main().insertAdjacentHTML('afterbegin', `<div class="error" role="alert">${esc(e.message)}</div>`);
}

// ------------------------------------------------------------------ shell

function drawShell() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.querySelectorAll('[data-t]').forEach((el) => { el.textContent = t(el.dataset.t); });
  $('#lang').textContent = lang === 'zh' ? 'English' : '中文';
  const p = $('#purpose');
  if (p && !p.value) p.value = localStorage.getItem('tg.purpose') || t('default_purpose');
  const items = [
    ['tasks', 'tasks'], ['residents', 'residents'], ['overview', 'overview'], ['alerts', 'alerts'], ['board', 'board'], ['trace', 'trace'], ['areas', 'manage'],
    ['import', 'import'], ['audit', 'audit'],
  ].filter(([, a]) => me && may(a));
  const here = location.hash.split('?')[0].split('/')[1] || '';
  $('#nav').innerHTML = items.map(([k]) => `<a href="#/${k}" class="${here === k ? 'on' : ''}">${esc(t(k))}</a>`).join('')
    + (me ? `<a href="/api/docs">${esc(t('api'))}</a>` : '');
  $('#user').textContent = me ? `${me.username} · ${me.role}` : '';
  $('#logout').hidden = !me;
  $('#logout').textContent = t('logout');
}

let events = null;

async function route() {
  disposeCharts();
  if (events) { events.close(); events = null; }
  if (!me && location.hash !== '#/login') {
    try { me = await api('/api/me'); } catch (_) { me = null; }
    if (!me) { location.hash = '#/login'; return; }
  }
  drawShell();
  const [, page, ...rest] = location.hash.split('?')[0].split('/');
  const arg = rest.length ? decodeURIComponent(rest.join('/')) : '';
  const pages = { login: pageLogin, overview: pageOverview, alerts: pageAlerts, alert: pageAlert, trace: pageTrace, areas: pageAreas, import: pageImport, audit: pageAudit, tasks: pageTasks, task: pageTask, board: pageBoard, residents: pageResidents };
  const home = { gate_guard: pageGate, grid_worker: pageTasks };
  const fn = pages[page] || (me && home[me.role]) || pageOverview;
  main().innerHTML = `<p class="muted">${esc(t('loading'))}</p>`;
  try {
    await fn(arg);
  } catch (e) {
    if (e.status !== 401) { main().innerHTML = ''; showError(e); }
  }
}

// ------------------------------------------------------------------ pages

async function pageLogin() {
  me = null;
  drawShell();
  main().innerHTML = `<form class="login" id="login-form">
    <h1>tracegrid</h1>
    <label>${esc(t('username'))}<input name="username" autocomplete="username" required></label>
    <label>${esc(t('password'))}<input name="password" type="password" autocomplete="current-password" required></label>
    <button class="primary" type="submit">${esc(t('login'))}</button>
    <div id="login-error"></div></form>`;
  $('#login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    try {
      const r = await post('/api/session', { username: f.get('username'), password: f.get('password') });
      me = r.user;
      location.hash = { gate_guard: '#/gate', grid_worker: '#/tasks' }[me.role] || '#/overview';
    } catch (e) {
      $('#login-error').innerHTML = `<div class="error" role="alert">${esc(e.status === 401 ? t('bad_login') : e.message)}</div>`;
    }
  });
}

async function pageOverview() {
  const [o, ts] = await Promise.all([api('/api/overview'), api('/api/tasks/stats'), loadGrids()]);
  const c = o.counts;
  const answered = ts.share_answered_in_time == null ? '-' : Math.round(ts.share_answered_in_time * 100) + '%';
  main().innerHTML = `<h1>${esc(t('overview'))} <span class="muted">${esc(short(o.as_of))}</span></h1>
    <div class="cards">
      ${[['alerts_n', c.alerts], ['cases_active', c.cases_active], ['areas_open', c.areas_open], ['persons', c.persons], ['sightings', c.sightings], ['unrouted', o.unrouted]]
        .map(([k, n]) => `<div class="card"><div class="n" data-count="${k}">${Number(n).toLocaleString()}</div><div class="l">${esc(t(k))}</div></div>`).join('')}
      <div class="card"><div class="n">${(ts.by_state.open || 0) + (ts.by_state.accepted || 0)}</div><div class="l">${esc(t('tasks'))} · ${esc(t('state_open'))}</div></div>
      <div class="card"><div class="n" id="answered-in-time">${answered}</div><div class="l">${esc(t('answered_in_time'))}</div></div>
    </div>
    <div class="grid2">
      <div class="panel"><h2>${esc(t('grid_map'))}</h2><div id="map" class="chart tall"></div></div>
      <div class="panel"><h2>${esc(t('by_reason'))}</h2><div id="reasons" class="chart"></div></div>
    </div>
    <div class="grid2">
      <div class="panel"><h2>${esc(t('over_time'))}</h2><div id="time" class="chart small"></div></div>
      <div class="panel"><h2>${esc(t('cases_by_date'))}</h2><div id="cases" class="chart small"></div></div>
    </div>`;
  const max = Math.max(1, ...o.by_grid.map((g) => g.alerts));
  const m = chart($('#map'));
  m.setOption({
    tooltip: { trigger: 'item', formatter: (p) => `${esc(p.name)}<br>${esc(t('alerts'))}: ${p.value || 0}` },
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

function hashParams() {
  const q = location.hash.split('?')[1] || '';
  return Object.fromEntries(new URLSearchParams(q));
}

async function pageAlerts() {
  const f = { sort: 'score', desc: 'false', offset: '0', limit: '50', ...hashParams() };
  const q = new URLSearchParams(Object.fromEntries(Object.entries(f).filter(([, v]) => v !== '')));
  const page = await api(withPurpose('/api/alerts?' + q.toString()));
  const cols = [['score', 'score'], ['subject', 'subject'], ['name', null], ['grid', 'grid'], ['reasons', 'first_at']];
  // Scores run highest first unless reversed; everything else runs ascending.
  const arrow = (s) => (f.sort === s ? ((f.desc === 'true') !== (s === 'score') ? ' ▼' : ' ▲') : '');
  main().innerHTML = `<h1>${esc(t('alerts'))} <span class="muted">${esc(t('total'))} <span id="alert-total">${page.total}</span></span></h1>
    <form class="filters" id="filters">
      <label>${esc(t('reason'))}<select name="reason"><option value="">${esc(t('all'))}</option>
        ${REASONS.map((r) => `<option value="${r}" ${f.reason === r ? 'selected' : ''}>${esc(t(r))}</option>`).join('')}</select></label>
      <label>${esc(t('grid'))}<input name="grid" value="${esc(f.grid || '')}" size="14"></label>
      <label>${esc(t('min_score'))}<input name="min_score" type="number" step="0.05" min="0" max="1" value="${esc(f.min_score || '')}" style="width:80px"></label>
      <label>${esc(t('search'))}<input name="q" value="${esc(f.q || '')}" size="14"></label>
      <button class="primary" type="submit">${esc(t('filter'))}</button>
    </form>
    <div class="scroll"><table id="alerts-table"><thead><tr>
      ${cols.map(([k, s]) => `<th data-sort="${s || ''}">${esc(t(k))}${s ? arrow(s) : ''}</th>`).join('')}
    </tr></thead><tbody>
      ${page.alerts.map((a) => `<tr class="click" data-subject="${esc(a.subject)}">
        <td>${a.score.toFixed(3)}</td><td>${esc(a.subject)}<div class="muted hide-sm">${esc(a.id_number || '')}</div></td>
        <td>${esc(a.name || '')}</td><td>${esc(a.grid_code || '')}</td><td>${tags(a.reasons)}</td></tr>`).join('')}
    </tbody></table></div>
    <div class="pager">
      <button class="ghost" id="prev" ${page.offset === 0 ? 'disabled' : ''}>${esc(t('prev'))}</button>
      <span>${page.total ? page.offset + 1 : 0}–${Math.min(page.offset + page.limit, page.total)} / ${page.total}</span>
      <button class="ghost" id="next" ${page.offset + page.limit >= page.total ? 'disabled' : ''}>${esc(t('next'))}</button>
    </div>`;
  const go = (changes) => {
    const next = { ...f, ...changes };
    const qs = new URLSearchParams(Object.fromEntries(Object.entries(next).filter(([, v]) => v !== '' && v != null)));
    location.hash = '#/alerts?' + qs.toString();
  };
  $('#filters').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const d = Object.fromEntries(new FormData(ev.target));
    go({ ...d, offset: '0' });
  });
  document.querySelectorAll('th[data-sort]').forEach((th) => th.addEventListener('click', () => {
    const s = th.dataset.sort;
    if (!s) return;
    go({ sort: s, desc: f.sort === s && f.desc !== 'true' ? 'true' : 'false', offset: '0' });
  }));
  $('#prev').addEventListener('click', () => go({ offset: String(Math.max(0, page.offset - page.limit)) }));
  $('#next').addEventListener('click', () => go({ offset: String(page.offset + page.limit) }));
  document.querySelectorAll('tr[data-subject]').forEach((tr) => tr.addEventListener('click', () => {
    location.hash = '#/alert/' + encodeURIComponent(tr.dataset.subject);
  }));
}

function placesOption(steps, highlight) {
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

function timelineOption(rows) {
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

async function pageAlert(subject) {
  const [d] = await Promise.all([api(withPurpose('/api/alerts/' + encodeURIComponent(subject))), loadGrids()]);
  const a = d.alert;
  const p = d.person;
  main().innerHTML = `<h1>${esc(a.name || a.subject)} <span class="muted">${esc(a.subject)} · ${esc(t('score'))} ${a.score.toFixed(3)}</span></h1>
    <div class="grid2">
      <div class="panel">
        <dl class="kv" id="person">
          <dt>${esc(t('id_number'))}</dt><dd data-field="id_number">${esc((p && p.id_number) || a.id_number || '')}</dd>
          <dt>${esc(t('phone'))}</dt><dd>${esc((p && p.phone) || '')}</dd>
          <dt>${esc(t('address'))}</dt><dd>${esc((p && p.address) || '')}</dd>
          <dt>${esc(t('grid'))}</dt><dd>${esc(a.grid_code || '')} ${esc((p && p.grid_name) || '')}</dd>
          <dt>${esc(t('reasons'))}</dt><dd>${tags(a.reasons)}</dd>
        </dl>
        <p>${may('reveal') ? `<button class="ghost" id="reveal">${esc(t('reveal'))}</button>` : ''}
           ${may('trace') ? `<a class="ghost" href="#/trace/${encodeURIComponent(a.subject)}">${esc(t('open_trace'))}</a>` : ''}</p>
        <h2>${esc(t('evidence'))}</h2>
        <div id="evidence">${d.evidence.map((e) => `<div class="ev">
          <div><span class="tag ${esc(e.reason.code)}">${esc(t(e.reason.code))}</span> ${esc(short(e.reason.at))}
            ${e.reason.case ? `· ${esc(t('with_case'))} ${esc(e.reason.case)}` : ''}
            ${e.reason.area_id ? `· ${esc(e.reason.area_id)}` : ''}${e.reason.via ? ` · via ${esc(e.reason.via)}` : ''}</div>
          ${e.place ? `<div class="muted">${esc(t('where'))}: ${esc(e.place.name || e.place.place_id)} (${esc(e.place.kind)})</div>` : ''}
          ${(e.subject_sightings || []).map((s) => `<div class="muted">· ${esc(short(s.start))} – ${esc(short(s.end))} ${esc(s.source)}</div>`).join('')}
          ${(e.case_sightings || []).map((s) => `<div class="muted">· ${esc(t('with_case'))}: ${esc(short(s.start))} – ${esc(short(s.end))}</div>`).join('')}
        </div>`).join('')}</div>
      </div>
      <div class="panel"><h2>${esc(t('map'))}</h2><div id="evmap" class="chart"></div>
        <h2>${esc(t('timeline'))}</h2><div id="evtime" class="chart small"></div></div>
    </div>`;
  const hot = new Set(d.evidence.filter((e) => e.place).map((e) => e.place.place_id));
  chart($('#evmap')).setOption(placesOption(d.trajectory, hot));
  const rows = d.trajectory.map((s) => ({ lane: s.place.name || s.place.place_id, start: s.start, end: s.end, label: s.source, color: hot.has(s.place.place_id) ? '#e4572e' : '#1f6fbf' }));
  d.evidence.forEach((e) => (e.case_sightings || []).forEach((s) => rows.push({ lane: s.place.name || s.place.place_id, start: s.start, end: s.end, label: `${t('with_case')} ${e.reason.case}`, color: '#8c1c13' })));
  chart($('#evtime')).setOption(timelineOption(rows));
  const rv = $('#reveal');
  if (rv) rv.addEventListener('click', async () => {
    const full = await api(withPurpose('/api/persons/' + encodeURIComponent(subject), { reveal: 'true' }));
    if (full.person) $('#person [data-field="id_number"]').textContent = full.person.id_number;
  });
}

async function pageTrace(subject) {
  main().innerHTML = `<h1>${esc(t('trace'))}</h1>
    <form class="row" id="trace-form"><label>${esc(t('trace_of'))}<input name="subject" value="${esc(subject)}" size="24" required></label>
      <label>${esc(t('degree'))}<select name="degree"><option>2</option><option>1</option></select></label>
      <button class="primary" type="submit">${esc(t('trace_btn'))}</button></form><div id="trace-out"></div>`;
  $('#trace-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = '#/trace/' + encodeURIComponent(new FormData(ev.target).get('subject').trim());
  });
  if (!subject) return;
  const [d] = await Promise.all([api(withPurpose('/api/trace/' + encodeURIComponent(subject), { degree: '2' })), loadGrids()]);
  $('#trace-out').innerHTML = `<h2>${esc(d.subject)} ${d.is_case ? `<span class="tag CLOSE_CONTACT">${esc(t('is_case'))}</span>` : ''}
      <span class="muted">${d.window ? esc(short(d.window.from)) + ' – ' + esc(short(d.window.to)) : ''}</span></h2>
    <div class="grid2">
      <div class="panel"><h2>${esc(t('contacts'))} (${d.contacts.length})</h2><div id="graph" class="chart tall"></div></div>
      <div class="panel"><h2>${esc(t('trajectory'))} (${d.steps.length})</h2><div id="tmap" class="chart"></div></div>
    </div>
    <div class="panel"><h2>${esc(t('timeline'))}</h2><div id="ttime" class="chart small"></div></div>
    <div class="grid2">
      <div class="panel scroll"><table id="contacts-table"><thead><tr><th>${esc(t('subject'))}</th><th>${esc(t('degree'))}</th><th>${esc(t('tier'))}</th><th>${esc(t('first_at'))}</th><th>via</th></tr></thead><tbody>
        ${d.contacts.map((c) => `<tr class="click" data-subject="${esc(c.subject)}"><td>${esc(c.subject)} ${c.is_case ? `<span class="tag CLOSE_CONTACT">${esc(t('is_case'))}</span>` : ''}</td><td>${c.degree}</td><td>${esc(c.tier)}</td><td>${esc(short(c.first_at))}</td><td>${esc(c.via || '')}</td></tr>`).join('')}
      </tbody></table></div>
      <div class="panel"><h2>${esc(t('case_links'))}</h2>${d.case_links.length ? '<ul>' + d.case_links.map((l) => `<li>${esc(l.from)} → ${esc(l.to)} <span class="muted">${esc(short(l.first_at))}</span></li>`).join('') + '</ul>' : `<p class="muted">${esc(t('none'))}</p>`}</div>
    </div>`;
  const nodes = [{ id: d.subject, name: d.subject, symbolSize: 26, category: 0 }];
  const links = [];
  d.contacts.forEach((c) => {
    nodes.push({ id: c.subject, name: c.subject, symbolSize: c.degree === 1 ? 14 : 8, category: c.is_case ? 0 : c.degree });
    links.push({ source: c.via || d.subject, target: c.subject });
  });
  const g = chart($('#graph'));
  g.setOption({
    tooltip: {},
    legend: { data: [t('is_case'), '1', '2'].map(String), bottom: 0 },
    series: [{
      type: 'graph', layout: 'force', roam: true, draggable: true, data: nodes, links,
      categories: [{ name: t('is_case'), itemStyle: { color: '#c0392b' } }, { name: '1', itemStyle: { color: '#e4572e' } }, { name: '2', itemStyle: { color: '#f0a202' } }],
      force: { repulsion: 60, edgeLength: 40 }, label: { show: nodes.length < 40, position: 'right', fontSize: 10 },
    }],
  });
  g.on('click', (p) => { if (p.dataType === 'node' && p.data.id !== d.subject) location.hash = '#/trace/' + encodeURIComponent(p.data.id); });
  chart($('#tmap')).setOption(placesOption(d.steps));
  chart($('#ttime')).setOption(timelineOption(d.steps.map((s) => ({ lane: s.place.name || s.place.place_id, start: s.start, end: s.end, label: s.source, color: '#1f6fbf' }))));
  document.querySelectorAll('#contacts-table tr[data-subject]').forEach((tr) => tr.addEventListener('click', () => {
    location.hash = '#/trace/' + encodeURIComponent(tr.dataset.subject);
  }));
}

function changedHtml(c) {
  return `<div class="ok" id="changed">${esc(t('changed'))}: ${c.alerts_before} → ${c.alerts_after} ·
    ${esc(t('new_alerts'))} <b id="new-alerts">${c.new_alerts.length}</b> · ${esc(t('cleared'))} ${c.cleared.length}
    ${c.new_alerts.length ? `<div class="muted">${c.new_alerts.slice(0, 30).map(esc).join(', ')}${c.new_alerts.length > 30 ? ' …' : ''}</div>` : ''}</div>`;
}

async function pageAreas() {
  disposeCharts(); // it draws itself again after a save
  const [areas, cases] = await Promise.all([api('/api/areas'), api(withPurpose('/api/cases')), loadGrids()]);
  main().innerHTML = `<h1>${esc(t('areas'))}</h1><div id="result"></div>
    <div class="grid2">
      <div class="panel scroll"><h2>${esc(t('areas_list'))}</h2><table id="areas-table"><thead><tr><th>${esc(t('area_id'))}</th><th>${esc(t('area_name'))}</th><th>${esc(t('region_code'))}</th><th>${esc(t('from'))}</th><th>${esc(t('to'))}</th><th>${esc(t('risk'))}</th><th></th></tr></thead><tbody>
        ${areas.map((a) => `<tr><td>${esc(a.area_id)}</td><td>${esc(a.name || '')}</td><td>${esc(a.region_code || (a.geometry ? 'polygon' : ''))} ${esc(a.region_name || '')}</td><td>${esc(short(a.from))}</td><td>${esc(short(a.to))}</td><td>${esc(a.risk)}</td>
          <td>${a.to ? '' : `<button class="ghost" data-end="${esc(a.area_id)}">${esc(t('end_area'))}</button>`}</td></tr>`).join('')}
      </tbody></table>
      <h2>${esc(t('add_area'))}</h2>
      <form class="row" id="area-form">
        <label>${esc(t('area_id'))}<input name="area_id" required size="10"></label>
        <label>${esc(t('area_name'))}<input name="name" size="12"></label>
        <label>${esc(t('region_code'))}<input name="region_code" size="12"></label>
        <label>${esc(t('from'))}<input name="from" required placeholder="2020-01-20" size="11"></label>
        <label>${esc(t('to'))}<input name="to" size="11"></label>
        <label>${esc(t('risk'))}<select name="risk"><option>high</option><option>medium</option><option>low</option></select></label>
        <button class="primary" type="submit">${esc(t('save'))}</button>
      </form>
      <p class="muted">${esc(t('draw'))} <button class="ghost" id="clear-poly" type="button">${esc(t('clear'))}</button> <span id="poly-n">0</span></p>
      </div>
      <div class="panel"><div id="drawmap" class="chart tall"></div></div>
    </div>
    <div class="panel scroll"><h2>${esc(t('cases'))} (${cases.length})</h2>
      <form class="row" id="case-form">
        <label>${esc(t('id_number'))}<input name="subject" required size="20"></label>
        <label>${esc(t('status'))}<select name="status"><option>confirmed</option><option>suspected</option><option>asymptomatic</option><option>recovered</option><option>dead</option></select></label>
        <label>${esc(t('onset'))}<input name="onset" size="11"></label>
        <label>${esc(t('confirmed'))}<input name="confirmed" required size="11"></label>
        <label>${esc(t('isolated'))}<input name="isolated" size="11"></label>
        <button class="primary" type="submit">${esc(t('save'))}</button>
      </form>
      <table><thead><tr><th>${esc(t('subject'))}</th><th>${esc(t('id_number'))}</th><th>${esc(t('name'))}</th><th>${esc(t('status'))}</th><th>${esc(t('confirmed'))}</th><th>${esc(t('grid'))}</th></tr></thead><tbody>
        ${cases.map((c) => `<tr><td>${c.subject ? `<a href="#/trace/${encodeURIComponent(c.subject)}">${esc(c.subject)}</a>` : ''}</td><td>${esc(c.id_number)}</td><td>${esc(c.name || '')}</td><td>${esc(c.status)}</td><td>${esc(short(c.confirmed))}</td><td>${esc(c.grid_code || '')}</td></tr>`).join('')}
      </tbody></table></div>`;
  const poly = [];
  const m = chart($('#drawmap'));
  const drawPoly = () => {
    m.setOption({
      geo: { map: 'grids', roam: true, label: { show: false }, itemStyle: { areaColor: '#eef2f7', borderColor: '#9fb0c3' } },
      series: [{ type: 'lines', coordinateSystem: 'geo', polyline: true, data: poly.length > 1 ? [{ coords: [...poly, poly[0]] }] : [], lineStyle: { color: '#e4572e', width: 2 } },
        { type: 'scatter', coordinateSystem: 'geo', data: poly, symbolSize: 7, itemStyle: { color: '#e4572e' } }],
    });
    $('#poly-n').textContent = String(poly.length);
  };
  drawPoly();
  m.getZr().on('click', (ev) => {
    const p = m.convertFromPixel('geo', [ev.offsetX, ev.offsetY]);
    if (p) { poly.push(p); drawPoly(); }
  });
  $('#clear-poly').addEventListener('click', () => { poly.length = 0; drawPoly(); });
  const result = (html) => { $('#result').innerHTML = html; };
  $('#area-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const d = Object.fromEntries(new FormData(ev.target));
    const body = { area_id: d.area_id, name: d.name || null, from: d.from, to: d.to || null, risk: d.risk };
    if (d.region_code) body.region_code = d.region_code;
    else if (poly.length >= 3) body.geometry = { type: 'Polygon', coordinates: [[...poly, poly[0]]] };
    try {
      const r = await post('/api/areas', body);
      await pageAreas();
      result(changedHtml(r.changed));
    } catch (e) { result(`<div class="error" role="alert">${esc(e.message)}</div>`); }
  });
  document.querySelectorAll('button[data-end]').forEach((b) => b.addEventListener('click', async () => {
    try {
      const r = await post(`/api/areas/${encodeURIComponent(b.dataset.end)}/end`, {});
      await pageAreas();
      result(changedHtml(r.changed));
    } catch (e) { result(`<div class="error" role="alert">${esc(e.message)}</div>`); }
  }));
  $('#case-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const d = Object.fromEntries(new FormData(ev.target));
    try {
      const r = await post('/api/cases', { subject: d.subject, status: d.status, onset: d.onset || null, confirmed: d.confirmed, isolated: d.isolated || null });
      await pageAreas();
      result(changedHtml(r.changed));
    } catch (e) { result(`<div class="error" role="alert">${esc(e.message)}</div>`); }
  });
}

async function pageImport() {
  const jobs = await api('/api/imports');
  main().innerHTML = `<h1>${esc(t('import'))}</h1>
    <form class="row panel" id="upload-form">
      <label>${esc(t('upload'))}<input type="file" name="files" multiple required></label>
      <label>${esc(t('encoding'))}<select name="encoding"><option>utf-8</option><option>gb18030</option></select></label>
      <button class="primary" type="submit">${esc(t('start_import'))}</button>
    </form>
    <div id="jobs">${jobs.map(jobHtml).join('')}</div>`;
  $('#upload-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const fd = new FormData();
    for (const f of ev.target.files.files) fd.append('file', f, f.name);
    try {
      const job = await api('/api/imports?encoding=' + encodeURIComponent(ev.target.encoding.value), { method: 'POST', body: fd });
      watch(job.id);
    } catch (e) { showError(e); }
  });
  jobs.filter((j) => j.state === 'running').forEach((j) => watch(j.id));
}

function jobHtml(j) {
  const s = j.summary;
  return `<div class="panel" data-job="${esc(j.id)}" style="margin-top:10px">
    <b>${esc(j.id)}</b> · ${esc(j.started_by)} · <span class="state">${esc(j.state === 'running' ? t('importing') : t(j.state))}</span>
    ${j.state === 'running' ? `<div>${esc(t('rows_read'))}: ${Number(j.rows_read).toLocaleString()} ${esc(j.current_file || '')}</div><progress></progress>` : ''}
    ${j.error ? `<div class="error">${esc(j.error)}</div>` : ''}
    ${s ? `<table class="summary"><thead><tr><th>${esc(t('file'))}</th><th>${esc(t('accepted'))}</th><th>${esc(t('rejected'))}</th><th>${esc(t('duplicates'))}</th></tr></thead><tbody>
      ${s.files.map((f) => `<tr><td>${esc(f.file)}</td><td>${f.accepted}</td><td>${f.rejected}</td><td>${f.duplicates}</td></tr>`).join('')}
      <tr><th>Σ</th><th>${s.accepted}</th><th>${s.rejected}</th><th>${s.duplicates}</th></tr></tbody></table>` : ''}
    ${j.has_rejects ? `<a href="/api/imports/${encodeURIComponent(j.id)}/rejects.csv">${esc(t('download_rejects'))}</a>` : ''}
  </div>`;
}

async function watch(id) {
  for (;;) {
    let job;
    try { job = await api('/api/imports/' + encodeURIComponent(id)); } catch (_) { return; }
    const el = document.querySelector(`[data-job="${CSS.escape(id)}"]`);
    if (!location.hash.startsWith('#/import')) return;
    if (el) el.outerHTML = jobHtml(job); else $('#jobs').insertAdjacentHTML('afterbegin', jobHtml(job));
    if (job.state !== 'running') { grids = null; return; }
    await new Promise((r) => setTimeout(r, 700));
  }
}

async function pageAudit() {
  const p = hashParams();
  const rows = await api('/api/audit?' + new URLSearchParams({ limit: '200', ...p }).toString());
  main().innerHTML = `<h1>${esc(t('audit'))}</h1><div class="scroll"><table id="audit-table"><thead><tr>
    <th>#</th><th>${esc(t('at'))}</th><th>${esc(t('user'))}</th><th>${esc(t('action'))}</th><th>${esc(t('target'))}</th><th>${esc(t('purpose'))}</th><th>${esc(t('detail'))}</th></tr></thead><tbody>
    ${rows.map((r) => `<tr><td>${r.id}</td><td>${esc(short(r.at))}</td><td>${esc(r.username)}</td><td>${esc(r.action)}</td><td>${esc(r.target)}</td><td>${esc(r.purpose)}</td><td>${esc(r.detail)}</td></tr>`).join('')}
    </tbody></table></div>
    ${rows.length === 200 ? `<p><a href="#/audit?before=${rows[rows.length - 1].id}">${esc(t('more'))}</a></p>` : ''}`;
}

async function pageGate() {
  const gates = (me && me.gates) || [];
  main().innerHTML = `<h1>${esc(gates.join(', '))}</h1>
    <form class="row" id="gate-form"><label>${esc(t('subject'))}<input name="subject" required size="20"></label>
    <button class="primary" type="submit">OK</button></form><div id="gate-out"></div>`;
  $('#gate-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const s = new FormData(ev.target).get('subject');
    try {
      const r = await api(`/api/gates/${encodeURIComponent(gates[0] || '')}/check?subject=${encodeURIComponent(s)}`);
      const color = { green: '#2e9e4f', amber: '#f0a202', red: '#c0392b', unknown: '#6b7a8a' }[r.status];
      $('#gate-out').innerHTML = `<div class="card" style="border-left:8px solid ${color}"><div class="n">${esc(r.status)}</div><div>${esc(r.name_hint || '')} ${r.resident ? '✓' : ''}</div></div>`;
    } catch (e) { showError(e); }
  });
}


// ------------------------------------------------------------------ grid tasks

const OUTCOMES = ['confirmed', 'home_isolation', 'central_isolation', 'hospital', 'unreachable', 'wrong_person', 'cleared'];
const outcomeName = (o) => t(o === 'confirmed' ? 'confirmed_o' : o);
const prioTag = (p) => `<span class="tag ${p === 1 ? 'CLOSE_CONTACT' : p === 2 ? 'SECONDARY_CONTACT' : ''}">P${p}</span>`;

function taskCard(k) {
  const p = k.person || {};
  const actions = [];
  if (may('work') && k.state === 'open') actions.push(`<button class="primary" data-accept="${k.id}">${esc(t('accept'))}</button>`);
  if (may('work') && k.state !== 'closed' && k.state !== 'isolating') actions.push(`<button class="ghost" data-record="${k.id}">${esc(t('record'))}</button>`);
  if (may('work') && k.state === 'isolating') actions.push(`<button class="ghost" data-checkin="${k.id}">${esc(t('checkin'))}</button>`);
  if (may('reveal') && p.phone) actions.push(`<button class="ghost" data-call="${esc(k.subject)}">${esc(t('call'))}</button>`);
  return `<div class="panel task" data-task="${k.id}" style="margin:8px 0">
    <div>${prioTag(k.priority)} <a href="#/task/${k.id}"><b>${esc(p.name || k.subject)}</b></a>
      <span class="muted">${esc(k.subject)}</span> · <span class="state">${esc(t('state_' + k.state))}</span>
      ${k.overdue ? `<span class="tag CLOSE_CONTACT">${esc(t('overdue'))}</span>` : ''}
      ${k.escalated_to !== 'grid' ? `<span class="tag">${esc(t(k.escalated_to))}</span>` : ''}</div>
    <div class="muted">${esc(p.address || '')} ${p.phone ? '· ' + esc(p.phone) : ''} · ${esc(t('due'))} ${esc(short(k.due))}</div>
    <div>${tags(k.reasons)}</div>
    <div class="row-actions">${actions.join(' ')}</div>
    <div class="form-slot"></div>
  </div>`;
}

function wireTaskCards(reload) {
  const act = async (path, body) => {
    try { await post(path, body); await reload(); } catch (e) { showError(e); }
  };
  document.querySelectorAll('[data-accept]').forEach((b) => b.addEventListener('click', () => act(`/api/tasks/${b.dataset.accept}/accept`, {})));
  document.querySelectorAll('[data-record]').forEach((b) => b.addEventListener('click', () => {
    const slot = b.closest('.task').querySelector('.form-slot');
    slot.innerHTML = `<form class="row outcome-form">
      <label>${esc(t('outcome'))}<select name="outcome">${OUTCOMES.map((o) => `<option value="${o}">${esc(outcomeName(o))}</option>`).join('')}</select></label>
      <label>${esc(t('isolation_until'))}<input name="isolation_until" type="date"></label>
      <label>${esc(t('note'))}<input name="note" size="14"></label>
      <label>${esc(t('photo'))}<input name="photo" type="file" accept="image/jpeg,image/png,image/webp" capture="environment"></label>
      <button class="primary" type="submit">${esc(t('submit'))}</button></form>`;
    slot.querySelector('form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const d = Object.fromEntries(new FormData(ev.target));
      const file = ev.target.photo.files[0];
      if (file) {
        try {
          await api(`/api/tasks/${b.dataset.record}/photos`, { method: 'POST', headers: { 'Content-Type': file.type }, body: file });
        } catch (e) { showError(e); return; }
      }
      act(`/api/tasks/${b.dataset.record}/outcome`, { outcome: d.outcome, isolation_until: d.isolation_until || null, note: d.note || null });
    });
  }));
  // Calling needs the full number: fetched on the tap, and that reveal is audited.
  document.querySelectorAll('[data-call]').forEach((b) => b.addEventListener('click', async () => {
    try {
      const r = await api(withPurpose('/api/persons/' + encodeURIComponent(b.dataset.call), { reveal: 'true' }));
      if (r.person && r.person.phone) location.href = 'tel:' + r.person.phone;
    } catch (e) { showError(e); }
  }));
  document.querySelectorAll('[data-checkin]').forEach((b) => b.addEventListener('click', () => {
    const slot = b.closest('.task').querySelector('.form-slot');
    slot.innerHTML = `<form class="row checkin-form">
      <label>${esc(t('temperature'))}<input name="temperature" type="number" step="0.1" min="30" max="45" value="36.5" required style="width:80px"></label>
      <label>${esc(t('symptoms'))}<input name="symptoms" size="14"></label>
      <button class="primary" type="submit">${esc(t('submit'))}</button></form>`;
    slot.querySelector('form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const d = Object.fromEntries(new FormData(ev.target));
      act(`/api/tasks/${b.dataset.checkin}/checkins`, { temperature: Number(d.temperature), symptoms: d.symptoms || '' });
    });
  }));
}

async function pageTasks() {
  const load = async () => {
    const r = await api(withPurpose('/api/tasks', { limit: '200' }));
    main().innerHTML = `<h1>${esc(t('tasks'))} <span class="muted" id="task-total">${r.total}</span></h1>
      <div id="live-note"></div>
      <div id="task-list">${r.tasks.length ? r.tasks.map(taskCard).join('') : `<p class="muted">${esc(t('none_left'))}</p>`}</div>`;
    wireTaskCards(load);
  };
  await load();
  // New alerts, outcomes elsewhere, escalations: the list follows without a reload.
  events = new EventSource('/api/events');
  let pending = null;
  events.addEventListener('tasks', () => {
    clearTimeout(pending);
    pending = setTimeout(async () => {
      if (!location.hash.startsWith('#/tasks')) return; // the user has moved on
      // A form being filled in is not thrown away: the list reloads after it is sent.
      if (!document.querySelector('.form-slot form')) await load();
      if ($('#live-note')) $('#live-note').innerHTML = `<div class="ok" id="tasks-updated">${esc(t('new_tasks'))}</div>`;
    }, 150);
  });
  events.addEventListener('resync', () => load());
}

async function pageTask(id) {
  const k = await api(withPurpose('/api/tasks/' + encodeURIComponent(id)));
  const p = k.person || {};
  main().innerHTML = `<h1>${prioTag(k.priority)} ${esc(p.name || k.subject)} <span class="muted">${esc(t('state_' + k.state))}</span></h1>
    ${taskCard(k)}
    <div class="panel"><dl class="kv">
      <dt>${esc(t('id_number'))}</dt><dd>${esc(p.id_number || '')}</dd>
      <dt>${esc(t('phone'))}</dt><dd>${p.phone ? esc(p.phone) : ''}</dd>
      <dt>${esc(t('address'))}</dt><dd>${esc(p.address || '')}</dd>
      <dt>${esc(t('grid'))}</dt><dd>${esc(k.grid_code || '')} ${esc(k.grid_name || '')}</dd>
      <dt>${esc(t('outcome'))}</dt><dd>${k.outcome ? esc(outcomeName(k.outcome)) : ''}</dd>
      <dt>${esc(t('isolation_until'))}</dt><dd>${esc(short(k.isolation_until))}</dd></dl></div>
    <div class="panel"><h2>${esc(t('history'))}</h2><table id="task-history"><tbody>
      ${k.events.map((e) => `<tr><td>${esc(short(e.at))}</td><td>${esc(e.user)}</td><td>${esc(e.kind)}</td><td>${esc(e.detail)}</td></tr>`).join('')}
    </tbody></table>
    ${k.photos.length ? `<h2>${esc(t('photos'))}</h2><div id="task-photos">${k.photos.map((ph) => `<img alt="${esc(t('photo'))}" style="max-width:160px;max-height:160px;margin:4px" src="${withPurpose(`/api/tasks/${k.id}/photos/${ph.id}`)}">`).join('')}</div>` : ''}
    ${k.checkins.length ? `<h2>${esc(t('checkin'))}</h2><ul>${k.checkins.map((c) => `<li>${esc(c.day)} ${c.temperature}°C ${esc(c.symptoms)}</li>`).join('')}</ul>` : ''}</div>`;
  wireTaskCards(() => pageTask(id));
}

async function pageResidents(grid) {
  const mine = me.role === 'grid_worker';
  main().innerHTML = `<h1>${esc(t('residents'))}</h1>
    <form class="row" id="grid-form"><label>${esc(t('grid_code'))}<input name="grid" value="${esc(grid || (mine ? me.grids[0] : ''))}" size="16" required></label>
    <button class="primary">${esc(t('show'))}</button></form><div id="households"></div>`;
  $('#grid-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = '#/residents/' + encodeURIComponent(ev.target.grid.value.trim());
  });
  const g = grid || (mine ? me.grids[0] : '');
  if (!g) return;
  const r = await api(withPurpose('/api/residents', { grid: g }));
  $('#households').innerHTML = `<p class="muted">${esc(r.grid_name || '')} · ${esc(t('persons'))} ${r.residents} · ${r.households.length} ${esc(t('household'))}</p>`
    + r.households.map((h) => `<div class="panel household" style="margin:8px 0"><b>${esc(h.address || '')}</b> <span class="muted">${esc(h.household_id)}</span>
      ${h.members.map((m) => `<div>${esc((m.person && m.person.name) || m.subject)} <span class="muted">${esc((m.person && m.person.id_number) || '')}</span>
        ${m.is_case ? `<span class="tag CLOSE_CONTACT">${esc(t('is_case'))}</span>` : ''}
        ${m.alert_score != null ? `<span class="tag SECONDARY_CONTACT">${esc(t('score'))} ${m.alert_score.toFixed(2)}</span>` : ''}
        ${m.task ? `<a class="tag" href="#/task/${m.task.id}">${esc(t('state_' + m.task.state))}</a>` : ''}</div>`).join('')}</div>`).join('');
}

async function pageBoard() {
  const s = await api('/api/tasks/stats');
  const share = s.share_answered_in_time == null ? '-' : Math.round(s.share_answered_in_time * 100) + '%';
  const states = ['open', 'accepted', 'isolating', 'closed'];
  main().innerHTML = `<h1>${esc(t('board'))}</h1>
    <div class="cards">
      ${states.map((k) => `<div class="card"><div class="n" data-state="${k}">${s.by_state[k] || 0}</div><div class="l">${esc(t('state_' + k))}</div></div>`).join('')}
      <div class="card"><div class="n" id="in-time">${share}</div><div class="l">${esc(t('answered_in_time'))}</div></div>
      <div class="card"><div class="n">${s.median_minutes_to_first_contact == null ? '-' : Math.round(s.median_minutes_to_first_contact)}</div><div class="l">${esc(t('median_first_contact'))}</div></div>
    </div>
    <div class="grid2">
      <div class="panel"><h2>${esc(t('by_grid_tasks'))}</h2><div id="taskmap" class="chart tall"></div></div>
      <div class="panel scroll"><h2>${esc(t('outcomes_by_reason'))}</h2><table><thead><tr><th>${esc(t('reason'))}</th>${OUTCOMES.concat(['isolation_completed']).map((o) => `<th>${esc(outcomeName(o))}</th>`).join('')}</tr></thead><tbody>
        ${Object.entries(s.outcomes_by_reason).map(([code, o]) => `<tr><td>${esc(t(code))}</td>${OUTCOMES.concat(['isolation_completed']).map((x) => `<td>${o[x] || ''}</td>`).join('')}</tr>`).join('')}
      </tbody></table></div>
    </div>
    <div class="grid2">
      <div class="panel scroll"><h2>${esc(t('by_grid_tasks'))}</h2><table id="grid-tasks"><thead><tr><th>${esc(t('grid'))}</th>${states.map((k) => `<th>${esc(t('state_' + k))}</th>`).join('')}<th>${esc(t('overdue'))}</th></tr></thead><tbody>
        ${s.by_grid.map((g) => `<tr><td>${esc(g.grid_code || t('unrouted_queue'))}</td>${states.map((k) => `<td>${g.states[k] || ''}</td>`).join('')}<td>${g.states.overdue || ''}</td></tr>`).join('')}
      </tbody></table></div>
      <div class="panel" id="queues"></div>
    </div>`;
  await loadGrids();
  const open = s.by_grid.filter((g) => g.grid_code).map((g) => ({ name: g.grid_code, value: (g.states.open || 0) + (g.states.accepted || 0) }));
  chart($('#taskmap')).setOption({
    tooltip: { trigger: 'item', formatter: (p) => `${esc(p.name)}<br>${esc(t('tasks'))}: ${p.value || 0}` },
    visualMap: { min: 0, max: Math.max(1, ...open.map((o) => o.value)), left: 'left', bottom: 10, calculable: true, inRange: { color: ['#f2f6fb', '#9ecae1', '#3182bd', '#08306b'] } },
    series: [{ type: 'map', map: 'grids', roam: true, label: { show: false }, data: open }],
  });
  if (may('route')) {
    const [unrouted, escalated] = await Promise.all([
      api(withPurpose('/api/tasks', { unrouted: 'true', limit: '50' })),
      api(withPurpose('/api/tasks', { escalation: '1', limit: '50' })),
    ]);
    const row = (k) => `<tr><td>${prioTag(k.priority)} <a href="#/task/${k.id}">${esc(k.subject)}</a></td><td>${tags(k.reasons)}</td>
      <td><form class="reassign" data-id="${k.id}"><input name="grid" size="15" placeholder="${esc(t('grid_code'))}"> <button class="ghost">${esc(t('reassign'))}</button></form></td></tr>`;
    $('#queues').innerHTML = `<h2>${esc(t('unrouted_queue'))} (${unrouted.total})</h2><table id="unrouted">${unrouted.tasks.map(row).join('')}</table>
      <h2>${esc(t('escalated'))} (${escalated.total})</h2><table id="escalated">${escalated.tasks.map(row).join('')}</table>`;
    document.querySelectorAll('form.reassign').forEach((f) => f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try { await post(`/api/tasks/${f.dataset.id}/reassign`, { grid_code: f.grid.value.trim() || null }); await pageBoard(); } catch (e) { showError(e); }
    }));
  }
}

// ------------------------------------------------------------------ API reference page

async function apiDocs() {
  const doc = await (await fetch('/api/openapi.json')).json();
  const rows = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const params = (op.parameters || []).map((p) => `<code>${esc(p.name)}</code> (${esc(p.in)}${p.required ? ', required' : ''}) ${esc(p.description || '')}`).join('<br>');
      const responses = Object.entries(op.responses || {}).map(([code, r]) => `${esc(code)} ${esc(r.description || '')}`).join(', ');
      rows.push(`<tr><td><b>${esc(method.toUpperCase())}</b></td><td><code>${esc(path)}</code><div class="muted">${esc((op.tags || []).join(', '))}</div></td>
        <td>${esc(op.summary || '')}<div class="muted">${esc(op.description || '')}</div>${params ? '<div>' + params + '</div>' : ''}</td><td>${responses}</td></tr>`);
    }
  }
  main().innerHTML = `<h1>${esc(doc.info.title)} ${esc(doc.info.version)}</h1><p>${esc(doc.info.description || '')}</p>
    <p><a href="/api/openapi.json">openapi.json</a> · <a href="/">command centre</a></p>
    <div class="scroll"><table><thead><tr><th>method</th><th>path</th><th>what</th><th>responses</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

// ------------------------------------------------------------------ start

document.addEventListener('DOMContentLoaded', () => {
  if (document.body.dataset.page === 'api-docs') { apiDocs(); return; }
  $('#lang').addEventListener('click', () => {
    lang = lang === 'zh' ? 'en' : 'zh';
    localStorage.setItem('tg.lang', lang);
    $('#purpose').value = '';
    route();
  });
  $('#purpose').addEventListener('change', () => localStorage.setItem('tg.purpose', $('#purpose').value));
  $('#logout').addEventListener('click', async () => {
    try { await api('/api/session', { method: 'DELETE' }); } catch (_) { /* logged out either way */ }
    me = null;
    location.hash = '#/login';
  });
  window.addEventListener('hashchange', route);
  route();
});
