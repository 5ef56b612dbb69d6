// The audit trail: the latest 200 entries, with a link to older ones.

import { t, esc, main, api, short, hashParams } from '../core.js';

export async function pageAudit() {
  const p = hashParams();
  const rows = await api('/api/audit?' + new URLSearchParams({ limit: '200', ...p }).toString());
  main().innerHTML = `<h1>${esc(t('audit'))}</h1><div class="scroll"><table id="audit-table"><thead><tr>
    <th>#</th><th>${esc(t('at'))}</th><th>${esc(t('user'))}</th><th>${esc(t('action'))}</th><th>${esc(t('target'))}</th><th>${esc(t('purpose'))}</th><th>${esc(t('detail'))}</th></tr></thead><tbody>
    ${rows.map((r) => `<tr><td>${r.id}</td><td>${esc(short(r.at))}</td><td>${esc(r.username)}</td><td>${esc(r.action)}</td><td>${esc(r.target)}</td><td>${esc(r.purpose)}</td><td>${esc(r.detail)}</td></tr>`).join('')}
    </tbody></table></div>
    ${rows.length === 200 ? `<p><a href="#/audit?before=${rows[rows.length - 1].id}">${esc(t('more'))}</a></p>` : ''}`;
}
