// The households of a grid and who in them is a case, alerted, or has a task.

import { t, tf, esc, $, main, me, api, withPurpose, num, loadGrids, pct } from '../core.js';

export async function pageResidents(grid) {
  const mine = me.role === 'grid_worker';
  // The grid is chosen by name (the list holds every grid the map knows; a grid worker's own
  // first); a grid worker with one grid is taken straight to it.
  const geo = await loadGrids();
  const cells = (geo.features || []).filter((f) => f.properties.level === 'grid');
  const nameOf = new Map(cells.map((f) => [f.properties.code, f.properties.name]));
  const own = mine ? me.grids : [];
  const choice = grid || (mine ? me.grids[0] : '');
  main().innerHTML = `<h1>${esc(t('residents'))}</h1>
    ${mine && own.length === 1 ? '' : `<form class="row" id="grid-form"><label>${esc(t('grid'))}<input name="grid" list="grid-list" value="${esc(choice)}" size="28" required placeholder="${esc(t('grid_pick'))}"></label>
    <datalist id="grid-list">${[...own, ...cells.map((f) => f.properties.code).filter((c) => !own.includes(c))].map((c) => `<option value="${esc(c)}">${esc(nameOf.get(c) || c)}</option>`).join('')}</datalist>
    <button class="primary">${esc(t('show'))}</button></form>`}<div id="households"></div>`;
  if ($('#grid-form')) $('#grid-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = '#/residents/' + encodeURIComponent(ev.target.grid.value.trim());
  });
  const g = grid || (mine ? me.grids[0] : '');
  if (!g) { $('#households').innerHTML = `<p class="muted">${esc(t('grid_pick_hint'))}</p>`; return; }
  const r = await api(withPurpose('/api/residents', { grid: g }));
  $('#households').innerHTML = `<p class="muted">${esc(r.grid_name || '')} · ${esc(t('persons'))} ${num(r.residents)} · ${num(r.households.length)} ${esc(t('household'))}</p>`
    + r.households.map((h) => `<div class="panel household" style="margin:8px 0"><b>${esc(h.address || '')}</b> <span class="muted">${esc(h.household_id)}</span>
      ${h.members.map((m) => `<div>${esc((m.person && m.person.name) || m.subject)} <span class="muted">${esc((m.person && m.person.id_number) || '')}</span>
        ${m.is_case ? `<span class="tag CLOSE_CONTACT">${esc(t('is_case'))}</span>` : ''}
        ${m.alert_score != null ? `<span class="tag SECONDARY_CONTACT">${esc(tf('chance_line', { p: pct(m.alert_score) }))}</span>` : ''}
        ${m.task ? `<a class="tag" href="#/task/${m.task.id}">${esc(t('state_' + m.task.state))}</a>` : ''}</div>`).join('')}</div>`).join('');
}
