// One alert's evidence: the person (masked, revealed on request), then why they were alerted —
// each reason in one sentence saying where, when and for how long, the sightings behind it on
// demand — and their places on a map and a timeline.

import { t, tf, esc, $, main, api, withPurpose, may, chart, loadGrids, tags, placesOption, timelineOption, pct, mainReason } from '../core.js';
import { fill, placeName, laneOf, kindWord, sourceWord, at, day, days, clock, timelineHeight, labelWidth } from './trace.js';

const WITHHELD = '(withheld)';
const CONTACTS = ['CLOSE_CONTACT', 'GENERAL_CONTACT', 'SECONDARY_CONTACT'];
const VEHICLES = ['train_car', 'bus'];

export async function pageAlert(subject) {
  const [d] = await Promise.all([api(withPurpose('/api/alerts/' + encodeURIComponent(subject))), loadGrids()]);
  const a = d.alert;
  const p = d.person;
  const notes = d.places || {};
  const top = mainReason(a.reasons);
  main().innerHTML = `<h1>${esc(a.name || a.subject)} <span class="muted">${esc(a.subject)}</span></h1>
    <p class="chance" id="chance" title="${esc(t('score_hint'))}"><b>${esc(tf('chance_line', { p: pct(a.score) }))}</b>${top ? ` · ${esc(tf('chance_main', { r: t(top.code) }))}` : ''}</p>
    <div class="grid2">
      <div class="panel">
        <dl class="kv" id="person">
          <dt>${esc(t('id_number'))}</dt><dd data-field="id_number">${esc((p && p.id_number) || a.id_number || '')}</dd>
          <dt>${esc(t('phone'))}</dt><dd>${esc((p && p.phone) || '')}</dd>
          <dt>${esc(t('address'))}</dt><dd>${esc((p && p.address) || '')}</dd>
          <dt>${esc(t('grid'))}</dt><dd>${esc(a.grid_code || '')} ${esc((p && p.grid_name) || '')}</dd>
          <dt>${esc(t('reasons'))}</dt><dd>${tags(a.reasons)}</dd>
        </dl>
        <p>${may('reveal') ? `<button class="ghost" id="reveal">${esc(t('reveal'))}</button>` : ''}
           ${may('trace') ? `<a class="ghost" href="#/trace/${encodeURIComponent(a.ref || a.subject)}">${esc(t('open_trace'))}</a>` : ''}</p>
        <h2>${esc(tf('ev_summary', { n: d.evidence.length }))}</h2>
        <div id="evidence">${items(d.evidence).map((list) => `<div class="ev">
          <div class="say"><span class="tag ${esc(list[0].reason.code)}">${esc(t(list[0].reason.code))}</span> ${list.length > 1 ? many(list, notes) : sentence(list[0], notes)}</div>
          ${list.length > 1 ? eachOf(list, notes) : aside(list[0]) + details(list[0], notes)}
        </div>`).join('')}</div>
      </div>
      <div class="panel"><h2>${esc(t('map'))} <span class="muted note">${esc(t('ev_map_hint'))}</span></h2><div id="evmap" class="chart"></div>
        <h2>${esc(t('timeline'))}</h2><div id="evtime" class="chart"></div></div>
    </div>`;
  const hot = new Set(d.evidence.filter((e) => e.place).map((e) => e.place.place_id));
  chart($('#evmap')).setOption(placesOption(d.trajectory, hot));
  const rows = d.trajectory.map((s) => ({ ...laneOf(s.place, notes), start: s.start, end: s.end, label: sourceWord(s.source), color: hot.has(s.place.place_id) ? '#e4572e' : '#1f6fbf' }));
  d.evidence.forEach((e) => {
    const theirs = e.case_sightings || e.via_sightings || [];
    const who = e.case_sightings ? e.reason.case : e.reason.via;
    theirs.forEach((s) => rows.push({ ...laneOf(s.place, notes), start: s.start, end: s.end, label: `${t('ev_timeline_case')}: ${who}`, color: '#8c1c13', thin: true }));
  });
  $('#evtime').style.height = timelineHeight(rows) + 'px';
  chart($('#evtime')).setOption(timelineOption(rows, { labelWidth: labelWidth() }));
  const rv = $('#reveal');
  if (rv) rv.addEventListener('click', async () => {
    const full = await api(withPurpose('/api/persons/' + encodeURIComponent(subject), { reveal: 'true' }));
    if (full.person) $('#person [data-field="id_number"]').textContent = full.person.id_number;
  });
}

