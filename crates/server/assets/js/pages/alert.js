// One alert's evidence: the person (masked, revealed on request), why they were alerted, and
// their places on a map and a timeline.

import { t, esc, $, main, api, withPurpose, may, chart, loadGrids, tags, short, placesOption, timelineOption } from '../core.js';

export async function pageAlert(subject) {
  const [d] = await Promise.all([api(withPurpose('/api/alerts/' + encodeURIComponent(subject))), loadGrids()]);
  const a = d.alert;
  const p = d.person;
  main().innerHTML = `<h1>${esc(a.name || a.subject)} <span class="muted">${esc(a.subject)} · ${esc(t('score'))} ${a.score.toFixed(3)}</span></h1>
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
        <h2>${esc(t('evidence'))}</h2>
        <div id="evidence">${d.evidence.map((e) => `<div class="ev">
          <div><span class="tag ${esc(e.reason.code)}">${esc(t(e.reason.code))}</span> ${esc(short(e.reason.at))}
            ${e.reason.case ? `· ${esc(t('with_case'))} ${esc(e.reason.case)}` : ''}
            ${e.reason.area_id ? `· ${esc(e.reason.area_id)}` : ''}${e.reason.via ? ` · via ${esc(e.reason.via)}` : ''}</div>
          ${e.place ? `<div class="muted">${esc(t('where'))}: ${esc(e.place.name || e.place.place_id)} (${esc(e.place.kind)})</div>` : ''}
          ${(e.subject_sightings || []).map((s) => `<div class="muted">· ${esc(short(s.start))} – ${esc(short(s.end))} ${esc(s.source)}</div>`).join('')}
          ${(e.case_sightings || []).map((s) => `<div class="muted">· ${esc(t('with_case'))}: ${esc(short(s.start))} – ${esc(short(s.end))}</div>`).join('')}
        </div>`).join('')}</div>
      </div>
      <div class="panel"><h2>${esc(t('map'))}</h2><div id="evmap" class="chart"></div>
        <h2>${esc(t('timeline'))}</h2><div id="evtime" class="chart small"></div></div>
    </div>`;
  const hot = new Set(d.evidence.filter((e) => e.place).map((e) => e.place.place_id));
  chart($('#evmap')).setOption(placesOption(d.trajectory, hot));
  const rows = d.trajectory.map((s) => ({ lane: s.place.name || s.place.place_id, start: s.start, end: s.end, label: s.source, color: hot.has(s.place.place_id) ? '#e4572e' : '#1f6fbf' }));
  d.evidence.forEach((e) => (e.case_sightings || []).forEach((s) => rows.push({ lane: s.place.name || s.place.place_id, start: s.start, end: s.end, label: `${t('with_case')} ${e.reason.case}`, color: '#8c1c13' })));
  chart($('#evtime')).setOption(timelineOption(rows));
  const rv = $('#reveal');
  if (rv) rv.addEventListener('click', async () => {
    const full = await api(withPurpose('/api/persons/' + encodeURIComponent(subject), { reveal: 'true' }));
    if (full.person) $('#person [data-field="id_number"]').textContent = full.person.id_number;
  });
}
