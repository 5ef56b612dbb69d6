// A person's trace, grouped as an epidemiologist works through it: close contacts first, then
// general ones, each close contact's own contacts (degree 2) folded under it; the chain of cases
// among them; the trajectory on a map and a timeline. Also the words and dates the alert page
// shares: place kinds, sources, "2月1日 08:15".

import { t, tf, tOr, esc, $, main, api, withPurpose, chart, loadGrids, num, hashParams, placesOption, timelineOption, pagerHtml, wirePager } from '../core.js';

const PAGE = 50;
const RING = 36; // close contacts drawn one by one on the graph; more are folded into one node

// ------------------------------------------------------------------ words and dates

// A template of the catalogue with its {parts} filled by HTML the caller has escaped.
export const fill = (key, parts) => esc(t(key)).replace(/\{(\w+)\}/g, (_, k) => (parts[k] ?? ''));
const word = (prefix, code, fallback) => (code ? tOr(prefix + code, fallback ?? code) : '');
export const kindWord = (kind) => word('pk_', kind, t('pk_other'));
export const sourceWord = (source) => word('src_', source, source);

// The server writes local times with their offset ("2020-02-01T08:15:00+08:00"): the date and
// the clock are read off the text, in the city's own time.
export const hm = (ts) => (ts ? ts.slice(11, 16) : '');
export function day(ts) {
  if (!ts) return '';
  const [, m, d] = ts.slice(0, 10).split('-').map(Number);
  const mon = new Date(Date.UTC(2000, m - 1, 1)).toLocaleString('en-GB', { month: 'short', timeZone: 'UTC' });
  return tf('day_fmt', { m, d, mon });
}
export const at = (ts) => `${day(ts)} ${hm(ts)}`;
// "2月1日 08:15–08:52", or across midnight "2月1日 23:50–2月2日 00:20".
export const clock = (from, to) => (!to || to.slice(0, 16) === from.slice(0, 16) ? at(from)
  : from.slice(0, 10) === to.slice(0, 10) ? `${at(from)}–${hm(to)}` : `${at(from)}–${at(to)}`);
// "1月20日–1月23日", or one day.
export const days = (from, to) => (!to || from.slice(0, 10) === to.slice(0, 10) ? day(from) : `${day(from)}–${day(to)}`);

// A place as words: a train car by its train and car, else its name (its id when it has none).
export function placeName(place, notes) {
  const n = (notes && notes[place.place_id]) || {};
  if (n.train) {
    const car = n.car && /^\d+$/.test(n.car) ? String(Number(n.car)) : n.car;
    return car ? tf('ev_vehicle_train', { train: n.train, car }) : tf('ev_vehicle_train_nocar', { train: n.train });
  }
  return place.name || place.place_id;
}

// A timeline's lane for a stretch: its place named apart from others of the same name (the
// region in front when the name does not already say it) and its kind in words.
export function laneOf(place, notes) {
  const n = (notes && notes[place.place_id]) || {};
  const name = placeName(place, notes);
  const region = n.region_name && !name.includes(n.region_name) ? n.region_name : '';
  return { lane: place.place_id, name: region ? `${region} ${name}` : name, kind: kindWord(place.kind) };
}

// Lanes are 36 px each: a chart as tall as its places need.
export const timelineHeight = (rows) => Math.max(120, new Set(rows.map((r) => r.lane)).size * 36 + 40);
export const labelWidth = () => (window.matchMedia('(max-width: 800px)').matches ? 110 : 170);

// ------------------------------------------------------------------ the page

const traceHash = (subject, degree) => '#/trace/' + encodeURIComponent(subject) + (degree === 1 ? '?degree=1' : '');

