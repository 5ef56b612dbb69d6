// The live feeds as the command centre watches them: each route (HTTP, MQTT, NATS JetStream) up
// or down, each feed's counts, what waits to be kept and how long rows take to be seen, redrawn
// every few seconds while the page is open; below, the rows the feeds rejected, filtered and
// paged, and the same rows as CSV for the sender to fix.

import { t, esc, $, main, api, follow, short, hashParams, Stale } from '../core.js';

const REFRESH_MS = 5000;
// A feed silent this long is marked: a hotel or a gate that stopped sending means people missed.
const QUIET_MS = 5 * 60 * 1000;
const PAGE = 50;
const ROUTES = ['http', 'mqtt', 'nats'];
// The kinds a feed takes (CONTRACT.md section 1 without the GeoJSON files), for the filter.
const KINDS = ['sightings', 'rail_tickets', 'hotel_stays', 'netcafe_sessions', 'checkpoint_passes', 'parking', 'gate_access',
  'pharmacy_sales', 'deliveries', 'health_reports', 'cases', 'areas', 'persons', 'vehicles', 'places', 'regions'];

// How the feed table is sorted, kept while the user stays in the command centre. `attention`:
// feeds of a route that is down, then the longest silent, then the busiest.
let sortBy = { key: 'attention', desc: false };

// Fills `{name}` placeholders of a message.
const fill = (msg, vars) => msg.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? vars[k] : m));

const num = (n) => Number(n || 0).toLocaleString();

// A rejected row's reason in the page's language: the import's reasons have a few shapes (a
// field and its value, then the rule it broke); a reason of another shape is shown as written,
// marked as the server's own words. Field names are the contract's columns, shown as code.
const REJECTS = [
  [/^(\S+) (.*): must be 11 digits starting with 1, optionally after \+86$/, 'rj_phone'],
  [/^(\S+) (.*): must be 18 characters, 17 digits then a digit or X$/, 'rj_id_form'],
  [/^(\S+) (.*): check digit should be (\S+)$/, 'rj_id_check'],
  [/^required field (\S+) is empty$/, 'rj_empty'],
  [/^required field (\S+) is missing$/, 'rj_missing'],
  [/^(\S+) (.*) is not a known place$/, 'rj_place'],
  [/^(\S+) (.*) is not a known region$/, 'rj_region'],
  [/^(\S+) (.*) is not a known person$/, 'rj_person'],
  [/^(\S+) (.*) is not a number$/, 'rj_number'],
  [/^(\S+) (.*) is out of range/, 'rj_range'],
  [/^(\S+) (.*) is before (\S+) (.*)$/, 'rj_before'],
  [/^(\S+) (.*): not a time/, 'rj_time'],
  [/^(\S+) (.*): a date alone is not enough here/, 'rj_date_only'],
];

export function rejectText(reason) {
  for (const [re, key] of REJECTS) {
    const m = re.exec(reason || '');
    if (!m) continue;
    const part = (i) => `<code translate="no">${esc(m[i])}</code>`;
    return t(key).split(/(\{\d\})/).map((x) => (/^\{\d\}$/.test(x) ? part(Number(x[1])) : esc(x))).join('');
  }
  return `${esc(t('rj_as_written'))}<span translate="no">${esc(reason)}</span>`;
}

function kindName(kind) {
  const name = t('kind_' + kind);
  return name === 'kind_' + kind ? kind : name;
}

function ago(ms, now) {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 5) return t('just_now');
  if (s < 90) return fill(t('ago_s'), { n: s });
  if (s < 90 * 60) return fill(t('ago_m'), { n: Math.round(s / 60) });
  if (s < 36 * 3600) return fill(t('ago_h'), { n: Math.round(s / 3600) });
  return fill(t('ago_d'), { n: Math.round(s / 86400) });
}

function span(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return fill(t('for_s'), { n: s });
  if (s < 90 * 60) return fill(t('for_m'), { n: Math.round(s / 60) });
  return fill(t('for_h'), { n: (s / 3600).toFixed(1) });
}

// The server's offset from UTC in minutes, read from its moment (`+08:00`), so that every time on
// the page is in the server's zone, as the rejects' are; null: the browser's own zone.
let offset = null;

