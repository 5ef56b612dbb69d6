// The audit trail: the latest 200 entries, with a link to older ones. An action is named in the
// page's language (what was done to what); its detail is the server's own record of it, shown
// as written.

import { t, tf, tOr, esc, main, api, short, hashParams } from '../core.js';

export function actionName(action) {
  const [what, verb] = action.split('.');
  const a = t('ao_' + what);
  if (!verb) return a === 'ao_' + what ? action : a;
  const v = t('av_' + verb);
  return a === 'ao_' + what || v === 'av_' + verb ? action : `${a}·${v}`;
}

// What the server writes of itself — the fixed purposes of its own changes, the targets of list
// reads, the usual details — in the page's language; anything else as written.
const slug = (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, '_');
const known = (prefix, s) => tOr(prefix + slug(s), null);
const DETAILS = [
  [/^(\d+) of (\d+) from (\d+)$/, 'ad_page', ['n', 'total', 'from']],
  [/^(\d+) (cases|tasks|residents|new alerts)$/, 'ad_count', ['n', 'what']],
  [/^degree (\d)$/, 'ad_degree', ['n']],
  [/^degree (\d), (\d+) names$/, 'ad_degree_names', ['n', 'names']],
  [/^task (\d+) photo (\d+)$/, 'ad_task_photo', ['task', 'photo']],
  [/^task (\d+)$/, 'ad_task', ['task']],
  [/^shown by (\S+)$/, 'ad_shown_by', ['who']],
  [/^paper pass, (red|yellow|green)$/, 'ad_paper_pass', ['status']],
];

// A cell in the page's words, or as the server or the user wrote it (a subject, a purpose typed
// in, a record), marked so.
const cellOf = (said, raw) => (said ? `<td>${esc(said)}</td>` : `<td translate="no">${esc(raw)}</td>`);

export function detailText(d) {
  for (const [re, key, names] of DETAILS) {
    const m = d.match(re);
    if (!m) continue;
    const word = { what: (v) => t('ad_' + slug(v)), status: (v) => t('status_' + v) };
    return tf(key, Object.fromEntries(names.map((n, i) => [n, word[n] ? word[n](m[i + 1]) : m[i + 1]])));
  }
  return known('ad_', d) || d;
}

export async function pageAudit() {
  const p = hashParams();
  const rows = await api('/api/audit?' + new URLSearchParams({ limit: '200', ...p }).toString());
  main().innerHTML = `<h1>${esc(t('audit'))}</h1><div class="scroll"><table id="audit-table"><thead><tr>
    <th>#</th><th>${esc(t('at'))}</th><th>${esc(t('user'))}</th><th>${esc(t('action'))}</th><th>${esc(t('target'))}</th><th>${esc(t('purpose'))}</th><th>${esc(t('detail'))}</th></tr></thead><tbody>
    ${rows.map((r) => `<tr><td class="num">${r.id}</td><td class="nowrap">${esc(short(r.at))}</td><td translate="no">${esc(r.username)}</td><td data-action="${esc(r.action)}" title="${esc(r.action)}">${esc(actionName(r.action))}</td>
      ${cellOf(known('at_', r.target), r.target)}${cellOf(known('ap_', r.purpose), r.purpose)}
      <td>${r.detail ? `<code class="rec" title="${esc(r.detail)}" ${detailText(r.detail) === r.detail ? 'translate="no"' : ''}>${esc(detailText(r.detail))}</code>` : ''}</td></tr>`).join('')}
    </tbody></table></div>
    ${rows.length === 200 ? `<p><a href="#/audit?before=${rows[rows.length - 1].id}">${esc(t('more'))}</a></p>` : ''}`;
  document.querySelectorAll('#audit-table code.rec').forEach((c) => c.addEventListener('click', () => c.classList.toggle('open')));
}