export async function pageTrace(subject) {
  const degree = hashParams().degree === '1' ? 1 : 2;
  main().innerHTML = `<h1>${esc(t('trace'))}</h1>
    <form class="row" id="trace-form"><label>${esc(t('trace_of'))}<input name="subject" value="${esc(subject)}" size="20" required></label>
      <label>${esc(t('degree'))}<select name="degree">
        <option value="2" ${degree === 2 ? 'selected' : ''}>${esc(t('tr_degree_2'))}</option>
        <option value="1" ${degree === 1 ? 'selected' : ''}>${esc(t('tr_degree_1'))}</option></select></label>
      <button class="primary" type="submit">${esc(t('trace_btn'))}</button></form><div id="trace-out"></div>`;
  const form = $('#trace-form');
  const go = () => {
    const f = new FormData(form);
    const s = String(f.get('subject') || '').trim();
    if (s) location.hash = traceHash(s, Number(f.get('degree')));
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); go(); });
  form.elements.degree.addEventListener('change', go);
  if (!subject) return;
  const [d] = await Promise.all([
    api(withPurpose('/api/trace/' + encodeURIComponent(subject), { degree: String(degree) })),
    loadGrids(),
  ]);
  drawTrace(d, degree);
}

function drawTrace(d, degree) {
  const notes = d.places || {};
  const first = d.contacts.filter((c) => c.degree === 1);
  // Cases first in each group: they are the transmission; then by first contact.
  const byCase = (a, b) => (b.is_case - a.is_case) || a.first_at.localeCompare(b.first_at);
  const groups = {
    close: first.filter((c) => c.tier === 'close').sort(byCase),
    general: first.filter((c) => c.tier !== 'close').sort(byCase),
  };
  const second = d.contacts.filter((c) => c.degree === 2);
  const under = new Map();
  second.forEach((c) => {
    if (!under.has(c.via)) under.set(c.via, []);
    under.get(c.via).push(c);
  });
  const cases = d.contacts.filter((c) => c.is_case).length;
  const refOf = (c) => c.ref || c.subject;
  const caseTag = (c) => (c.is_case ? ` <span class="tag CLOSE_CONTACT">${esc(t('is_case'))}</span>` : '');
  const state = { group: groups.close.length || !groups.general.length ? 'close' : 'general', offset: 0, open: new Set() };

  $('#trace-out').innerHTML = `<h2>${esc(d.subject)}${d.is_case ? ` <span class="tag CLOSE_CONTACT">${esc(t('is_case'))}</span>` : ''}
      <span class="muted">${d.window ? esc(days(d.window.from, d.window.to)) : ''}</span></h2>
    ${d.window ? '' : `<p class="muted">${esc(t('tr_no_window'))}</p>`}
    <div class="counts">
      <button type="button" class="card" data-group="close"><div class="n">${num(groups.close.length)}</div><div class="l">${esc(t('tr_close'))}</div></button>
      <button type="button" class="card" data-group="general"><div class="n">${num(groups.general.length)}</div><div class="l">${esc(t('tr_general'))}</div></button>
      ${degree === 2 ? `<div class="card"><div class="n">${num(second.length)}</div><div class="l">${esc(t('tr_second'))}</div></div>` : ''}
      <div class="card"><div class="n">${num(cases)}</div><div class="l">${esc(t('tr_cases_met'))}</div></div>
      <div class="card"><div class="n">${num(d.steps.length)}</div><div class="l">${esc(t('trajectory'))}</div></div>
    </div>
    <div class="grid2">
      <div class="panel"><h2 id="group-title"></h2><div id="contacts-slot"></div></div>
      <div>
        <div class="panel"><h2>${esc(t('case_links'))} (${num(d.case_links.length)})</h2>
          <p class="muted" style="margin:0 0 6px;font-size:12px">${esc(t('tr_chain_hint'))}</p><div id="chain"></div></div>
        <div class="panel" style="margin-top:12px"><h2>${esc(t('contacts'))}</h2>
          <div class="legend"><span><i style="background:#15304b"></i>${esc(t('tr_this'))}</span><span><i style="background:#c0392b"></i>${esc(t('tr_legend_case'))}</span>
            <span><i style="background:#e4572e"></i>${esc(t('tr_legend_close'))}</span><span><i style="background:#8fa3b8"></i>${esc(t('tr_legend_general'))}</span></div>
          <div id="graph" class="chart"></div><p class="muted" style="margin:4px 0 0;font-size:12px">${esc(t('tr_graph_hint'))}</p></div>
      </div>
    </div>
    <div class="grid2">
      <div class="panel"><h2>${esc(t('trajectory'))} (${num(d.steps.length)})</h2><div id="tmap" class="chart"></div></div>
      <div class="panel"><h2>${esc(t('timeline'))}</h2><div id="ttime" class="chart"></div></div>
    </div>`;

  // The contacts of the chosen group, a page at a time; a close contact's own contacts
  // (degree 2) fold out under it.
  const drawTable = () => {
    const list = groups[state.group];
    // Degree 2 comes through close contacts only: the general group has none to fold out.
    const folds = degree === 2 && state.group === 'close';
    document.querySelectorAll('.counts [data-group]').forEach((b) => b.classList.toggle('on', b.dataset.group === state.group));
    $('#group-title').textContent = `${t(state.group === 'close' ? 'tr_close' : 'tr_general')} (${num(list.length)})`;
    if (!list.length) {
      $('#contacts-slot').innerHTML = `<p class="muted">${esc(t('tr_no_contacts'))}</p>`;
      return;
    }
    const rows = list.slice(state.offset, state.offset + PAGE).map((c) => {
      const kids = under.get(c.subject) || [];
      const open = state.open.has(c.subject);
      return `<tr class="click" data-subject="${esc(refOf(c))}"><td>${d.names && d.names[c.subject] ? `${esc(d.names[c.subject])} <span class="muted">${esc(c.subject)}</span>` : esc(c.subject)}${caseTag(c)}</td>
          <td class="nowrap">${esc(at(c.first_at))}</td>
          ${folds ? `<td class="second">${kids.length ? `<button type="button" class="link" data-open="${esc(c.subject)}" aria-expanded="${open}">${open ? '▾' : '▸'} ${num(kids.length)}</button>` : '<span class="muted">0</span>'}</td>` : ''}</tr>
        ${open ? `<tr class="kids"><td colspan="3"><div class="muted" style="font-size:12px">${esc(tf('tr_via_n', { n: num(kids.length) }))}</div>
          ${kids.map((k) => `<a class="chip ${k.is_case ? 'case' : ''}" href="${esc(traceHash(refOf(k), degree))}" title="${esc(at(k.first_at))}">${esc(k.subject)}</a>`).join('')}</td></tr>` : ''}`;
    }).join('');
    $('#contacts-slot').innerHTML = `<div class="scroll"><table id="contacts-table"><thead><tr><th>${esc(t('subject'))}</th><th>${esc(t('first_at'))}</th>
        ${folds ? `<th>${esc(t('tr_second'))}</th>` : ''}</tr></thead><tbody>${rows}</tbody></table></div>
      ${pagerHtml('contacts-pager', state.offset, PAGE, list.length)}`;
    document.querySelectorAll('#contacts-table tr[data-subject]').forEach((tr) => tr.addEventListener('click', (ev) => {
      const open = ev.target.closest('[data-open]');
      if (open) {
        const s = open.dataset.open;
        if (state.open.has(s)) state.open.delete(s); else state.open.add(s);
        drawTable();
        return;
      }
      location.hash = traceHash(tr.dataset.subject, degree);
    }));
    wirePager('contacts-pager', state.offset, PAGE, list.length, (o) => { state.offset = o; drawTable(); $('#group-title').scrollIntoView({ block: 'nearest' }); });
  };
  const show = (group) => { state.group = group; state.offset = 0; drawTable(); };
  document.querySelectorAll('.counts [data-group]').forEach((b) => b.addEventListener('click', () => show(b.dataset.group)));
  drawTable();

  drawChain(d, degree);
  drawGraph(d, groups, under, degree, show);
  chart($('#tmap')).setOption(placesOption(d.steps));
  const rows = d.steps.map((s) => ({ ...laneOf(s.place, notes), start: s.start, end: s.end, label: sourceWord(s.source), color: '#1f6fbf' }));
  $('#ttime').style.height = timelineHeight(rows) + 'px';
  chart($('#ttime')).setOption(timelineOption(rows, { labelWidth: labelWidth() }));
}

