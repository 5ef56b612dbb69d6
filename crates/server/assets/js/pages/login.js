// The login page: a user name and password form that opens the page for the role.

import { t, esc, $, main, me, setMe, post, drawShell } from '../core.js';

export async function pageLogin() {
  setMe(null);
  drawShell();
  main().innerHTML = `<form class="login" id="login-form">
    <h1>tracegrid</h1>
    <label>${esc(t('username'))}<input name="username" autocomplete="username" required></label>
    <label>${esc(t('password'))}<input name="password" type="password" autocomplete="current-password" required></label>
    <button class="primary" type="submit">${esc(t('login'))}</button>
    <div id="login-error"></div></form>`;
  $('#login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    try {
      const r = await post('/api/session', { username: f.get('username'), password: f.get('password') });
      setMe(r.user);
      location.hash = { gate_guard: '#/gate', grid_worker: '#/tasks' }[me.role] || '#/overview';
    } catch (e) {
      // A wrong name or password is said as such; anything else in the catalogue's words (the
      // server's English kept in the title, for support).
      const english = e.english && e.status !== 401 ? ` title="${esc(e.english)}"` : '';
      $('#login-error').innerHTML = `<div class="error" role="alert"${english}>${esc(e.status === 401 ? t('bad_login') : e.message)}</div>`;
    }
  });
}
