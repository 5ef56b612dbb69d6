// The task board: tasks by state and by grid, outcomes by reason, and the queues of unrouted
// and escalated tasks with a form to reassign them.

import { t, esc, $, main, api, withPurpose, post, may, chart, loadGrids, tags, showError } from '../core.js';
import { OUTCOMES, outcomeName, prioTag } from '../task-cards.js';

export async function pageBoard() {
  const s = await api('/api/tasks/stats');
  const share = s.share_answered_in_time == null ? '-' : Math.round(s.share_answered_in_time * 100) + '%';
  const states = ['open', 'accepted', 'isolating', 'closed'];
  main().innerHTML = `<h1>${esc(t('board'))}</h1>
    <div class="cards">
      ${states.map((k) => `<div class="card"><div class="n" data-state="${k}">${s.by_state[k] || 0}</div><div class="l">${esc(t('state_' + k))}</div></div>`).join('')}
      <div class="card"><div class="n" id="in-time">${share}</div><div class="l">${esc(t('answered_in_time'))}</div></div>
      <div class="card"><div class="n">${s.median_minutes_to_first_contact == null ? '-' : Math.round(s.median_minutes_to_first_contact)}</div><div class="l">${esc(t('median_first_contact'))}</div></div>
    </div>
    <div class="grid2">
      <div class="panel"><h2>${esc(t('by_grid_tasks'))}</h2><div id="taskmap" class="chart tall"></div></div>
      <div class="panel scroll"><h2>${esc(t('outcomes_by_reason'))}</h2><table><thead><tr><th>${esc(t('reason'))}</th>${OUTCOMES.concat(['isolation_completed']).map((o) => `<th>${esc(outcomeName(o))}</th>`).join('')}</tr></thead><tbody>
        ${Object.entries(s.outcomes_by_reason).map(([code, o]) => `<tr><td>${esc(t(code))}</td>${OUTCOMES.concat(['isolation_completed']).map((x) => `<td>${o[x] || ''}</td>`).join('')}</tr>`).join('')}
      </tbody></table></div>
    </div>
    <div class="grid2">
      <div class="panel scroll"><h2>${esc(t('by_grid_tasks'))}</h2><table id="grid-tasks"><thead><tr><th>${esc(t('grid'))}</th>${states.map((k) => `<th>${esc(t('state_' + k))}</th>`).join('')}<th>${esc(t('overdue'))}</th></tr></thead><tbody>
        ${s.by_grid.map((g) => `<tr><td>${esc(g.grid_code || t('unrouted_queue'))}</td>${states.map((k) => `<td>${g.states[k] || ''}</td>`).join('')}<td>${g.states.overdue || ''}</td></tr>`).join('')}
      </tbody></table></div>
      <div class="panel" id="queues"></div>
    </div>`;
  await loadGrids();
  const open = s.by_grid.filter((g) => g.grid_code).map((g) => ({ name: g.grid_code, value: (g.states.open || 0) + (g.states.accepted || 0) }));
  chart($('#taskmap')).setOption({
    tooltip: { trigger: 'item', formatter: (p) => `${esc(p.name)}<br>${esc(t('tasks'))}: ${p.value || 0}` },
    visualMap: { min: 0, max: Math.max(1, ...open.map((o) => o.value)), left: 'left', bottom: 10, calculable: true, inRange: { color: ['#f2f6fb', '#9ecae1', '#3182bd', '#08306b'] } },
    series: [{ type: 'map', map: 'grids', roam: true, label: { show: false }, data: open }],
  });
  if (may('route')) {
    const [unrouted, escalated] = await Promise.all([
      api(withPurpose('/api/tasks', { unrouted: 'true', limit: '50' })),
      api(withPurpose('/api/tasks', { escalation: '1', limit: '50' })),
    ]);
    const row = (k) => `<tr><td>${prioTag(k.priority)} <a href="#/task/${k.id}">${esc(k.subject)}</a></td><td>${tags(k.reasons)}</td>
      <td><form class="reassign" data-id="${k.id}"><input name="grid" size="15" placeholder="${esc(t('grid_code'))}"> <button class="ghost">${esc(t('reassign'))}</button></form></td></tr>`;
    $('#queues').innerHTML = `<h2>${esc(t('unrouted_queue'))} (${unrouted.total})</h2><table id="unrouted">${unrouted.tasks.map(row).join('')}</table>
      <h2>${esc(t('escalated'))} (${escalated.total})</h2><table id="escalated">${escalated.tasks.map(row).join('')}</table>`;
    document.querySelectorAll('form.reassign').forEach((f) => f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try { await post(`/api/tasks/${f.dataset.id}/reassign`, { grid_code: f.grid.value.trim() || null }); await pageBoard(); } catch (e) { showError(e); }
    }));
  }
}