// The cases among the contacts as chains from the traced person: "本人 → 1月23日 → P000067", or
// through a close contact for a case met at the second degree.
function drawChain(d, degree) {
  const slot = $('#chain');
  if (!d.case_links.length) {
    slot.innerHTML = `<p class="muted">${esc(t('none'))}</p>`;
    return;
  }
  const byName = new Map(d.contacts.map((c) => [c.subject, c]));
  const chip = (name, cls = '') => {
    const c = byName.get(name);
    const ref = c ? (c.ref || c.subject) : name;
    return name === d.subject ? `<span class="chip root">${esc(name)}</span>`
      : `<a class="chip ${cls} ${c && c.is_case ? 'case' : ''}" href="${esc(traceHash(ref, degree))}">${esc(name)}</a>`;
  };
  const arrow = (ts) => `<span class="arrow">${esc(day(ts))}</span>`;
  const links = [...d.case_links].sort((a, b) => a.first_at.localeCompare(b.first_at));
  slot.innerHTML = `<div class="chain">${links.map((l) => {
    const via = l.from !== d.subject ? byName.get(l.from) : null;
    const path = via ? `${chip(d.subject)}${arrow(via.first_at)}${chip(l.from)}${arrow(l.first_at)}${chip(l.to)}` : `${chip(d.subject)}${arrow(l.first_at)}${chip(l.to)}`;
    return `<div class="link">${path}</div>`;
  }).join('')}</div>`;
}