// How long: "37 分钟", "8 小时 16 分钟".
function duration(min) {
  const h = Math.floor(min / 60);
  const m = min % 60;
  const key = !h ? 'dur_m' : m ? 'dur_hm' : 'dur_h';
  return tf(key, { h, m });
}

// Reasons of one code at one place (a workplace shared with a dozen cases) read as one
// sentence, each reason a line under it; fewer than three stay sentences of their own.
function items(evidence) {
  const out = [];
  const byPlace = new Map();
  evidence.forEach((e) => {
    const g = e.together;
    const key = CONTACTS.includes(e.reason.code) && e.place && g && !g.apart_minutes ? `${e.reason.code}|${e.place.place_id}` : null;
    if (key && byPlace.has(key)) { byPlace.get(key).push(e); return; }
    const list = [e];
    out.push(list);
    if (key) byPlace.set(key, list);
  });
  return out.flatMap((list) => (list.length >= 3 ? [list] : list.map((e) => [e])));
}

function many(list, notes) {
  const secondary = list[0].reason.code === 'SECONDARY_CONTACT';
  const froms = list.map((e) => e.together.from).sort();
  const mins = list.map((e) => e.together.minutes);
  const [lo, hi] = [Math.min(...mins), Math.max(...mins)];
  const span = lo === hi ? duration(lo)
    : lo >= 60 ? tf('dur_h', { h: `${Math.floor(lo / 60)}–${Math.ceil(hi / 60)}` })
      : hi < 60 ? tf('dur_m', { m: `${lo}–${hi}` })
        : tf('dur_range', { a: duration(lo), b: duration(hi) });
  return fill(VEHICLES.includes(list[0].place.kind) ? 'ev_many_ride' : 'ev_many', {
    whom: esc(t(secondary ? 'ev_whom_via' : 'ev_whom_case')),
    days: esc(days(froms[0], froms.at(-1))),
    place: `<b>${esc(placeName(list[0].place, notes))}</b>`,
    n: list.length,
    duration: esc(span),
  });
}

function eachOf(list, notes) {
  return `<details><summary>${esc(tf('ev_each', { n: list.length }))}</summary>${list.map((e) => `<div class="line">${sentence(e, notes)}${aside(e)}</div>`).join('')}</details>`;
}

// Who the subject met: the case, or for a secondary contact the close contact it came through;
// a grid worker learns what sort of case, not who.
function caseWho(e) {
  const status = t('cs_' + (e.case_status || 'case'));
  return e.reason.case === WITHHELD || !e.reason.case
    ? fill('ev_who_case_hidden', { status: esc(status) })
    : fill('ev_who_case', { status: esc(status), case: `<b>${esc(e.reason.case)}</b>` });
}
function viaWho(e) {
  return e.reason.via === WITHHELD || !e.reason.via
    ? fill('ev_who_via_hidden', {})
    : fill('ev_who_via', { via: `<b>${esc(e.reason.via)}</b>` });
}

function areaWords(e) {
  const ar = e.area || {};
  return {
    area: `<b>${esc(ar.name || ar.region_name || e.reason.area_id || '')}</b>`,
    risk: esc(ar.risk ? t('ev_risk_' + ar.risk) : ''),
  };
}

