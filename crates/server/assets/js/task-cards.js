// A grid task as a card (who, why, what is due, what the user may do with it) and the forms
// behind its buttons: accept, record an outcome with an optional photo, a daily check-in, and a
// call that reveals the full phone number. Shared by the task list, one task and the board.

import { t, tf, esc, api, withPurpose, post, may, tags, short, showError, subjectText, pct } from './core.js';

export const OUTCOMES = ['confirmed', 'home_isolation', 'central_isolation', 'hospital', 'unreachable', 'wrong_person', 'cleared'];
export const outcomeName = (o) => t(o === 'confirmed' ? 'confirmed_o' : o);
// A line of a task's history in the page's language: the server keeps each event's kind and a
// short machine detail (reason codes, an outcome and a note, a temperature, grids).
export function eventText(e) {
  const d = e.detail || '';
  switch (e.kind) {
    case 'created': return t('ev_created');
    case 'reasons_added': return `${t('ev_reasons_added')}: ${d.split(',').filter(Boolean).map((c) => t(c)).join('、')}`;
    case 'accepted': return t('ev_accepted');
    case 'outcome': {
      const [code, ...note] = d.split(': ');
      return `${t('ev_outcome')}: ${outcomeName(code)}${note.length ? ' · ' + note.join(': ') : ''}`;
    }
    case 'reassigned': return `${t('ev_reassigned')}: ${d.replaceAll('(unrouted)', t('unrouted_queue'))}`;
    case 'reopened': {
      const missed = d.match(/^no check-in on (\S+)/);
      return missed ? tf('ev_missed_checkin', { day: missed[1] }) : `${t('ev_fever_checkin')}: ${d}`;
    }
    case 'checked':
    case 'checkin': return `${t('ev_checked')}: ${d}`;
    case 'escalated': return t('escalated_' + d.replace(' ', '_'));
    case 'appeal': return `${t('ev_appeal')}: ${d}`;
    default: return `${e.kind} ${d}`;
  }
}

export const eventUser = (u) => (u === 'screening' ? t('ev_by_screening') : u);

export const prioTag = (p) => `<span class="tag ${p === 1 ? 'CLOSE_CONTACT' : p === 2 ? 'SECONDARY_CONTACT' : ''}">P${p}</span>`;

export function taskCard(k) {
  const p = k.person || {};
  const actions = [];
  if (may('work') && k.state === 'open') actions.push(`<button class="primary" data-accept="${k.id}">${esc(t('accept'))}</button>`);
  if (may('work') && k.state !== 'closed' && k.state !== 'isolating') actions.push(`<button class="ghost" data-record="${k.id}">${esc(t('record'))}</button>`);
  if (may('work') && k.state === 'isolating') actions.push(`<button class="ghost" data-checkin="${k.id}">${esc(t('checkin'))}</button>`);
  if (may('reveal') && p.phone) actions.push(`<button class="ghost" data-call="${esc(k.ref || k.subject)}">${esc(t('call'))}</button>`);
  return `<div class="panel task" data-task="${k.id}" data-isolation-after="${esc(k.isolation_after || '')}">
    <div>${prioTag(k.priority)} <span class="muted" title="${esc(t('score_hint'))}">${esc(pct(k.score))}</span> <a href="#/task/${k.id}"><b>${esc(p.name || subjectText(k.subject))}</b></a>
      ${p.name ? `<span class="muted">${esc(k.subject)}</span>` : ''} · <span class="state">${esc(t('state_' + k.state))}</span>
      ${k.overdue ? `<span class="tag CLOSE_CONTACT">${esc(t('overdue'))}</span>` : ''}
      ${k.escalated_to !== 'grid' ? `<span class="tag">${esc(t('escalated_' + k.escalated_to.replace(' ', '_')))}</span>` : ''}</div>
    <div class="muted">${may('route') && k.grid_name ? esc(k.grid_name) + ' · ' : ''}${esc(p.address || '')} ${p.phone ? '· ' + esc(p.phone) : ''} · ${esc(t('due'))} ${esc(short(k.due))}
      ${k.state === 'isolating' && k.isolation_until ? ` · ${esc(t('isolation_until'))} ${esc(k.isolation_until.slice(0, 10))}` : ''}</div>
    <div>${tags(k.reasons)}</div>
    <div class="row-actions">${actions.join(' ')}</div>
    <div class="form-slot"></div>
  </div>`;
}

