// Today's tasks of a grid worker: the task cards, kept up to date by the server's event stream.

import { t, esc, $, main, api, withPurpose, follow } from '../core.js';
import { taskCard, wireTaskCards } from '../task-cards.js';

export async function pageTasks() {
  // A live update does not draw over a form being filled in, even one opened while the list
  // was being fetched; the list is drawn again once the form is sent.
  const load = async (force) => {
    const r = await api(withPurpose('/api/tasks', { limit: '200' }));
    if (!force && document.querySelector('.form-slot form')) return;
    main().innerHTML = `<h1>${esc(t('tasks'))} <span class="muted" id="task-total">${r.total}</span></h1>
      <div id="live-note"></div>
      <div id="task-list">${r.tasks.length ? r.tasks.map(taskCard).join('') : `<p class="muted">${esc(t('none_left'))}</p>`}</div>`;
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
