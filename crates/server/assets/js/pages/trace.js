// A person's trace: contacts to the second degree as a graph and a table, their trajectory on a
// map and a timeline, and the links between cases.

import { t, esc, $, main, api, withPurpose, chart, loadGrids, short, placesOption, timelineOption } from '../core.js';

export async function pageTrace(subject) {
  main().innerHTML = `<h1>${esc(t('trace'))}</h1>
    <form class="row" id="trace-form"><label>${esc(t('trace_of'))}<input name="subject" value="${esc(subject)}" size="24" required></label>
      <label>${esc(t('degree'))}<select name="degree"><option>2</option><option>1</option></select></label>
      <button class="primary" type="submit">${esc(t('trace_btn'))}</button></form><div id="trace-out"></div>`;
  $('#trace-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = '#/trace/' + encodeURIComponent(new FormData(ev.target).get('subject').trim());
  });
  if (!subject) return;
  const [d] = await Promise.all([api(withPurpose('/api/trace/' + encodeURIComponent(subject), { degree: '2' })), loadGrids()]);
  $('#trace-out').innerHTML = `<h2>${esc(d.subject)} ${d.is_case ? `<span class="tag CLOSE_CONTACT">${esc(t('is_case'))}</span>` : ''}
      <span class="muted">${d.window ? esc(short(d.window.from)) + ' – ' + esc(short(d.window.to)) : ''}</span></h2>
    <div class="grid2">
      <div class="panel"><h2>${esc(t('contacts'))} (${d.contacts.length})</h2><div id="graph" class="chart tall"></div></div>
      <div class="panel"><h2>${esc(t('trajectory'))} (${d.steps.length})</h2><div id="tmap" class="chart"></div></div>
    </div>
    <div class="panel"><h2>${esc(t('timeline'))}</h2><div id="ttime" class="chart small"></div></div>
    <div class="grid2">
      <div class="panel scroll"><table id="contacts-table"><thead><tr><th>${esc(t('subject'))}</th><th>${esc(t('degree'))}</th><th>${esc(t('tier'))}</th><th>${esc(t('first_at'))}</th><th>via</th></tr></thead><tbody>
        ${d.contacts.map((c) => `<tr class="click" data-subject="${esc(c.ref || c.subject)}"><td>${esc(c.subject)} ${c.is_case ? `<span class="tag CLOSE_CONTACT">${esc(t('is_case'))}</span>` : ''}</td><td>${c.degree}</td><td>${esc(c.tier)}</td><td>${esc(short(c.first_at))}</td><td>${esc(c.via || '')}</td></tr>`).join('')}
      </tbody></table></div>
      <div class="panel"><h2>${esc(t('case_links'))}</h2>${d.case_links.length ? '<ul>' + d.case_links.map((l) => `<li>${esc(l.from)} → ${esc(l.to)} <span class="muted">${esc(short(l.first_at))}</span></li>`).join('') + '</ul>' : `<p class="muted">${esc(t('none'))}</p>`}</div>
    </div>`;
  // A node is asked for by its ref when its name is masked; a degree-2 contact hangs from the
  // degree-1 contact its `via` names.
  const idOf = new Map(d.contacts.map((c) => [c.subject, c.ref || c.subject]));
  const nodes = [{ id: d.subject, name: d.subject, symbolSize: 26, category: 0 }];
  const links = [];
  d.contacts.forEach((c) => {
    nodes.push({ id: c.ref || c.subject, name: c.subject, symbolSize: c.degree === 1 ? 14 : 8, category: c.is_case ? 0 : c.degree });
    links.push({ source: c.via ? (idOf.get(c.via) || c.via) : d.subject, target: c.ref || c.subject });
  });
  const g = chart($('#graph'));
  g.setOption({
    tooltip: {},
    legend: { data: [t('is_case'), '1', '2'].map(String), bottom: 0 },
    series: [{
      type: 'graph', layout: 'force', roam: true, draggable: true, data: nodes, links,
      categories: [{ name: t('is_case'), itemStyle: { color: '#c0392b' } }, { name: '1', itemStyle: { color: '#e4572e' } }, { name: '2', itemStyle: { color: '#f0a202' } }],
      force: { repulsion: 60, edgeLength: 40 }, label: { show: nodes.length < 40, position: 'right', fontSize: 10 },
    }],
  });
  g.on('click', (p) => { if (p.dataType === 'node' && p.data.id !== d.subject) location.hash = '#/trace/' + encodeURIComponent(p.data.id); });
  chart($('#tmap')).setOption(placesOption(d.steps));
  chart($('#ttime')).setOption(timelineOption(d.steps.map((s) => ({ lane: s.place.name || s.place.place_id, start: s.start, end: s.end, label: s.source, color: '#1f6fbf' }))));
  document.querySelectorAll('#contacts-table tr[data-subject]').forEach((tr) => tr.addEventListener('click', () => {
    location.hash = '#/trace/' + encodeURIComponent(tr.dataset.subject);
  }));
}