function learnOffset(moment) {
  const m = /(?:([+-])(\d\d):?(\d\d)|Z)$/.exec(moment || '');
  if (m) offset = m[1] ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

// A moment as the analyst reads it: 2026-11-03 14:05:09.
function clock(ms) {
  const p = (n) => String(n).padStart(2, '0');
  if (offset == null) {
    const d = new Date(ms);
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  }
  const d = new Date(ms + offset * 60000);
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

// A time the server wrote, to the second: 2026-11-03 14:05:09.
const seconds = (ts) => (ts ? ts.replace('T', ' ').slice(0, 19) : '');

function duration(ms) {
  if (ms == null) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60000).toFixed(1)} min`;
}

function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1 << 20)).toFixed(1)} MB`;
}

const routeName = (r) => t('route_' + r);
const isDown = (r) => r.configured && !r.connected;

export async function pageFeeds() {
  const f = hashParams();
  const filter = Object.fromEntries(['route', 'kind', 'source'].filter((k) => f[k]).map((k) => [k, f[k]]));
  const query = new URLSearchParams({ ...filter, limit: String(PAGE), ...(f.before ? { before: f.before } : {}) });
  const csv = new URLSearchParams({ ...filter, limit: '100000' });
  const [status, rejects] = await Promise.all([api('/api/feeds'), api('/api/feeds/rejects?' + query.toString())]);
  learnOffset(status.as_of || (rejects[0] && rejects[0].received));
  const kinds = [...new Set([...KINDS, ...status.feeds.map((x) => x.kind), ...(f.kind ? [f.kind] : [])])];
  const senders = [...new Set(status.feeds.map((x) => x.source))].sort();
  main().innerHTML = `<h1>${esc(t('feeds_title'))} <span class="muted moment" id="feeds-moment"></span></h1>
    <div id="feeds-alarm"></div>
    <div class="routes" id="routes"></div>
    <div class="cards feed-figures" id="feed-figures"></div>
    <div class="panel" style="margin-top:12px"><h2>${esc(t('feed_list'))} <span class="muted note" id="feed-order"></span></h2>
      <div id="feed-list"></div></div>
    <div class="panel" style="margin-top:12px" id="rejects">
      <h2>${esc(t('feed_rejects'))}</h2>
      <form class="filters" id="reject-filters">
        <label>${esc(t('route'))}<select name="route"><option value="">${esc(t('all'))}</option>
          ${ROUTES.map((r) => `<option value="${r}" ${f.route === r ? 'selected' : ''}>${esc(routeName(r))}</option>`).join('')}</select></label>
        <label>${esc(t('feed_kind'))}<select name="kind"><option value="">${esc(t('all'))}</option>
          ${kinds.map((k) => `<option value="${esc(k)}" ${f.kind === k ? 'selected' : ''}>${esc(kindName(k))}</option>`).join('')}</select></label>
        <label>${esc(t('sender'))}<input name="source" list="feed-senders" value="${esc(f.source || '')}" size="24"></label>
        <datalist id="feed-senders">${senders.map((s) => `<option value="${esc(s)}">`).join('')}</datalist>
        <button class="primary" type="submit">${esc(t('filter'))}</button>
        ${Object.keys(filter).length ? `<a href="#/feeds" class="filter-clear">${esc(t('clear'))}</a>` : ''}
        <a class="csv" id="rejects-csv" href="/api/feeds/rejects.csv?${esc(csv.toString())}" download>${esc(t('download_csv'))}</a>
      </form>
      <div id="new-rejects"></div>
      ${rejectsTable(rejects)}
      <div class="pager" ${f.before || rejects.length === PAGE ? '' : 'hidden'}>
        <button class="ghost" id="newest" ${f.before ? '' : 'disabled'}>${esc(t('newest'))}</button>
        <button class="ghost" id="older" ${rejects.length === PAGE ? '' : 'disabled'}>${esc(t('older'))}</button>
      </div>
    </div>`;

  // Come with a filter or a page of rejects: the rejects are what the user asked to see.
  if (Object.keys(filter).length || f.before) $('#rejects').scrollIntoView();

  const go = (changes) => {
    const next = { ...filter, ...changes };
    const qs = new URLSearchParams(Object.fromEntries(Object.entries(next).filter(([, v]) => v)));
    location.hash = '#/feeds' + (qs.toString() ? '?' + qs.toString() : '');
  };
  $('#reject-filters').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const d = Object.fromEntries(new FormData(ev.target));
    go({ route: d.route, kind: d.kind, source: d.source.trim(), before: '' });
  });
  $('#newest').addEventListener('click', () => go({ before: '' }));
  $('#older').addEventListener('click', () => go({ before: String(rejects[rejects.length - 1].id) }));
  // A record is cut to one line; a click shows it whole.
  $('#rejects').addEventListener('click', (ev) => {
    const rec = ev.target.closest('code.rec');
    if (rec) rec.classList.toggle('open');
  });
  // A feed's rejected count opens its rejects; the headers sort the table.
  $('#feed-list').addEventListener('click', (ev) => {
    const th = ev.target.closest('th[data-sort]');
    if (th) {
      const key = th.dataset.sort;
      sortBy = { key, desc: sortBy.key === key ? !sortBy.desc : key !== 'source' && key !== 'kind' && key !== 'route' };
      drawStatus(shown, Date.now());
      return;
    }
    const a = ev.target.closest('a[data-rejects]');
    if (a) {
      ev.preventDefault();
      const x = JSON.parse(a.dataset.rejects);
      go({ route: x.route, kind: x.kind, source: x.source, before: '' });
    }
  });

  // The rejects seen when the table was fetched: more since then, of the feeds the filter
  // shows, offers a refresh instead of moving the rows under the reader's eyes.
  const rejectedTotal = (st) => st.feeds
    .filter((x) => Object.entries(filter).every(([k, v]) => x[k] === v))
    .reduce((n, x) => n + x.rejected + x.unreadable, 0);
  const rejectedAtStart = rejectedTotal(status);
  let shown = status;
  drawStatus(status, Date.now());

  let timer = null;
  let stopped = false;
  follow({ close() { stopped = true; clearTimeout(timer); } });
  const tick = async () => {
    try {
      const s = await api('/api/feeds');
      if (stopped) return;
      shown = s;
      drawStatus(s, Date.now());
      if (rejectedTotal(s) > rejectedAtStart && !f.before && !$('#new-rejects button')) {
        $('#new-rejects').innerHTML = `<button class="ghost" id="show-new-rejects">${esc(t('new_rejects'))}</button>`;
        $('#show-new-rejects').addEventListener('click', () => pageFeeds().catch(() => {}));
      }
    } catch (e) {
      if (stopped || e instanceof Stale) return;
      const note = $('#feeds-updated');
      if (note) {
        note.className = 'bad';
        note.textContent = fill(t('refresh_failed'), { time: note.dataset.at || '' });
      }
    }
    if (!stopped) timer = setTimeout(tick, REFRESH_MS);
  };
  timer = setTimeout(tick, REFRESH_MS);
}

