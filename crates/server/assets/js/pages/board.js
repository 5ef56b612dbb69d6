// The task board: tasks by state, the city map of tasks to do (county down to grid, overdue in
// the tooltip, the epidemic areas drawn on it), outcomes by reason, tasks by grid, and the queues
// of tasks to route and escalated tasks with a form to reassign them.

import { t, esc, $, main, api, withPurpose, post, may, loadGrids, tags, showError, num, subjectText } from '../core.js';

// Expected infections, one decimal: a sum of chances.
const exp1 = (x) => (x || 0).toFixed(1);
import { cityMap } from '../citymap.js';
import { OUTCOMES, outcomeName, prioTag } from '../task-cards.js';

export async function pageBoard() {
  const [s, geo, areas] = await Promise.all([api('/api/tasks/stats'), loadGrids(), api('/api/areas').catch(() => [])]);
  const share = s.share_answered_in_time == null ? '-' : Math.round(s.share_answered_in_time * 100) + '%';
  const states = ['open', 'accepted', 'isolating', 'closed'];
  const outcomes = OUTCOMES.concat(['isolation_completed']);
  const names = Object.fromEntries((geo.features || []).map((f) => [f.properties.code, f.properties.name]));
  const byGrid = Object.fromEntries(s.by_grid.filter((g) => g.grid_code).map((g) => [g.grid_code, g.states]));
  const expected = Object.fromEntries(s.by_grid.filter((g) => g.grid_code).map((g) => [g.grid_code, g.expected_infections || 0]));
  const toRoute = s.by_grid.find((g) => !g.grid_code);
  const toDo = (x) => (x.open || 0) + (x.accepted || 0);
  // Grids where most infections are expected first (where to send help), then most to do; the
  // tasks waiting for a grid last.
  const rows = s.by_grid.filter((g) => g.grid_code).sort((a, b) => (b.expected_infections || 0) - (a.expected_infections || 0) || toDo(b.states) - toDo(a.states) || (b.states.overdue || 0) - (a.states.overdue || 0));
  if (toRoute) rows.push(toRoute);
  const cell = (k, n) => `<td class="num" data-l="${esc(t('state_' + k))}">${num(n || 0)}</td>`;
  main().innerHTML = `<h1>${esc(t('board'))}</h1>
    <div class="cards">
      ${states.map((k) => `<div class="card"><div class="n" data-state="${k}">${num(s.by_state[k] || 0)}</div><div class="l">${esc(t('state_' + k))}</div></div>`).join('')}
      <div class="card" title="${esc(t('expected_hint'))}"><div class="n" id="expected">${exp1(s.expected_infections)}</div><div class="l">${esc(t('expected_infections'))}</div></div>
      <div class="card"><div class="n" id="in-time">${share}</div><div class="l">${esc(t('answered_in_time'))}</div></div>
      <div class="card"><div class="n">${s.median_minutes_to_first_contact == null ? '-' : num(Math.round(s.median_minutes_to_first_contact))}</div><div class="l">${esc(t('median_first_contact'))}</div></div>
    </div>
    <div class="grid2">
      <div class="panel"><h2>${esc(t('board_map'))}</h2><div id="taskmap"></div></div>
      <div class="panel scroll" style="max-height:560px;overflow-y:auto"><h2>${esc(t('by_grid_tasks'))}</h2><table id="grid-tasks" class="stack"><thead><tr><th>${esc(t('grid'))}</th><th class="num" title="${esc(t('expected_hint'))}">${esc(t('expected_short'))}</th>${states.map((k) => `<th class="num">${esc(t('state_' + k))}</th>`).join('')}<th class="num">${esc(t('overdue'))}</th></tr></thead><tbody>
        ${rows.map((g) => `<tr><td class="wide" data-l="${esc(t('grid'))}">${g.grid_code
          ? `<span>${esc(names[g.grid_code] || g.grid_code)} <span class="muted mono">${esc(g.grid_code)}</span></span>`
          : `<span title="${esc(t('board_to_route_hint'))}">${esc(t('board_to_route'))}</span>`}</td><td class="num" data-l="${esc(t('expected_short'))}"><b>${exp1(g.expected_infections)}</b></td>${states.map((k) => cell(k, g.states[k])).join('')}<td class="num${g.states.overdue ? ' bad' : ''}" data-l="${esc(t('overdue'))}">${num(g.states.overdue || 0)}</td></tr>`).join('')}
      </tbody></table></div>
    </div>
    <div class="panel scroll" style="margin-top:12px"><h2>${esc(t('outcomes_by_reason'))}</h2><table id="outcomes" class="stack"><thead><tr><th>${esc(t('reason'))}</th>${outcomes.map((o) => `<th class="num">${esc(outcomeName(o))}</th>`).join('')}</tr></thead><tbody>
      ${Object.keys(s.outcomes_by_reason).length ? Object.entries(s.outcomes_by_reason).map(([code, o]) => `<tr><td class="wide" data-l="${esc(t('reason'))}"><span>${esc(t(code))}</span></td>${outcomes.map((x) => `<td class="num" data-l="${esc(outcomeName(x))}">${num(o[x] || 0)}</td>`).join('')}</tr>`).join('')
        : `<tr><td colspan="${outcomes.length + 1}" class="muted">${esc(t('no_outcomes_yet'))}</td></tr>`}
    </tbody></table></div>
    ${may('route') ? '<div class="panel" id="queues" style="margin-top:12px"></div>' : ''}`;
  const sumOver = (grids) => grids.reduce((x, g) => {
    const st = byGrid[g];
    if (st) { x.open += st.open || 0; x.accepted += st.accepted || 0; x.overdue += st.overdue || 0; }
    return x;
  }, { open: 0, accepted: 0, overdue: 0 });
  cityMap($('#taskmap'), geo, {
    key: 'board',
    // Coloured by the infections to expect in the tasks to do: where to send help.
    values: Object.fromEntries(Object.entries(expected).map(([g, x]) => [g, Math.round(x * 10) / 10])),
    label: t('expected_short'),
    colors: ['#f2f6fb', '#9ecae1', '#3182bd', '#08306b'],
    detail: (grids) => {
      const x = sumOver(grids);
      return `${esc(t('state_open'))} ${num(x.open)} · ${esc(t('state_accepted'))} ${num(x.accepted)}<br>${x.overdue ? `<b style="color:#b3261e">${esc(t('board_overdue'))} ${num(x.overdue)}</b>` : `${esc(t('board_overdue'))} 0`}`;
    },
    areas,
    onGrid: may('tasks') ? (code) => { location.hash = `#/tasks?grid=${encodeURIComponent(code)}`; } : null,
  });
  if (may('route')) {
    const [unrouted, escalated] = await Promise.all([
      api(withPurpose('/api/tasks', { unrouted: 'true', limit: '50' })),
      api(withPurpose('/api/tasks', { escalation: '1', limit: '50' })),
    ]);
    const row = (k) => `<tr><td>${prioTag(k.priority)} <a href="#/task/${k.id}">${esc(subjectText(k.subject))}</a></td><td>${tags(k.reasons)}</td>
      <td><form class="reassign" data-id="${k.id}"><input name="grid" size="15" placeholder="${esc(t('grid_code'))}"> <button class="ghost">${esc(t('reassign'))}</button></form></td></tr>`;
    $('#queues').innerHTML = `<h2 title="${esc(t('board_to_route_hint'))}">${esc(t('board_to_route'))} (${num(unrouted.total)})</h2><p class="muted">${esc(t('board_to_route_hint'))}</p><div class="scroll"><table id="unrouted">${unrouted.tasks.map(row).join('')}</table></div>
      <h2>${esc(t('escalated'))} (${num(escalated.total)})</h2><div class="scroll"><table id="escalated">${escalated.tasks.map(row).join('')}</table></div>`;
    document.querySelectorAll('form.reassign').forEach((f) => f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try { await post(`/api/tasks/${f.dataset.id}/reassign`, { grid_code: f.grid.value.trim() || null }); await pageBoard(); } catch (e) { showError(e); }
    }));
  }
}
