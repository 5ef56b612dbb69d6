// The alert list: filters by reason, grid, score and text, sortable columns, pages of 50.

import { t, esc, $, main, api, withPurpose, may, tags, hashParams, num, pagerHtml, wirePager, subjectText, loadGrids, pct } from '../core.js';

const REASONS = ['CLOSE_CONTACT', 'SECONDARY_CONTACT', 'GENERAL_CONTACT', 'EPI_AREA', 'DELIVERY_FROM_AREA', 'FEVER_MEDICINE', 'FEVER_REPORTED', 'OUTSIDE_ARRIVAL'];

export async function pageAlerts() {
  const f = { sort: 'score', desc: 'false', offset: '0', limit: '50', ...hashParams() };
  const q = new URLSearchParams(Object.fromEntries(Object.entries(f).filter(([, v]) => v !== '')));
  const [page, geo] = await Promise.all([api(withPurpose('/api/alerts?' + q.toString())), loadGrids()]);
  const gridName = new Map(geo.features.map((g) => [g.properties.code, g.properties.name]));
  const cols = [['score', 'score'], ['subject', 'subject'], ['name', null], ['grid', 'grid'], ['reasons', 'first_at']];
  // Scores run highest first unless reversed; everything else runs ascending.
  const arrow = (s) => (f.sort === s ? ((f.desc === 'true') !== (s === 'score') ? ' ▼' : ' ▲') : '');
  main().innerHTML = `<h1>${esc(t('alerts'))} <span class="muted">${esc(t('total'))} <span id="alert-total" data-n="${page.total}">${num(page.total)}</span></span></h1>
    <form class="filters" id="filters">
      <label>${esc(t('reason'))}<select name="reason"><option value="">${esc(t('all'))}</option>
        ${REASONS.map((r) => `<option value="${r}" ${f.reason === r ? 'selected' : ''}>${esc(t(r))}</option>`).join('')}</select></label>
      <label>${esc(t('grid'))}<input name="grid" value="${esc(f.grid || '')}" size="14"></label>
      <label>${esc(t('min_score'))}<input name="min_pct" type="number" step="any" min="0" max="100" value="${esc(f.min_score ? String(Number((f.min_score * 100).toPrecision(6))) : '')}" style="width:80px"></label>
      <label>${esc(t('search'))}<input name="q" value="${esc(f.q || '')}" size="14"></label>
      <button class="primary" type="submit">${esc(t('filter'))}</button>
    </form>
    <div class="scroll"><table id="alerts-table" class="stack"><thead><tr>
      ${cols.map(([k, s]) => `<th data-sort="${s || ''}" ${k === 'score' ? `title="${esc(t('score_hint'))}"` : ''}>${esc(t(k))}${s ? arrow(s) : ''}</th>`).join('')}
    </tr></thead><tbody>
      ${page.alerts.map((a) => `<tr ${may('person') ? `class="click" data-subject="${esc(a.ref || a.subject)}"` : ''}>
        <td class="num" data-l="${esc(t('score'))}" title="${esc(t('score_hint'))}"><span>${esc(pct(a.score))}</span></td>
        <td data-l="${esc(t('subject'))}"><span>${esc(subjectText(a.subject))}<span class="muted hide-sm"> ${esc(a.id_number || '')}</span></span></td>
        <td data-l="${esc(t('name'))}"><span>${esc(a.name || '')}</span></td>
        <td data-l="${esc(t('grid'))}" title="${esc(a.grid_code || '')}"><span>${esc(gridName.get(a.grid_code) || a.grid_code || '')}</span></td>
        <td class="wide" data-l="${esc(t('reasons'))}"><span>${tags(a.reasons)}</span></td></tr>`).join('')}
    </tbody></table></div>
    ${pagerHtml('alert-pager', page.offset, page.limit, page.total)}`;
  const go = (changes) => {
    const next = { ...f, ...changes };
    const qs = new URLSearchParams(Object.fromEntries(Object.entries(next).filter(([, v]) => v !== '' && v != null)));
    location.hash = '#/alerts?' + qs.toString();
  };
  $('#filters').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const { min_pct: minPct, ...d } = Object.fromEntries(new FormData(ev.target));
    go({ ...d, min_score: minPct === '' ? '' : String(Number(minPct) / 100), offset: '0' });
  });
  document.querySelectorAll('th[data-sort]').forEach((th) => th.addEventListener('click', () => {
    const s = th.dataset.sort;
    if (!s) return;
    go({ sort: s, desc: f.sort === s && f.desc !== 'true' ? 'true' : 'false', offset: '0' });
  }));
  wirePager('alert-pager', page.offset, page.limit, page.total, (o) => go({ offset: String(o) }));
  document.querySelectorAll('tr[data-subject]').forEach((tr) => tr.addEventListener('click', () => {
    location.hash = '#/alert/' + encodeURIComponent(tr.dataset.subject);
  }));
}