// Everything drawn from GET /api/feeds: redrawn at each refresh.
function drawStatus(s, now) {
  if (!$('#routes')) return;
  const updated = clock(now).slice(11);
  const moment = s.as_of ? `${t('as_of')} ${short(s.as_of)} · ${t(s.rolling ? 'rolling' : 'fixed_moment')} · ` : '';
  $('#feeds-moment').innerHTML = `${esc(moment)}<span id="feeds-updated" data-at="${esc(updated)}">${esc(t('updated_at'))} ${esc(updated)}</span>`;

  const down = s.routes.filter(isDown);
  $('#feeds-alarm').innerHTML = down.map((r) => {
    const hit = s.feeds.filter((x) => x.route === r.route);
    const what = hit.length
      ? `<div class="affected">${esc(t('affected'))}${hit.map((x) => `${esc(x.source)} · ${esc(kindName(x.kind))}`).join('；')}</div>`
      : '';
    return `<div class="alarm" role="alert" data-route="${esc(r.route)}">
      <b>${esc(fill(t('route_down_alarm'), { route: routeName(r.route), for: r.since_ms ? span(now - r.since_ms) : '' }))}</b>
      ${r.detail ? `<div class="mono" translate="no">${esc(detailText(r.detail))}</div>` : ''}${what}</div>`;
  }).join('');

  $('#routes').innerHTML = s.routes.map((r) => routeCard(r, now)).join('');
  $('#feed-figures').innerHTML = figures(s);
  $('#feed-list').innerHTML = feedTable(s, now);
  $('#feed-order').textContent = sortBy.key === 'attention' && s.feeds.length ? t('attention_order') : '';
}

// A broker's words, but for the one state the page can name itself.
const detailText = (d) => (d === 'connecting' ? t('route_connecting') : d);

