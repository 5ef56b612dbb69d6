// The gate guard's scanner: the camera reads a pass's QR code (vendored jsQR), the pass is
// verified on the phone against the published keys (so a scan still says something when the
// network is slow), then the server gives the verdict by the person's status now. A big
// admit/refuse screen with the reason to read out; temperature and in/out; the visitors who
// registered at this gate. Large type and high contrast: it is read at arm's length outdoors.

import { esc, $, main, me, post, api } from '../core.js';

const COLOUR = { green: '绿码', yellow: '黄码', red: '红码' };
let keys = null;
let stream = null;
let busy = false;
let last = { token: '', at: 0 };

const b64 = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4)), (c) => c.charCodeAt(0));
const text = (s) => new TextDecoder().decode(b64(s));

async function loadKeys() {
  try {
    keys = await api('/api/v1/pass-keys');
    localStorage.setItem('tg.passkeys', JSON.stringify(keys));
  } catch (_) {
    keys = JSON.parse(localStorage.getItem('tg.passkeys') || 'null');
  }
}

/** Verifies a pass on this phone: { ok, claims, why }. */
export async function verifyOffline(token, jwks, nowS = Date.now() / 1000) {
  const parts = token.trim().split('.');
  if (parts.length !== 3) return { ok: false, why: 'malformed' };
  let header; let claims;
  try { header = JSON.parse(text(parts[0])); claims = JSON.parse(text(parts[1])); } catch (_) { return { ok: false, why: 'malformed' }; }
  const jwk = jwks && jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk) return { ok: false, why: 'unknown_key' };
  if (!globalThis.crypto || !crypto.subtle) return { ok: null, claims, why: 'no_crypto' };
  try {
    const key = await crypto.subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, { name: 'Ed25519' }, false, ['verify']);
    const good = await crypto.subtle.verify({ name: 'Ed25519' }, key, b64(parts[2]), new TextEncoder().encode(`${parts[0]}.${parts[1]}`));
    if (!good) return { ok: false, why: 'forged' };
  } catch (_) { return { ok: null, claims, why: 'no_crypto' }; }
  if (claims.exp <= nowS) return { ok: false, claims, why: 'expired' };
  return { ok: true, claims };
}

const OFFLINE_WHY = {
  malformed: '无法识别的二维码', unknown_key: '签发密钥未知', forged: '签名不符，可能伪造', expired: '通行码已过期', no_crypto: '本机无法核验签名',
};

function showVerdict(v) {
  const out = $('#verdict');
  const big = v.verdict === 'admit' ? '通 行' : '禁 止';
  out.innerHTML = `<div class="verdict ${esc(v.verdict)}" data-verdict="${esc(v.verdict)}" data-reason="${esc(v.reason_code)}">
      <div class="big">${big}</div>
      <div class="reason">${esc(v.reason)}</div>
      ${v.status ? `<div>${esc(v.name_hint || '')} · ${esc(COLOUR[v.status])} · ${v.resident ? '本小区住户' : '非本小区住户'}</div>` : ''}
    </div>`;
  out.scrollIntoView({ block: 'nearest' });
}

// Scans run one at a time: one typed in while the camera's is answered waits its turn.
let queue = Promise.resolve();
function scan(token, gate, started) {
  queue = queue.then(() => scanNow(token, gate, started));
  return queue;
}

async function scanNow(token, gate, started) {
  busy = true;
  try {
    const offline = await verifyOffline(token, keys);
    if (offline.ok === false) {
      $('#verdict').innerHTML = `<div class="verdict refuse"><div class="big">禁 止</div><div class="reason">本机核验：${esc(OFFLINE_WHY[offline.why])}</div></div>`;
    }
    const temp = $('#temp').value.trim();
    const body = { gate, pass: token, direction: $('#dir').value };
    if (temp) body.temperature = Number(temp);
    try {
      const v = await post('/api/v1/gate/scan', body);
      showVerdict(v);
      window.lastScanMs = performance.now() - started;
      $('#temp').value = '';
    } catch (e) {
      if (offline.ok) {
        $('#verdict').innerHTML = `<div class="verdict refuse"><div class="big">待核实</div>
          <div class="reason">网络不通：本机核验签名有效，出码时为${esc(COLOUR[offline.claims.status])}。请待网络恢复后再扫，或联系网格员。</div></div>`;
      } else if (offline.ok !== false) {
        $('#verdict').innerHTML = `<div class="err">${esc(e.message)}</div>`;
      }
    }
  } finally { busy = false; }
}

