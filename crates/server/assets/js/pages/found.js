// Found by the data first (#/found): of the cases confirmed since a chosen date, how many the
// data had alerted before their confirmation, how long before and at what rank, whether a grid
// task had reached them; the ones it missed, for review. Quzhou's headline of 2020 for this
// city, live (GET /api/found-first).

import { t, tf, esc, $, main, api, withPurpose, chart, hashParams, num, short, pagerHtml, wirePager, subjectText, loadGrids, tags } from '../core.js';

const PAGE = 20;

// A lead time in the page's words, never more than it was: hours under two days (tenths under
// ten), then days to a tenth.
const down = (x, digits) => (Math.floor(x * 10 ** digits) / 10 ** digits).toFixed(digits);
const lead = (h) => {
  if (h == null) return '-';
  if (h < 10) return tf('ff_hours', { n: down(h, 1) });
  if (h < 48) return tf('ff_hours', { n: down(h, 0) });
  return tf('ff_days', { n: down(h / 24, 1) });
};

const BUCKETS = ['ff_lt_1d', 'ff_1_3d', 'ff_3_7d', 'ff_ge_7d'];

export async function pageFound() {
  const p = { offset: '0', ...hashParams() };
  const q = p.since ? { since: p.since } : {};
  const [fig, geo] = await Promise.all([api(withPurpose('/api/found-first', q)), loadGrids()]);
  const gridName = new Map(geo.features.map((g) => [g.properties.code, g.properties.name]));
  const grid = (c) => `<td data-l="${esc(t('grid'))}" title="${esc(c.grid_code || '')}"><span>${esc(gridName.get(c.grid_code) || c.grid_code || '')}</span></td>`;
  const who = (c) => `<td data-l="${esc(t('subject'))}"><span>${esc(subjectText(c.subject))}<span class="muted hide-sm"> ${esc(c.id_number || '')}</span></span></td>
    <td data-l="${esc(t('name'))}"><span>${esc(c.name || '')}</span></td>${grid(c)}`;
  const target = (c) => `class="click" data-subject="${esc(c.ref || c.subject)}"`;
  const offset = Math.max(0, Math.min(Number(p.offset) || 0, Math.max(0, fig.found.length - 1)));
  const shown = fig.found.slice(offset, offset + PAGE);
  const share = fig.share == null ? '' : ` <span class="muted">(${Math.round(fig.share * 100)}%)</span>`;
  const card = (id, n, label) => `<div class="card"><div class="n" id="${id}">${n}</div><div class="l">${esc(label)}</div></div>`;
  const task = (f) => (f.task_reached ? t('ff_task_reached') : f.task_id != null ? t('ff_task_made') : t('ff_task_none'));
  const record = fig.record_from ? tf('ff_record_from', { from: short(fig.record_from) })
    + (fig.before_record && fig.judged ? ' ' + tf('ff_before_record_note', { n: num(fig.before_record) }) : '') : '';
  // What can be said of the period chosen, before any figure.
  let notice = '';
  if (!fig.record_from) notice = t('ff_no_record');
  else if (!fig.cases) notice = t('ff_no_cases');
  else if (!fig.judged) notice = tf('ff_all_before_record', { n: num(fig.cases), from: short(fig.record_from) });
  main().innerHTML = `<h1>${esc(t('ff_title'))} <span class="muted moment">${esc(t('as_of_label'))} ${esc(short(fig.as_of))}</span></h1>
    <form class="filters" id="found-filters">
      <label>${esc(t('ff_since'))}<input type="date" name="since" value="${esc(p.since || '')}"></label>
      <button class="primary" type="submit">${esc(t('ff_show'))}</button>
      ${p.since ? `<a class="filter-clear" href="#/found">${esc(t('ff_all_cases'))}</a>` : ''}
    </form>
    ${record && !fig.judged ? `<p class="muted" id="record-from">${esc(record)}</p>` : ''}
    ${notice ? `<div class="card warn" id="found-notice" role="status">${esc(notice)}</div>` : ''}
    ${fig.judged ? `<div class="cards" title="${esc(t('ff_hint'))}">
      ${card('ff-cases', num(fig.judged), t('ff_cases'))}
      ${card('ff-found', num(fig.found_first) + share, t('ff_found_n'))}
      ${card('ff-lead', esc(lead(fig.median_lead_hours)), t('ff_median_lead'))}
      ${card('ff-rank', fig.median_rank == null ? '-' : num(Math.round(fig.median_rank)), t('ff_median_rank'))}
      ${card('ff-tasks', num(fig.tasks_before), t('ff_tasks_before'))}
      ${card('ff-reached', num(fig.reached_before), t('ff_reached_before'))}
    </div>
    <div class="grid2">
      <div class="panel"><h2>${esc(t('ff_distribution'))}</h2><div id="ff-chart" class="chart small"></div></div>
      <div class="panel" id="record-from"><h2>${esc(t('ff_how'))}</h2>
        <p>${esc(t('ff_hint'))}</p><p>${esc(t('ff_tasks_hint'))}</p><p class="muted">${esc(record)}</p></div>
    </div>
    <h2>${esc(t('ff_found_list'))} <span class="muted">${num(fig.found.length)}</span></h2>
    ${fig.found.length ? `<div class="scroll"><table id="found-table" class="stack"><thead><tr>
      <th>${esc(t('subject'))}</th><th>${esc(t('name'))}</th><th>${esc(t('grid'))}</th><th>${esc(t('ff_confirmed'))}</th><th>${esc(t('ff_first_alert'))}</th>
      <th class="num">${esc(t('ff_lead'))}</th><th class="num">${esc(t('ff_rank'))}</th><th class="num">${esc(t('ff_score'))}</th><th>${esc(t('reasons'))}</th><th>${esc(t('ff_task'))}</th></tr></thead><tbody>
      ${shown.map((f) => `<tr ${target(f)}>${who(f)}
        <td class="nowrap" data-l="${esc(t('ff_confirmed'))}"><span>${esc(short(f.confirmed))}</span></td>
        <td class="nowrap" data-l="${esc(t('ff_first_alert'))}"><span>${esc(short(f.first_alert))}</span></td>
        <td class="num" data-l="${esc(t('ff_lead'))}" data-hours="${f.lead_hours}"><span>${esc(lead(f.lead_hours))}</span></td>
        <td class="num" data-l="${esc(t('ff_rank'))}"><span>${num(f.rank)}</span></td>
        <td class="num" data-l="${esc(t('ff_score'))}"><span>${f.score.toFixed(3)}</span></td>
        <td class="wide" data-l="${esc(t('reasons'))}"><span>${tags(f.reasons.map((code) => ({ code })))}</span></td>
        <td data-l="${esc(t('ff_task'))}"><span>${esc(task(f))}</span></td></tr>`).join('')}
      </tbody></table></div>
      ${pagerHtml('found-pager', offset, PAGE, fig.found.length)}` : `<p class="muted">${esc(t('ff_none_found'))}</p>`}
    <h2>${esc(t('ff_missed_list'))} <span class="muted">${num(fig.missed.length)}</span></h2>
    ${fig.missed.length ? `<div class="scroll"><table id="missed-table" class="stack"><thead><tr>
      <th>${esc(t('subject'))}</th><th>${esc(t('name'))}</th><th>${esc(t('grid'))}</th><th>${esc(t('ff_confirmed'))}</th><th>${esc(t('ff_alerted_later'))}</th></tr></thead><tbody>
      ${fig.missed.map((m) => `<tr ${target(m)}>${who(m)}
        <td class="nowrap" data-l="${esc(t('ff_confirmed'))}"><span>${esc(short(m.confirmed))}</span></td>
        <td class="wide" data-l="${esc(t('ff_alerted_later'))}"><span>${esc(m.alerted_later ? tf('ff_later_yes', { at: short(m.first_alert) }) : t('ff_later_no'))}</span></td></tr>`).join('')}
      </tbody></table></div>` : `<p class="muted">${esc(t('ff_none_missed'))}</p>`}` : ''}`;
  const go = (changes) => {
    const next = { ...p, ...changes };
    const qs = new URLSearchParams(Object.fromEntries(Object.entries(next).filter(([, v]) => v !== '' && v != null && v !== '0')));
    location.hash = '#/found' + (qs.toString() ? '?' + qs.toString() : '');
  };
  $('#found-filters').addEventListener('submit', (ev) => {
    ev.preventDefault();
    go({ since: new FormData(ev.target).get('since') || '', offset: '0' });
  });
  if (fig.found.length) wirePager('found-pager', offset, PAGE, fig.found.length, (o) => go({ offset: String(o) }));
  document.querySelectorAll('#found-table tr[data-subject], #missed-table tr[data-subject]').forEach((tr) => tr.addEventListener('click', () => {
    location.hash = '#/trace/' + encodeURIComponent(tr.dataset.subject);
  }));
  if (fig.judged) {
    chart($('#ff-chart')).setOption({
      grid: { left: 40, right: 10, top: 16, bottom: 30 }, tooltip: { trigger: 'axis', confine: true },
      xAxis: { type: 'category', data: BUCKETS.map((k) => t(k)) }, yAxis: { type: 'value', minInterval: 1, name: t('ff_cases_unit') },
      series: [{ type: 'bar', data: fig.lead_days.map((b) => b.cases), itemStyle: { color: '#1f6fbf' }, label: { show: true, position: 'top' } }],
    });
  }
}