function routeCard(r, now) {
  const state = !r.configured ? 'off' : r.connected ? 'up' : 'down';
  const label = state === 'off' ? t('route_off') : state === 'up' ? t('route_up') : t('route_down');
  const since = r.since_ms
    ? `<div title="${esc(clock(r.since_ms))}">${esc(t('since'))} ${esc(clock(r.since_ms).slice(5, 16))} · ${esc(span(now - r.since_ms))}</div>`
    : state === 'up' ? `<div>${esc(t('since_start'))}</div>` : '';
  return `<div class="route ${state}" data-route="${esc(r.route)}">
    <h3>${esc(routeName(r.route))} <span class="pill ${state}">${esc(label)}</span></h3>
    ${r.url ? `<div class="mono" translate="no">${esc(r.url)}</div>` : ''}
    ${state === 'off' ? `<div class="muted">${esc(t('route_off_hint_' + r.route))}</div>` : ''}
    ${r.detail && state !== 'off' ? `<div class="${state === 'down' ? 'bad' : 'muted'}">${esc(detailText(r.detail))}</div>` : ''}
    <div class="muted">${since}</div>
    ${r.pending != null ? `<div>${esc(t('pending'))} <b class="${r.pending > 0 ? 'warn' : ''}" data-pending>${num(r.pending)}</b></div>` : ''}
  </div>`;
}

function figures(s) {
  const waiting = s.oldest_wait_ms > 5000 ? 'warn' : '';
  const card = (id, n, label, cls = '', title = '') =>
    `<div class="card ${cls}" id="${id}" ${title ? `title="${esc(title)}"` : ''}><div class="n">${n}</div><div class="l">${esc(label)}</div></div>`;
  // Row → screen and row → task side by side, p50 and p99 in columns: one card, read at once.
  const lat = (q, id, label) => (q && q.samples
    ? `<tr id="${id}" title="${esc(`${t('samples')} ${q.samples} · max ${duration(q.max_ms)}`)}"><td>${esc(label)}</td>
        <td class="num"><b>${esc(duration(q.p50_ms))}</b></td><td class="num">${esc(duration(q.p99_ms))}</td></tr>`
    : `<tr id="${id}"><td>${esc(label)}</td><td class="num muted" colspan="2">${esc(t('no_samples'))}</td></tr>`);
  const l = s.latency;
  return card('queued-messages', num(s.queued_messages), t('queued_messages'), s.queued_messages > 0 ? 'warn' : '')
    + card('queued-bytes', esc(bytes(s.queued_bytes || 0)), t('queued_bytes'))
    + card('oldest-wait', esc(duration(s.oldest_wait_ms || 0)), t('oldest_wait'), waiting)
    + (l ? `<div class="card latency"><table><thead><tr><th>${esc(t('latency'))}</th><th class="num">p50</th><th class="num">p99</th></tr></thead>
        <tbody>${lat(l.screen, 'latency-screen', t('latency_screen'))}${lat(l.task, 'latency-task', t('latency_task'))}</tbody></table></div>` : '');
}

function sortFeeds(feeds, downRoutes) {
  const key = sortBy.key;
  const value = (x) => (key === 'attention' ? x.last_received_ms : x[key]);
  return [...feeds].sort((a, b) => {
    const da = downRoutes.has(a.route) ? 0 : 1;
    const db = downRoutes.has(b.route) ? 0 : 1;
    if (da !== db) return da - db;
    const va = value(a);
    const vb = value(b);
    const c = typeof va === 'string' ? va.localeCompare(vb) : va - vb;
    if (c) return sortBy.desc ? -c : c;
    return b.rows_last_minute - a.rows_last_minute || a.source.localeCompare(b.source);
  });
}