// `reload(true)`: draw the cards again even over an open form (the form has just been sent).
export function wireTaskCards(reload) {
  const act = async (path, body) => {
    try { await post(path, body); await reload(true); } catch (e) { showError(e); }
  };
  document.querySelectorAll('[data-accept]').forEach((b) => b.addEventListener('click', () => act(`/api/tasks/${b.dataset.accept}/accept`, {})));
  document.querySelectorAll('[data-record]').forEach((b) => b.addEventListener('click', () => {
    const card = b.closest('.task');
    const slot = card.querySelector('.form-slot');
    // An isolation's end comes after the screening's moment (the server's clock for tasks):
    // offered fourteen days on, never earlier than the day after.
    const after = (card.dataset.isolationAfter || '').slice(0, 10);
    const plus = (d, n) => { const x = new Date(d + 'T00:00:00Z'); x.setUTCDate(x.getUTCDate() + n); return x.toISOString().slice(0, 10); };
    slot.innerHTML = `<form class="row outcome-form">
      <label>${esc(t('outcome'))}<select name="outcome">${OUTCOMES.map((o) => `<option value="${o}">${esc(outcomeName(o))}</option>`).join('')}</select></label>
      <label class="iso-until" hidden>${esc(t('isolation_until'))}<input name="isolation_until" type="date" ${after ? `min="${plus(after, 1)}" value="${plus(after, 14)}"` : ''}></label>
      <label>${esc(t('note'))}<input name="note" size="14"></label>
      <label>${esc(t('photo'))}<input name="photo" type="file" accept="image/jpeg,image/png,image/webp" capture="environment"></label>
      <button class="primary" type="submit">${esc(t('submit'))}</button></form>`;
    const form = slot.querySelector('form');
    const showDate = () => { form.querySelector('.iso-until').hidden = form.outcome.value !== 'home_isolation'; };
    form.outcome.addEventListener('change', showDate);
    showDate();
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const d = Object.fromEntries(new FormData(ev.target));
      const file = ev.target.photo.files[0];
      const id = b.dataset.record;
      // The outcome first: a photo is kept only with an outcome the server has accepted.
      try {
        await post(`/api/tasks/${id}/outcome`, { outcome: d.outcome, isolation_until: d.outcome === 'home_isolation' ? (d.isolation_until || null) : null, note: d.note || null });
      } catch (e) { showError(e); return; }
      if (file) {
        try {
          await api(`/api/tasks/${id}/photos`, { method: 'POST', headers: { 'Content-Type': file.type }, body: file });
        } catch (e) { await reload(true); showError(e); return; }
      }
      await reload(true);
    });
  }));
  // Calling needs the full number: fetched on the tap, and that reveal is audited.
  document.querySelectorAll('[data-call]').forEach((b) => b.addEventListener('click', async () => {
    try {
      const r = await api(withPurpose('/api/persons/' + encodeURIComponent(b.dataset.call), { reveal: 'true' }));
      if (r.person && r.person.phone) location.href = 'tel:' + r.person.phone;
    } catch (e) { showError(e); }
  }));
  document.querySelectorAll('[data-checkin]').forEach((b) => b.addEventListener('click', () => {
    const slot = b.closest('.task').querySelector('.form-slot');
    slot.innerHTML = `<form class="row checkin-form">
      <label>${esc(t('temperature'))}<input name="temperature" type="number" step="0.1" min="30" max="45" value="36.5" required style="width:80px"></label>
      <label>${esc(t('symptoms'))}<input name="symptoms" size="14"></label>
      <button class="primary" type="submit">${esc(t('submit'))}</button></form>`;
    slot.querySelector('form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const d = Object.fromEntries(new FormData(ev.target));
      act(`/api/tasks/${b.dataset.checkin}/checkins`, { temperature: Number(d.temperature), symptoms: d.symptoms || '' });
    });
  }));
}
