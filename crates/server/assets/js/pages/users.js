// The users page (admin): users, roles, grids and gates, tokens, disabling a user. A table of
// the staff's accounts, filtered by a search, role and state, paged; a dialog adds or edits a
// user (grids and gates chosen from the city's lists, by code or name), resets a password, and
// lists, issues and revokes a user's machine tokens (a new token is shown once, with a copy
// button). Every change is the server's to check and audit; an error is shown in the dialog.

import { t, tf, esc, $, main, api, post, me, num, short, pagerHtml, wirePager } from '../core.js';

const PAGE = 50;
const MIN_PASSWORD = 8;
const roleName = (r) => t(`role_${r}`);

// The page's filters, kept while the admin works through the list.
const view = { q: '', role: '', state: '', offset: 0 };


export async function pageUsers() {
  const [users, choices] = await Promise.all([api('/api/users'), api('/api/users/choices')]);
  const gridName = new Map(choices.grids.map((g) => [g.id, g.name]));
  const gateName = new Map(choices.gates.map((g) => [g.id, g.name]));
  const named = (map, code) => (map.get(code) ? `${map.get(code)} ${code}` : code);

  main().innerHTML = `<div class="users-page">
    <div class="head"><h1>${esc(t('users'))}</h1><button class="primary" id="user-add" type="button">${esc(t('users_add'))}</button></div>
    <div class="filters">
      <label>${esc(t('search'))}<input id="user-q" type="search" placeholder="${esc(t('users_search'))}" value="${esc(view.q)}"></label>
      <label>${esc(t('users_role'))}<select id="user-role"><option value="">${esc(t('users_all_roles'))}</option>
        ${[...choices.roles, 'resident'].map((r) => `<option value="${r}" ${view.role === r ? 'selected' : ''}>${esc(roleName(r))}</option>`).join('')}</select></label>
      <label>${esc(t('users_state'))}<select id="user-state"><option value="">${esc(t('users_all_states'))}</option>
        <option value="active" ${view.state === 'active' ? 'selected' : ''}>${esc(t('users_active'))}</option>
        <option value="disabled" ${view.state === 'disabled' ? 'selected' : ''}>${esc(t('users_disabled'))}</option></select></label>
    </div>
    <div id="user-msg"></div><div id="user-list"></div></div>`;

  const matches = (u) => {
    if (view.role ? u.role !== view.role : u.role === 'resident') return false;
    if (view.state === 'active' && u.disabled) return false;
    if (view.state === 'disabled' && !u.disabled) return false;
    const q = view.q.trim().toLowerCase();
    if (!q) return true;
    const words = [u.username, roleName(u.role), ...u.grids.map((g) => named(gridName, g)), ...u.gates.map((g) => named(gateName, g))];
    return words.some((w) => String(w).toLowerCase().includes(q));
  };

  const tagsOf = (list, map) => (list.length
    ? list.map((c) => `<span class="tag" title="${esc(c)}">${esc(map.get(c) || c)}</span>`).join('')
    : `<span class="muted">${esc(t('users_none_assigned'))}</span>`);

  const draw = () => {
    const shown = users.filter(matches);
    const offset = Math.min(view.offset, Math.max(0, shown.length - 1 - ((shown.length - 1) % PAGE)));
    const page = shown.slice(offset, offset + PAGE);
    $('#user-list').innerHTML = `<p class="muted">${esc(tf('users_count', { n: num(shown.length) }))}</p>
      ${shown.length ? `<div class="scroll"><table id="users-table"><thead><tr>
        <th>${esc(t('users_username'))}</th><th>${esc(t('users_role'))}</th><th>${esc(t('users_grids'))}</th><th>${esc(t('users_gates'))}</th>
        <th>${esc(t('users_state'))}</th><th class="num">${esc(t('users_tokens'))}</th><th>${esc(t('users_created'))}</th><th></th></tr></thead><tbody>
        ${page.map((u) => `<tr data-id="${u.id}" class="${u.disabled ? 'off' : ''}">
          <td class="name">${esc(u.username)}${me && me.user_id === u.id ? esc(t('users_you')) : ''}</td>
          <td data-l="${esc(t('users_role'))}">${esc(roleName(u.role))}</td>
          <td data-l="${esc(t('users_grids'))}">${tagsOf(u.grids, gridName)}</td>
          <td data-l="${esc(t('users_gates'))}">${tagsOf(u.gates, gateName)}</td>
          <td data-l="${esc(t('users_state'))}">${u.disabled ? `<span class="state-off">${esc(t('users_disabled'))}</span>` : esc(t('users_active'))}</td>
          <td class="num" data-l="${esc(t('users_tokens'))}">${num(u.tokens)}</td>
          <td class="nowrap" data-l="${esc(t('users_created'))}">${esc(short(u.created))}</td>
          <td class="actions">${u.role === 'resident' ? '' : `<button class="ghost" data-act="edit" type="button">${esc(t('users_change'))}</button>
            <button class="ghost" data-act="tokens" type="button">${esc(t('users_tokens'))}</button>
            ${me && me.user_id === u.id ? '' : `<button class="ghost" data-act="${u.disabled ? 'enable' : 'disable'}" type="button">${esc(t(u.disabled ? 'users_enable' : 'users_disable'))}</button>`}`}</td>
        </tr>`).join('')}</tbody></table></div>${pagerHtml('users-pager', offset, PAGE, shown.length)}`
        : `<p class="muted">${esc(t('users_none'))}</p>`}
      ${view.role === '' ? `<p class="muted note">${esc(t('users_residents_note'))}</p>` : ''}`;
    wirePager('users-pager', offset, PAGE, shown.length, (o) => { view.offset = o; draw(); });
    document.querySelectorAll('#users-table tr[data-id] button').forEach((b) => b.addEventListener('click', () => {
      const u = users.find((x) => x.id === Number(b.closest('tr').dataset.id));
      ({ edit: () => editUser(u), tokens: () => tokenDialog(u), disable: () => setDisabled(u, true), enable: () => setDisabled(u, false) })[b.dataset.act]();
    }));
  };

  const said = (html) => { $('#user-msg').innerHTML = html; };
  const reload = async (message) => {
    const fresh = await api('/api/users');
    users.splice(0, users.length, ...fresh);
    draw();
    if (message) said(`<div class="ok" role="status">${esc(message)}</div>`);
  };

  const setDisabled = async (u, disabled) => {
    if (disabled && !window.confirm(tf('users_disable_confirm', { username: u.username }))) return;
    try {
      await post(`/api/users/${u.id}/disable`, { disabled });
      await reload(tf(disabled ? 'users_disabled_done' : 'users_enabled_done', { username: u.username }));
    } catch (e) { said(errorHtml(e)); }
  };

  // A list of grids or gates to tick, filtered by code or name as the admin types; those the
  // user has come first.
  const picker = (id, all, picked) => {
    // A region the user has that the list does not hold (a community a cadre looks after) is
    // kept in it, ticked, so that saving another change does not drop it.
    const known = new Set(all.map((c) => c.id));
    const extra = picked.filter((p) => !known.has(p)).map((p) => ({ id: p, name: p }));
    const items = [...extra, ...all.filter((c) => picked.includes(c.id)), ...all.filter((c) => !picked.includes(c.id))];
    return `<div class="picker" id="${id}">
      <input type="search" placeholder="${esc(t('users_pick_search'))}"><span class="count"></span>
      <div class="list">${items.length ? items.map((c) => `<label data-s="${esc(`${c.id} ${c.name || ''}`.toLowerCase())}">
        <input type="checkbox" value="${esc(c.id)}" ${picked.includes(c.id) ? 'checked' : ''}>${esc(c.name || c.id)} <span class="code">${esc(c.id)}</span></label>`).join('')
        : `<span class="muted">${esc(t('users_no_choices'))}</span>`}</div></div>`;
  };
  const wirePicker = (root) => {
    const count = () => { $('.count', root).textContent = tf('users_picked', { n: root.querySelectorAll('.list input:checked').length }); };
    $('input[type=search]', root).addEventListener('input', (ev) => {
      const q = ev.target.value.trim().toLowerCase();
      root.querySelectorAll('.list label').forEach((l) => { l.hidden = q && !l.dataset.s.includes(q); });
    });
    root.addEventListener('change', count);
    count();
  };
  const pickedOf = (root) => [...root.querySelectorAll('.list input:checked')].map((i) => i.value);

  const dialog = (html) => {
    const dlg = document.createElement('dialog');
    dlg.className = 'users-dialog';
    dlg.innerHTML = html;
    document.body.append(dlg);
    dlg.addEventListener('close', () => dlg.remove());
    dlg.showModal();
    return dlg;
  };

  // Adding (u absent) or editing a user: role, grids and gates; a new user's name and password;
  // an existing user's password reset.
  const editUser = (u) => {
    const adding = !u;
    const cur = u || { username: '', role: 'analyst', grids: [], gates: [] };
    const self = !adding && me && me.user_id === cur.id;
    const dlg = dialog(`<form method="dialog" id="user-form">
      <h2>${esc(adding ? t('users_add') : `${t('users_edit')}：${cur.username}`)}</h2>
      <div class="fields">
        ${adding ? `<label>${esc(t('users_username'))}<input name="username" required maxlength="32" autocomplete="off"></label>
          <label>${esc(t('users_password'))}<input name="password" type="password" required minlength="${MIN_PASSWORD}" autocomplete="new-password" placeholder="${esc(tf('users_password_hint', { min: MIN_PASSWORD }))}"></label>` : ''}
        <label>${esc(t('users_role'))}<select name="role" ${self ? 'disabled' : ''}>${choices.roles.map((r) => `<option value="${r}" ${cur.role === r ? 'selected' : ''}>${esc(roleName(r))}</option>`).join('')}</select></label>
      </div>
      <div class="picker-block" id="grids-block"><h2>${esc(t('users_grids'))}</h2>${picker('pick-grids', choices.grids, cur.grids)}</div>
      <div class="picker-block" id="gates-block"><h2>${esc(t('users_gates'))}</h2>${picker('pick-gates', choices.gates, cur.gates)}</div>
      <div id="user-form-msg"></div>
      <div class="row-actions"><button class="primary" type="submit">${esc(t('users_save'))}</button><button class="ghost" type="button" data-close>${esc(t('users_cancel'))}</button></div>
      </form>
      ${adding ? '' : `<form class="body" id="password-form"><h2>${esc(t('users_set_password'))}</h2>
        <div class="fields"><label>${esc(t('users_new_password'))}<input name="password" type="password" required minlength="${MIN_PASSWORD}" autocomplete="new-password" placeholder="${esc(tf('users_password_hint', { min: MIN_PASSWORD }))}"></label></div>
        <div id="password-msg"></div><div class="row-actions"><button class="ghost" type="submit">${esc(t('users_set_password'))}</button></div></form>`}`);
    const grids = $('#pick-grids', dlg);
    const gates = $('#pick-gates', dlg);
    wirePicker(grids);
    wirePicker(gates);
    // Grids matter to a grid worker, gates to a gate guard: the other list is not shown, and
    // not sent.
    const role = $('select[name=role]', dlg);
    const dim = () => {
      $('#grids-block', dlg).hidden = role.value !== 'grid_worker';
      $('#gates-block', dlg).hidden = role.value !== 'gate_guard';
    };
    role.addEventListener('change', dim);
    dim();
    $('[data-close]', dlg).addEventListener('click', () => dlg.close());
    $('#user-form', dlg).addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const f = new FormData(ev.target);
      const body = {
        role: role.value,
        grids: role.value === 'grid_worker' ? pickedOf(grids) : [],
        gates: role.value === 'gate_guard' ? pickedOf(gates) : [],
      };
      try {
        if (adding) {
          const r = await post('/api/users', { ...body, username: f.get('username').trim(), password: f.get('password') });
          dlg.close();
          await reload(tf('users_added', { username: r.username }));
        } else {
          await post(`/api/users/${cur.id}`, body);
          dlg.close();
          await reload(tf('users_saved', { username: cur.username }));
        }
      } catch (e) { $('#user-form-msg', dlg).innerHTML = errorHtml(e); }
    });
    const pw = $('#password-form', dlg);
    if (pw) {
      pw.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        try {
          await post(`/api/users/${cur.id}/password`, { password: new FormData(pw).get('password') });
          pw.reset();
          $('#password-msg', dlg).innerHTML = `<div class="ok" role="status">${esc(tf('users_password_set', { username: cur.username }))}</div>`;
        } catch (e) { $('#password-msg', dlg).innerHTML = errorHtml(e); }
      });
    }
  };

  // A user's tokens: the list (never the token itself), issuing one (shown once), revoking one.
  const tokenDialog = async (u) => {
    const dlg = dialog(`<div class="body"><h2>${esc(tf('users_tokens_of', { username: u.username }))}</h2>
      <div id="token-list"><p class="muted">${esc(t('loading'))}</p></div><div id="token-msg"></div>
      <form class="row" id="token-form"><label style="flex:1 1 16em">${esc(t('users_token_name'))}<input name="name" required maxlength="64"></label>
        <button class="primary" type="submit">${esc(t('users_token_issue'))}</button></form>
      <div class="row-actions"><button class="ghost" type="button" data-close>${esc(t('users_close'))}</button></div></div>`);
    $('[data-close]', dlg).addEventListener('click', () => dlg.close());
    const msg = (html) => { $('#token-msg', dlg).innerHTML = html; };
    const list = async () => {
      const tokens = await api(`/api/users/${u.id}/tokens`);
      $('#token-list', dlg).innerHTML = tokens.length ? `<table><thead><tr><th>${esc(t('users_token_name').split(/[（(]/)[0])}</th><th>${esc(t('users_token_id'))}</th><th>${esc(t('users_created'))}</th><th></th></tr></thead><tbody>
        ${tokens.map((k) => `<tr><td>${esc(k.name)}</td><td class="mono">${esc(k.id)}</td><td class="nowrap">${esc(short(k.created))}</td>
          <td class="actions"><button class="ghost" type="button" data-revoke="${esc(k.id)}" data-name="${esc(k.name)}">${esc(t('users_token_revoke'))}</button></td></tr>`).join('')}</tbody></table>`
        : `<p class="muted">${esc(t('users_no_tokens'))}</p>`;
      dlg.querySelectorAll('[data-revoke]').forEach((b) => b.addEventListener('click', async () => {
        if (!window.confirm(tf('users_token_revoke_confirm', { name: b.dataset.name }))) return;
        try {
          await post(`/api/users/${u.id}/tokens/revoke`, { token_id: b.dataset.revoke });
          msg(`<div class="ok" role="status">${esc(t('users_token_revoked'))}</div>`);
          await list();
          await reload();
        } catch (e) { msg(errorHtml(e)); }
      }));
    };
    $('#token-form', dlg).addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        const r = await post(`/api/users/${u.id}/tokens`, { name: new FormData(ev.target).get('name') });
        ev.target.reset();
        msg(`<div class="token-once" role="status">${esc(t('users_token_once'))}<code id="token-value">${esc(r.token)}</code>
          <button class="ghost" type="button" id="token-copy">${esc(t('users_token_copy'))}</button></div>`);
        $('#token-copy', dlg).addEventListener('click', async (e) => {
          try { await navigator.clipboard.writeText(r.token); } catch (_) {
            const range = document.createRange();
            range.selectNodeContents($('#token-value', dlg));
            getSelection().removeAllRanges();
            getSelection().addRange(range);
            document.execCommand('copy');
          }
          e.target.textContent = t('users_token_copied');
        });
        await list();
        await reload();
      } catch (e) { msg(errorHtml(e)); }
    });
    try { await list(); } catch (e) { msg(errorHtml(e)); }
  };

  $('#user-add').addEventListener('click', () => editUser(null));
  $('#user-q').addEventListener('input', (ev) => { view.q = ev.target.value; view.offset = 0; draw(); });
  $('#user-role').addEventListener('change', (ev) => { view.role = ev.target.value; view.offset = 0; draw(); });
  $('#user-state').addEventListener('change', (ev) => { view.state = ev.target.value; view.offset = 0; draw(); });
  draw();
}

// An error in the page's language, the server's English in its title (for support).
function errorHtml(e) {
  const title = e.english && e.english !== e.message ? ` title="${esc(e.english)}"` : '';
  return `<div class="error" role="alert"${title}>${esc(e.message)}</div>`;
}