// The traced person in the middle, its close contacts around it one by one (cases red), its
// general contacts as one node: a picture of who matters, not of everyone.
function drawGraph(d, groups, under, degree, show) {
  const close = groups.close;
  const ring = close.slice(0, RING);
  const rest = close.length - ring.length;
  const n = ring.length + (rest > 0 ? 1 : 0);
  // The ring leaves its right side free for the general contacts' node.
  const pos = (i) => {
    const a = (Math.PI / 6) + (i + 0.5) * ((5 * Math.PI / 3) / Math.max(n, 1));
    return [Math.cos(a) * 100, Math.sin(a) * 100];
  };
  const label = n <= 16;
  const nodes = [{ id: '@root', name: d.subject, x: 0, y: 0, symbolSize: 26, itemStyle: { color: '#15304b' }, label: { show: true, position: 'bottom', fontWeight: 600 } }];
  const links = [];
  ring.forEach((c, i) => {
    const [x, y] = pos(i);
    const kids = (under.get(c.subject) || []).length;
    nodes.push({
      id: c.ref || c.subject, name: c.subject, x, y, symbolSize: c.is_case ? 18 : 12,
      itemStyle: { color: c.is_case ? '#c0392b' : '#e4572e' },
      label: { show: label || c.is_case, formatter: kids && degree === 2 ? `${c.subject} +${kids}` : c.subject },
      tip: `${esc(c.subject)}<br>${esc(t('first_at'))}: ${esc(at(c.first_at))}${kids ? '<br>' + esc(tf('tr_via_n', { n: kids })) : ''}`,
    });
    links.push({ source: '@root', target: c.ref || c.subject });
  });
  if (rest > 0) {
    const [x, y] = pos(ring.length);
    nodes.push({ id: '@more', name: tf('tr_group_more', { n: rest }), x, y, symbolSize: 16, itemStyle: { color: '#f0a202' }, label: { show: true }, group: 'close' });
    links.push({ source: '@root', target: '@more' });
  }
  if (groups.general.length) {
    const size = Math.min(44, 16 + Math.sqrt(groups.general.length) * 2);
    nodes.push({ id: '@general', name: `${t('tr_general')} ${num(groups.general.length)}`, x: 150, y: 0, symbolSize: size, itemStyle: { color: '#8fa3b8' }, label: { show: true, position: 'bottom' }, group: 'general' });
    links.push({ source: '@root', target: '@general', lineStyle: { type: 'dashed' } });
  }
  const g = chart($('#graph'));
  g.setOption({
    tooltip: { formatter: (p) => (p.dataType === 'node' ? (p.data.tip || esc(p.data.name)) : '') },
    series: [{
      type: 'graph', layout: 'none', roam: true, data: nodes, links, left: 40, right: 70, top: 30, bottom: 30,
      label: { position: 'right', fontSize: 11, color: '#1d2733' }, lineStyle: { color: '#c4ceda', width: 1 },
      emphasis: { focus: 'adjacency', label: { show: true } },
    }],
  });
  g.on('click', (p) => {
    if (p.dataType !== 'node' || p.data.id === '@root') return;
    if (p.data.group) { show(p.data.group); $('#group-title').scrollIntoView({ block: 'nearest' }); return; }
    location.hash = traceHash(p.data.id, degree);
  });
}