function feedTable(s, now) {
  if (!s.feeds.length) return `<p class="muted" id="no-feeds">${esc(t('no_feeds'))}</p>`;
  const downRoutes = new Set(s.routes.filter(isDown).map((r) => r.route));
  const cols = [['route', 'route'], ['source', 'sender'], ['kind', 'feed_kind'], ['rows_last_minute', 'rows_per_minute'],
    ['accepted', 'accepted'], ['rejected', 'rejected'], ['duplicates', 'duplicates'], ['unreadable', 'unreadable'],
    ['messages', 'messages'], ['last_received_ms', 'last_message']];
  const arrow = (k) => {
    const on = sortBy.key === k || (sortBy.key === 'attention' && k === 'last_received_ms');
    return on ? (sortBy.desc ? ' ▼' : ' ▲') : '';
  };
  const numeric = new Set(['rows_last_minute', 'accepted', 'rejected', 'duplicates', 'unreadable', 'messages']);
  const rows = sortFeeds(s.feeds, downRoutes).map((x) => {
    const quiet = now - x.last_received_ms > QUIET_MS;
    const down = downRoutes.has(x.route);
    const rowsIn = x.accepted + x.rejected + x.duplicates;
    const share = x.rejected && rowsIn ? ` <span class="muted">${Math.round((x.rejected / rowsIn) * 100)}%</span>` : '';
    const cell = (k, html, cls = '') => `<td data-l="${esc(t(cols.find((c) => c[0] === k)[1]))}" class="${numeric.has(k) ? 'num ' : ''}${cls}"><span>${html}</span></td>`;
    const link = JSON.stringify({ route: x.route, source: x.source, kind: x.kind });
    return `<tr class="${down ? 'down' : ''}" data-feed="${esc(x.route + ' ' + x.source + ' ' + x.kind)}">
      ${cell('route', `${esc(routeName(x.route))}${down ? ` <span class="pill down">${esc(t('route_down'))}</span>` : ''}`)}
      ${cell('source', `<span class="mono" translate="no">${esc(x.source)}</span>`, 'wide')}
      ${cell('kind', `<span title="${esc(x.kind)}">${esc(kindName(x.kind))}</span>`)}
      ${cell('rows_last_minute', num(x.rows_last_minute), x.rows_last_minute ? 'strong' : 'muted')}
      ${cell('accepted', num(x.accepted))}
      ${cell('rejected', x.rejected ? `<a href="#/feeds" data-rejects="${esc(link)}" class="bad">${num(x.rejected)}</a>${share}` : '0')}
      ${cell('duplicates', num(x.duplicates))}
      ${cell('unreadable', num(x.unreadable), x.unreadable ? 'bad' : '')}
      ${cell('messages', num(x.messages))}
      ${cell('last_received_ms', `<span title="${esc(clock(x.last_received_ms))}">${esc(ago(x.last_received_ms, now))}</span>${quiet ? ` <span class="pill quiet">${esc(t('quiet'))}</span>` : ''}`, quiet || down ? 'warn' : '')}
    </tr>`;
  }).join('');
  return `<div class="scroll"><table id="feeds-table" class="stack"><thead><tr>
    ${cols.map(([k, label]) => `<th data-sort="${k}" class="${numeric.has(k) ? 'num' : ''}">${esc(t(label))}${arrow(k)}</th>`).join('')}
    </tr></thead><tbody>${rows}</tbody></table></div>`;
}

function rejectsTable(rows) {
  if (!rows.length) return `<p class="muted" id="no-rejects">${esc(t('no_rejects'))}</p>`;
  const l = (k) => `data-l="${esc(t(k))}"`;
  const record = (r) => (r.length > 4000 ? r.slice(0, 4000) + ' …' : r);
  return `<div class="scroll"><table id="rejects-table" class="stack"><thead><tr>
    <th>${esc(t('received'))}</th><th>${esc(t('route'))}</th><th>${esc(t('feed_kind'))}</th><th>${esc(t('sender'))}</th>
    <th class="num">${esc(t('line'))}</th><th>${esc(t('reason'))}</th><th>${esc(t('raw_record'))}</th></tr></thead><tbody>
    ${rows.map((r) => `<tr data-id="${r.id}">
      <td ${l('received')} class="nowrap wide" title="${esc(r.received)}"><span>${esc(seconds(r.received))}</span></td>
      <td ${l('route')} class="nowrap"><span>${esc(routeName(r.route))}</span></td>
      <td ${l('feed_kind')} class="nowrap"><span>${esc(kindName(r.kind))}</span></td>
      <td ${l('sender')} class="wide"><span class="mono" translate="no">${esc(r.source)}</span></td>
      <td ${l('line')} class="num nowrap"><span>${r.line === 0 ? esc(t('whole_message')) : r.line}</span></td>
      <td ${l('reason')} class="reason block"><span title="${esc(r.reason)}">${rejectText(r.reason)}</span></td>
      <td ${l('raw_record')} class="block"><code class="rec" translate="no" title="${esc(t('click_to_expand'))}">${esc(record(r.record))}</code></td>
    </tr>`).join('')}
    </tbody></table></div>`;
}
