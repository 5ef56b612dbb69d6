// The audit trail: the latest 200 entries, with a link to older ones. An action is named in the
// page's language (what was done to what); its detail is the server's own record of it, shown
// as written.

import { t, esc, main, api, short, hashParams } from '../core.js';

export function actionName(action) {
  const [what, verb] = action.split('.');
  const a = t('ao_' + what);
  const v = t('av_' + verb);
  return a === 'ao_' + what || v === 'av_' + verb ? action : `${a}·${v}`;
}

export async function pageAudit() {
  const p = hashParams();
  const rows = await api('/api/audit?' + new URLSearchParams({ limit: '200', ...p }).toString());
  main().innerHTML = `<h1>${esc(t('audit'))}</h1><div class="scroll"><table id="audit-table"><thead><tr>
    <th>#</th><th>${esc(t('at'))}</th><th>${esc(t('user'))}</th><th>${esc(t('action'))}</th><th>${esc(t('target'))}</th><th>${esc(t('purpose'))}</th><th>${esc(t('detail'))}</th></tr></thead><tbody>
    ${rows.map((r) => `<tr><td class="num">${r.id}</td><td class="nowrap">${esc(short(r.at))}</td><td>${esc(r.username)}</td><td data-action="${esc(r.action)}" title="${esc(r.action)}">${esc(actionName(r.action))}</td>
      <td>${esc(r.target)}</td><td>${esc(r.purpose)}</td><td>${r.detail ? `<code class="rec" title="${esc(r.detail)}">${esc(r.detail)}</code>` : ''}</td></tr>`).join('')}
    </tbody></table></div>
    ${rows.length === 200 ? `<p><a href="#/audit?before=${rows[rows.length - 1].id}">${esc(t('more'))}</a></p>` : ''}`;
  document.querySelectorAll('#audit-table code.rec').forEach((c) => c.addEventListener('click', () => c.classList.toggle('open')));
}
