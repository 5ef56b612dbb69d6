// A gate guard's page: check a person at the gate and see green, amber, red or unknown.

import { t, esc, $, main, me, api, showError } from '../core.js';

export async function pageGate() {
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
