// A grid worker's tasks: the task cards, most urgent first, a page at a time and by state, kept
// up to date by the server's event stream.

import { t, esc, $, main, api, withPurpose, follow, hashParams, num, pagerHtml, wirePager } from '../core.js';
import { taskCard, wireTaskCards } from '../task-cards.js';

const STATES = ['active', 'open', 'accepted', 'isolating', 'closed', 'all'];
const LIMIT = 50;

export async function pageTasks() {
  const f = { state: 'active', offset: '0', ...hashParams() };
  const offset = Math.max(0, Number(f.offset) || 0);
  const go = (changes) => {
    const next = { ...f, ...changes };
    location.hash = '#/tasks?' + new URLSearchParams(next).toString();
  };
  // A live update does not draw over a form being filled in, even one opened while the list
  // was being fetched; the list is drawn again once the form is sent.
  const load = async (force) => {
    const r = await api(withPurpose('/api/tasks', { state: f.state, offset: String(offset), limit: String(LIMIT), ...(f.grid ? { grid: f.grid } : {}) }));
    if (!force && document.querySelector('.form-slot form')) return;
    main().innerHTML = `<h1>${esc(t('tasks'))}${f.grid ? ` · ${esc((r.tasks[0] && r.tasks[0].grid_name) || f.grid)}` : ''} <span class="muted" id="task-total" data-n="${r.total}">${num(r.total)}</span></h1>
      <form class="filters" id="task-filter"><label>${esc(t('task_state_filter'))}<select name="state">
        ${STATES.map((s) => `<option value="${s}" ${f.state === s ? 'selected' : ''}>${esc(t('state_' + s))}</option>`).join('')}</select></label></form>
      <div id="live-note"></div>
      <div id="task-list">${r.tasks.length ? r.tasks.map(taskCard).join('') : `<p class="muted">${esc(t('none_left'))}</p>`}</div>
      ${pagerHtml('task-pager', offset, LIMIT, r.total)}`;
    $('#task-filter select').addEventListener('change', (ev) => go({ state: ev.target.value, offset: '0' }));
    wirePager('task-pager', offset, LIMIT, r.total, (o) => go({ offset: String(o) }));
    wireTaskCards(load);
  };
  await load();
  // New alerts, outcomes elsewhere, escalations: the list follows without a reload.
  const events = follow(new EventSource('/api/events'));
  let pending = null;
  events.addEventListener('tasks', () => {
    clearTimeout(pending);
    pending = setTimeout(async () => {
      if (!location.hash.startsWith('#/tasks')) return; // the user has moved on
      await load().catch(() => {});
      if ($('#live-note')) $('#live-note').innerHTML = `<div class="ok" id="tasks-updated">${esc(t('new_tasks'))}</div>`;
    }, 150);
  });
  events.addEventListener('resync', () => load().catch(() => {}));
}
