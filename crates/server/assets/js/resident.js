// The resident's phone page (/me): sign in with the registered phone and a one-time code, then
// the pass — its colour large, what it means and why, how long it is valid — the daily health
// report, an appeal to the grid worker, and the passes of household members without phones.

import { zh as ERRORS } from './i18n/errors.js';

const $ = (s, r = document) => r.querySelector(s);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const main = () => $('#main');
const COLOUR = { green: '绿码', yellow: '黄码', red: '红码' };
const MEANS = {
  green: '可以正常通行',
  yellow: '需要核实：请减少外出，等待网格员联系',
  red: '需要隔离：请勿外出，等待网格员安排',
};
const SYMPTOMS = [['fever', '发热'], ['cough', '咳嗽'], ['fatigue', '乏力'], ['sore_throat', '咽痛'],
  ['shortness_of_breath', '气促'], ['diarrhea', '腹泻'], ['loss_of_smell_or_taste', '嗅觉或味觉减退']];

async function api(path, opts = {}) {
  const res = await fetch(path, { credentials: 'same-origin', ...opts });
  const body = res.headers.get('content-type')?.includes('json') ? await res.json() : null;
  if (!res.ok) {
    const e = new Error(errorText(body && body.error) || `${res.status}`);
    e.status = res.status;
    throw e;
  }
  return body;
}
// The server's error in Chinese: its key's message, with its params filled in.
function errorText(err) {
  const text = err && ERRORS[`err_${err.key}`];
  if (!text) return err && (ERRORS[`err_code_${err.code}`] || err.message);
  return text.replace(/\{(\w+)\}/g, (m, name) => (err.params && name in err.params ? err.params[name] : m));
}
const post = (path, body) => api(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
const fail = (el, e) => { el.innerHTML = `<div class="err">${esc(e.message)}</div>`; };

function fmtTime(unixS) {
  const d = new Date(unixS * 1000);
  return `${d.getMonth() + 1}月${d.getDate()}日 ${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

function login() {
  $('#out').hidden = true;
  main().innerHTML = `<h1>居民登录</h1>
    <p class="muted">用登记的手机号和验证码登录，查看本人通行码。</p>
    <form id="ask"><label>手机号<input name="phone" inputmode="tel" autocomplete="tel" required maxlength="14" placeholder="11位手机号"></label>
    <button type="submit">获取验证码</button></form><div id="asked"></div>
    <form id="in"><label>验证码<input name="code" inputmode="numeric" autocomplete="one-time-code" required maxlength="6" placeholder="6位数字"></label>
    <button class="primary" type="submit">登录</button></form><div id="msg"></div>`;
  $('#ask').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const r = await post('/api/resident/code', { phone: new FormData(ev.target).get('phone') });
      $('#asked').innerHTML = `<div class="ok">${esc(r.message)}</div>`;
    } catch (e) { fail($('#asked'), e); }
  });
  $('#in').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await post('/api/resident/session', { phone: $('#ask [name=phone]').value, code: new FormData(ev.target).get('code') });
      show();
    } catch (e) { fail($('#msg'), e); }
  });
}

function passCard(p, validHours) {
  return `<div class="code ${esc(p.status)}" data-status="${esc(p.status)}">
    <div>${esc(p.name)} · ${esc(p.grid_name || p.grid_code || '')}</div>
    <div class="colour">${esc(COLOUR[p.status])}</div>
    <div class="qr">${p.qr_svg}</div>
    <div>${esc(MEANS[p.status])}</div>
    <div class="why">${esc(p.why_text)}</div>
    <div>有效至 ${esc(fmtTime(p.exp))}（${esc(validHours)} 小时内有效，过期请刷新）</div>
  </div>`;
}

async function show() {
  let me;
  try { me = await api('/api/resident/me'); } catch (e) {
    if (e.status === 401 || e.status === 403) { login(); return; }
    fail(main(), e); return;
  }
  $('#out').hidden = false;
  const p = me.pass;
  const members = me.household.filter((m) => !m.has_phone);
  const history = me.history.map((h) => `<tr><td>${esc(h.at.slice(5, 16).replace('T', ' '))}</td><td>${esc(COLOUR[h.status] || h.status)}</td></tr>`).join('');
  main().innerHTML = `${passCard(p, me.valid_hours)}
    <button id="refresh" type="button">刷新通行码</button>
    <div class="card"><h2>今日健康打卡（${esc(me.today)}）</h2>
      <form id="health"><label>体温（℃）<input name="temperature" type="number" step="0.1" min="34" max="43" required value="36.5"></label>
      <div class="checks">${SYMPTOMS.map(([k, zh]) => `<label><input type="checkbox" name="s" value="${k}"> ${zh}</label>`).join('')}</div>
      <button class="primary" type="submit">提交打卡</button></form><div id="hmsg"></div></div>
    ${members.length ? `<div class="card"><h2>家人的通行码</h2><p class="muted">同户没有手机的家人，可以在这里出示。</p>
      ${members.map((m) => `<button type="button" class="member" data-id="${esc(m.person_id)}">${esc(m.name || m.person_id)}</button>`).join(' ')}
      <div id="member"></div></div>` : ''}
    <div class="card"><h2>对颜色有异议？</h2>
      <form id="appeal"><label>申诉理由<textarea name="text" rows="3" maxlength="500" required placeholder="例如：那天我不在这趟车上"></textarea></label>
      <button type="submit">提交申诉</button></form><div id="amsg"></div></div>
    ${history ? `<div class="card"><h2>颜色变化记录</h2><table>${history}</table></div>` : ''}`;
  $('#refresh').addEventListener('click', show);
  $('#health').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    try {
      const r = await post('/api/resident/health', { temperature: Number(f.get('temperature')), symptoms: f.getAll('s') });
      $('#hmsg').innerHTML = r.already ? '<div class="ok">今天已经打过卡了</div>'
        : r.fever ? '<div class="err">已提交。您报告了发热或症状，网格员会尽快联系您，请留在家中。</div>'
          : '<div class="ok">已提交，谢谢</div>';
    } catch (e) { fail($('#hmsg'), e); }
  });
  $('#appeal').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const r = await post('/api/resident/appeal', { text: new FormData(ev.target).get('text') });
      $('#amsg').innerHTML = `<div class="ok">${esc(r.message)}</div>`;
    } catch (e) { fail($('#amsg'), e); }
  });
  document.querySelectorAll('.member').forEach((b) => b.addEventListener('click', async () => {
    try {
      const m = await api(`/api/resident/members/${encodeURIComponent(b.dataset.id)}/pass`);
      $('#member').innerHTML = passCard(m, me.valid_hours);
    } catch (e) { fail($('#member'), e); }
  }));
}

document.addEventListener('DOMContentLoaded', () => {
  $('#out').addEventListener('click', async () => {
    try { await api('/api/session', { method: 'DELETE' }); } catch (_) { /* signed out either way */ }
    login();
  });
  show();
});
