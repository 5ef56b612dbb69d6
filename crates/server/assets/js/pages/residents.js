// The households of a grid and who in them is a case, alerted, or has a task.

import { t, esc, $, main, me, api, withPurpose, num } from '../core.js';

export async function pageResidents(grid) {
  const mine = me.role === 'grid_worker';
  main().innerHTML = `<h1>${esc(t('residents'))}</h1>
    <form class="row" id="grid-form"><label>${esc(t('grid_code'))}<input name="grid" value="${esc(grid || (mine ? me.grids[0] : ''))}" size="16" required></label>
    <button class="primary">${esc(t('show'))}</button></form><div id="households"></div>`;
  $('#grid-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = '#/residents/' + encodeURIComponent(ev.target.grid.value.trim());
  });
  const g = grid || (mine ? me.grids[0] : '');
  if (!g) return;
  const r = await api(withPurpose('/api/residents', { grid: g }));
  $('#households').innerHTML = `<p class="muted">${esc(r.grid_name || '')} · ${esc(t('persons'))} ${num(r.residents)} · ${num(r.households.length)} ${esc(t('household'))}</p>`
    + r.households.map((h) => `<div class="panel household" style="margin:8px 0"><b>${esc(h.address || '')}</b> <span class="muted">${esc(h.household_id)}</span>
      ${h.members.map((m) => `<div>${esc((m.person && m.person.name) || m.subject)} <span class="muted">${esc((m.person && m.person.id_number) || '')}</span>
        ${m.is_case ? `<span class="tag CLOSE_CONTACT">${esc(t('is_case'))}</span>` : ''}
        ${m.alert_score != null ? `<span class="tag SECONDARY_CONTACT">${esc(t('score'))} ${m.alert_score.toFixed(2)}</span>` : ''}
        ${m.task ? `<a class="tag" href="#/task/${m.task.id}">${esc(t('state_' + m.task.state))}</a>` : ''}</div>`).join('')}</div>`).join('');
}
