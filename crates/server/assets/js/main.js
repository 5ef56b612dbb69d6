// tracegrid command centre, the entry module. Every page is drawn from the JSON API; the server
// decides what each role may see, the pages only leave out what the role cannot use. No build
// step: index.html and api.html load this file as an ES module, and it routes `#/page/arg` to
// one module of pages/ each.

import { lang, setLang, t, esc, $, main, me, setMe, api, disposeCharts, showError, drawShell, stopFollowing, navigate, Stale, askPurpose } from './core.js';
import { pageLogin } from './pages/login.js';
import { pageOverview } from './pages/overview.js';
import { pageAlerts } from './pages/alerts.js';
import { pageAlert } from './pages/alert.js';
import { pageTrace } from './pages/trace.js';
import { pageAreas } from './pages/areas.js';
import { pageImport } from './pages/import.js';
import { pageFeeds } from './pages/feeds.js';
import { pageAudit } from './pages/audit.js';
import { pageUsers } from './pages/users.js';
import { pageGate } from './pages/gate.js';
import { pageTasks } from './pages/tasks.js';
import { pageTask } from './pages/task.js';
import { pageResidents } from './pages/residents.js';
import { pageBoard } from './pages/board.js';
import { pageFound } from './pages/found.js';
import { apiDocs } from './pages/api-docs.js';

async function route() {
  navigate();
  disposeCharts();
  stopFollowing();
  if (!me && location.hash !== '#/login') {
    try { setMe(await api('/api/me')); } catch (_) { setMe(null); }
    if (!me) { location.hash = '#/login'; return; }
  }
  drawShell();
  const [, page, ...rest] = location.hash.split('?')[0].split('/');
  const arg = rest.length ? decodeURIComponent(rest.join('/')) : '';
  const pages = { login: pageLogin, overview: pageOverview, alerts: pageAlerts, alert: pageAlert, trace: pageTrace, areas: pageAreas, import: pageImport, feeds: pageFeeds, audit: pageAudit, users: pageUsers, tasks: pageTasks, task: pageTask, board: pageBoard, residents: pageResidents, found: pageFound };
  const home = { gate_guard: pageGate, grid_worker: pageTasks };
  const fn = pages[page] || (me && home[me.role]) || pageOverview;
  main().innerHTML = `<p class="muted">${esc(t('loading'))}</p>`;
  // `data-ready` says the page has drawn what it fetched: the browser tests wait for it.
  delete main().dataset.ready;
  main().dataset.page = page || '';
  try {
    await fn(arg);
    main().dataset.ready = '1';
  } catch (e) {
    // A stale page's answer is dropped: the page the user went to since draws itself.
    if (e instanceof Stale) return;
    if (e.status !== 401) { main().innerHTML = ''; showError(e); }
  }
}

document.addEventListener('DOMContentLoaded', () => {
  if (document.body.dataset.page === 'api-docs') { apiDocs(); return; }
  $('#lang').addEventListener('click', () => {
    setLang(lang === 'zh' ? 'en' : 'zh');
    localStorage.setItem('tg.lang', lang);
    $('#purpose').value = '';
    route();
  });
  $('#purpose').addEventListener('change', () => localStorage.setItem('tg.purpose', $('#purpose').value));
  $('#purpose-chip').addEventListener('click', () => askPurpose().then(() => route()).catch(() => {}));
  $('#logout').addEventListener('click', async () => {
    try { await api('/api/session', { method: 'DELETE' }); } catch (_) { /* logged out either way */ }
    setMe(null);
    location.hash = '#/login';
  });
  window.addEventListener('hashchange', route);
  route();
});
