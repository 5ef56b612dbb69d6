// A gate's visitor page (/visit?gate=G): the self-registration form a visitor opens from the
// gate's poster ("one card, one code"), and, with &poster=1, the poster itself to print.

import { zh as ERRORS } from './i18n/errors.js';

const $ = (s, r = document) => r.querySelector(s);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const main = () => $('#main');

// The server's error in Chinese: its key's message, with its params filled in.
function errorText(err) {
  const text = err && ERRORS[`err_${err.key}`];
  if (!text) return err && (ERRORS[`err_code_${err.code}`] || err.message);
  return text.replace(/\{(\w+)\}/g, (m, name) => (err.params && name in err.params ? err.params[name] : m));
}

async function api(path, opts = {}) {
  const res = await fetch(path, { credentials: 'same-origin', ...opts });
  const body = res.headers.get('content-type')?.includes('json') ? await res.json() : null;
  if (!res.ok) throw new Error(errorText(body && body.error) || `${res.status}`);
  return body;
}

async function poster(gate) {
  const p = await api(`/api/gates/${encodeURIComponent(gate)}/poster`);
  main().innerHTML = `<div class="poster"><h1>${esc(p.name || p.gate)}</h1>
    <p style="font-size:1.4em;font-weight:700">来访人员请扫码登记<br>一人一码 · 先登记后进入</p>
    <div>${p.qr_svg}</div><p class="muted">${esc(p.url)}</p>
    <button class="noprint" type="button" id="print">打印</button></div>`;
  $('#print').addEventListener('click', () => window.print());
}

async function form(gate) {
  const p = await api(`/api/gates/${encodeURIComponent(gate)}/poster`);
  main().innerHTML = `<h1>${esc(p.name || p.gate)} · 访客登记</h1>
    <p class="muted">请如实填写，登记后向门卫出示访客码。信息仅用于疫情防控。</p>
    <form id="visit">
      <label>姓名<input name="name" required maxlength="32" autocomplete="name"></label>
      <label>身份证号<input name="id_number" required maxlength="18" autocomplete="off" placeholder="18位"></label>
      <label>手机号<input name="phone" required inputmode="tel" maxlength="14" autocomplete="tel"></label>
      <label>车牌号 <small>（开车来访时填写）</small><input name="plate" maxlength="10" placeholder="如 浙H12345"></label>
      <label>从哪里来 <small>（城市或区县）</small><input name="came_from" maxlength="64" required></label>
      <label>拜访谁 <small>（楼栋、门牌或姓名）</small><input name="visiting" maxlength="64"></label>
      <label>来访事由<input name="reason" maxlength="200"></label>
      <button class="primary" type="submit">提交登记</button>
    </form><div id="out"></div>`;
  $('#visit').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = Object.fromEntries(new FormData(ev.target));
    try {
      const r = await api('/api/visitors', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ gate, ...f }) });
      const until = new Date(r.expires_ms);
      main().innerHTML = `<div class="verdict ${esc(r.verdict)}" data-verdict="${esc(r.verdict)}">
          <div class="big">${r.verdict === 'admit' ? '可以进入' : '不能进入'}</div>
          <div class="reason">${esc(r.reason)}</div></div>
        <div class="card"><p>访客码（请出示给门卫）</p><div class="bigcode" id="vcode">${esc(r.code)}</div>
        <p class="muted">${until.getHours()}:${String(until.getMinutes()).padStart(2, '0')} 前有效</p></div>`;
    } catch (e) { $('#out').innerHTML = `<div class="err">${esc(e.message)}</div>`; }
  });
}

document.addEventListener('DOMContentLoaded', async () => {
  const q = new URLSearchParams(location.search);
  const gate = q.get('gate');
  if (!gate) { main().innerHTML = '<div class="err">请扫描卡口张贴的二维码进入登记页面</div>'; return; }
  try {
    if (q.get('poster')) await poster(gate); else await form(gate);
  } catch (e) { main().innerHTML = `<div class="err">${esc(e.message)}</div>`; }
});