function startCamera(gate) {
  const video = $('#cam');
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const tick = () => {
    if (!stream || !document.body.contains(video)) { stopCamera(); return; }
    if (video.readyState >= 2 && window.jsQR) {
      const started = performance.now();
      canvas.width = video.videoWidth; canvas.height = video.videoHeight;
      ctx.drawImage(video, 0, 0);
      const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
      const code = window.jsQR(img.data, img.width, img.height, { inversionAttempts: 'dontInvert' });
      // The same pass held in front of the camera is scanned once every five seconds.
      if (!busy && code && code.data && (code.data !== last.token || Date.now() - last.at > 5000)) {
        last = { token: code.data, at: Date.now() };
        scan(code.data, $('#gate') ? $('#gate').value : gate, started);
      }
    }
    setTimeout(tick, 150);
  };
  navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } }).then((s) => {
    stream = s; video.srcObject = s; video.play(); tick();
    $('#camstate').textContent = '对准通行码二维码';
  }).catch((e) => { $('#camstate').textContent = `无法打开摄像头：${e.message}（可手动输入）`; });
}

function stopCamera() {
  if (stream) stream.getTracks().forEach((t) => t.stop());
  stream = null;
}

function loadScript(src) {
  return new Promise((resolve, reject) => {
    if (document.querySelector(`script[src="${src}"]`)) { resolve(); return; }
    const s = document.createElement('script');
    s.src = src; s.onload = resolve; s.onerror = reject;
    document.head.appendChild(s);
  });
}

async function visitors(gate) {
  try {
    const list = await api(`/api/gates/${encodeURIComponent(gate)}/visitors`);
    $('#visitors').innerHTML = list.length ? `<table><tr><th>访客码</th><th>姓名</th><th>来自</th><th>结果</th></tr>${list.map((v) => `<tr><td translate="no"><b>${esc(v.code)}</b></td><td>${esc(v.name)}</td><td>${esc(v.came_from)}</td><td title="${esc(v.why)}">${v.verdict === 'admit' ? '✔ 可进入' : `✘ ${esc(v.why)}`}</td></tr>`).join('')}</table>` : '<p class="muted">今天还没有访客登记</p>';
  } catch (e) { $('#visitors').innerHTML = `<div class="err">${esc(e.message)}</div>`; }
}

export async function pageGate() {
  stopCamera();
  const gates = (me && me.gates) || [];
  document.body.classList.add('scanner');
  main().innerHTML = `<div class="gatepage">
    <div class="row"><label class="wide">卡口<select id="gate">${gates.map((g) => `<option value="${esc(g)}">${esc(g)}</option>`).join('')}</select></label>
      <label>方向<select id="dir"><option value="in">进</option><option value="out">出</option></select></label>
      <label>体温 ℃<input id="temp" type="number" step="0.1" min="34" max="43" inputmode="decimal" placeholder="可不填"></label></div>
    <div id="verdict"><div class="verdict idle"><div class="reason">请居民出示通行码</div></div></div>
    <video id="cam" playsinline muted></video><p id="camstate" class="muted">正在打开摄像头…</p>
    <details><summary>手动输入通行码</summary><form id="manual"><textarea name="pass" rows="3"></textarea><button type="submit">核验</button></form></details>
    <h2>访客 <a id="poster" target="_blank" rel="noopener">打印访客登记二维码</a></h2>
    <p class="muted">非本小区住户请扫卡口二维码登记，再看下面的登记结果。</p>
    <div id="visitors"></div></div>`;
  if (!gates.length) { $('#verdict').innerHTML = '<div class="err">你还没有被分配卡口，请联系管理员</div>'; return; }
  // Each gate by its name (the poster's answer has it), its id kept as the value.
  gates.forEach((g, i) => api(`/api/gates/${encodeURIComponent(g)}/poster`)
    .then((p) => { const o = $('#gate') && $('#gate').options[i]; if (o && p && p.name) o.textContent = p.name; })
    .catch(() => {}));
  const gate = () => $('#gate').value;
  const setPoster = () => { $('#poster').href = `/visit?gate=${encodeURIComponent(gate())}&poster=1`; visitors(gate()); };
  $('#gate').addEventListener('change', setPoster);
  setPoster();
  $('#manual').addEventListener('submit', (ev) => {
    ev.preventDefault();
    scan(new FormData(ev.target).get('pass').trim(), gate(), performance.now());
  });
  await loadKeys();
  await loadScript('/assets/vendor/jsQR.js');
  startCamera(gate());
  window.addEventListener('hashchange', stopCamera, { once: true });
}