// One reason in one sentence: "2月1日 08:15–08:52 与确诊病例 P000045 同乘 G1234 次 5 号车厢".
function sentence(e, notes) {
  const r = e.reason;
  const place = e.place ? `<b>${esc(placeName(e.place, notes))}</b>` : '';
  if (CONTACTS.includes(r.code)) {
    const who = r.code === 'SECONDARY_CONTACT' ? viaWho(e) : caseWho(e);
    if (!e.place) return fill('ev_household', { who, day: esc(day(r.at)) });
    const g = e.together;
    if (!g) return fill('ev_stay_short', { when: esc(at(r.at)), place, who });
    if (g.apart_minutes) return fill('ev_stay_apart', { day: esc(day(g.from)), place, who, apart: g.apart_minutes });
    if (VEHICLES.includes(e.place.kind)) return fill('ev_ride', { when: esc(clock(g.from, g.to)), who, vehicle: place });
    if (!g.minutes) return fill('ev_stay_short', { when: esc(clock(g.from, g.to)), place, who });
    if (r.code === 'GENERAL_CONTACT') return fill('ev_general', { day: esc(day(g.from)), place, who, duration: esc(duration(g.minutes)) });
    return fill('ev_stay', { when: esc(clock(g.from, g.to)), place, who, duration: esc(duration(g.minutes)) });
  }
  switch (r.code) {
    case 'EPI_AREA': {
      const ss = e.subject_sightings || [];
      const from = ss.length ? ss.map((s) => s.start).sort()[0] : r.at;
      const to = ss.length ? ss.map((s) => s.end).sort().at(-1) : r.at;
      return fill('ev_area', { days: esc(days(from, to)), ...areaWords(e) });
    }
    case 'OUTSIDE_ARRIVAL': {
      const f = e.arrived_from;
      if (!f) return fill('ev_arrival_nofrom', { when: esc(at(r.at)), place });
      return fill('ev_arrival', { when: esc(at(r.at)), place, from: `<b>${esc(placeName(f.place, notes))}</b>` });
    }
    case 'FEVER_MEDICINE': return fill('ev_medicine', { when: esc(at(r.at)), place });
    case 'DELIVERY_FROM_AREA': return fill('ev_delivery', { day: esc(day(r.at)), ...areaWords(e) });
    case 'FEVER_REPORTED': return e.place ? fill('ev_fever_at', { when: esc(at(r.at)), place }) : fill('ev_fever', { when: esc(at(r.at)) });
    default: return `${esc(at(r.at))} ${place}`;
  }
}

// A second, quieter line where one sentence cannot say it all: whose close contact a secondary
// contact's go-between was.
function aside(e) {
  const via = e.reason.via;
  if (e.reason.code !== 'SECONDARY_CONTACT' || !via || via === WITHHELD) return '';
  return `<div class="muted">${fill('ev_via_of', { via: `<b>${esc(via)}</b>`, who: caseWho(e) })}</div>`;
}

// The sightings behind a reason, folded: the subject's and the other person's at the place.
function details(e, notes) {
  const r = e.reason;
  const line = (html) => `<div class="line">${html}</div>`;
  const stretch = (who, s) => line(`<b>${esc(who)}</b> ${esc(clock(s.start, s.end))} · ${esc(sourceWord(s.source))}`);
  const lines = [];
  if (CONTACTS.includes(r.code)) {
    lines.push(line(fill('ev_case_line', { case: caseWho(e) })));
    if (r.via) lines.push(line(fill('ev_via_line', { via: r.via === WITHHELD ? esc(t('ev_withheld')) : `<b>${esc(r.via)}</b>` })));
  }
  if (e.place) lines.push(line(fill('ev_where_line', { place: `<b>${esc(placeName(e.place, notes))}</b> · ${esc(kindWord(e.place.kind))}${regionOf(e.place, notes)}` })));
  if (e.arrived_from) {
    const f = e.arrived_from;
    lines.push(line(fill('ev_came_from', { place: `<b>${esc(placeName(f.place, notes))}</b>${regionOf(f.place, notes)}`, when: esc(clock(f.start, f.end)) })));
  }
  const mine = e.subject_sightings || [];
  const theirs = e.case_sightings || e.via_sightings || [];
  const who = e.case_sightings ? `${t('ev_theirs_case')} ${r.case}` : `${t('ev_theirs_via')} ${r.via}`;
  mine.forEach((s) => lines.push(stretch(t('ev_mine'), s)));
  theirs.forEach((s) => lines.push(stretch(who, s)));
  if (!e.place && CONTACTS.includes(r.code)) lines.push(line(esc(t('ev_household_detail'))));
  if (r.code === 'DELIVERY_FROM_AREA') lines.push(line(esc(t('ev_delivery_detail'))));
  if (r.code === 'FEVER_REPORTED' && !e.place) lines.push(line(esc(t('ev_fever_detail'))));
  const title = CONTACTS.includes(r.code) && e.place
    ? tf('ev_sightings', { n: mine.length + theirs.length })
    : mine.length ? tf('ev_stretches', { n: mine.length }) : t('detail');
  return `<details><summary>${esc(title)}</summary>${lines.join('')}</details>`;
}

function regionOf(place, notes) {
  const n = notes[place.place_id] || {};
  const region = n.grid_name || n.region_name;
  return region && !placeName(place, notes).includes(region) ? ` · ${esc(region)}` : '';
}
