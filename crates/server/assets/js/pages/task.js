// One grid task: its card, the person, the outcome, its history, photos and check-ins.

import { t, tf, esc, main, api, withPurpose, short } from '../core.js';
import { outcomeName, prioTag, taskCard, wireTaskCards, eventText, eventUser } from '../task-cards.js';

export async function pageTask(id) {
  const k = await api(withPurpose('/api/tasks/' + encodeURIComponent(id)));
  const p = k.person || {};
  // An isolation's dates say something only while it runs (a fever at check-in reopens the
  // task, and the server drops the end it had).
  const isolation = k.state === 'isolating' && k.isolation_until
    ? tf('isolation_from_to', { from: short(k.isolation_from).slice(0, 10), to: k.isolation_until.slice(0, 10) })
    : '';
  main().innerHTML = `<h1>${prioTag(k.priority)} ${esc(p.name || k.subject)} <span class="muted">${esc(t('state_' + k.state))}</span></h1>
    ${taskCard(k)}
    <div class="panel"><dl class="kv">
      <dt>${esc(t('id_number'))}</dt><dd>${esc(p.id_number || '')}</dd>
      <dt>${esc(t('phone'))}</dt><dd>${p.phone ? esc(p.phone) : ''}</dd>
      <dt>${esc(t('address'))}</dt><dd>${esc(p.address || '')}</dd>
      <dt>${esc(t('grid'))}</dt><dd>${esc(k.grid_name || '')} <span class="muted">${esc(k.grid_code || '')}</span></dd>
      <dt>${esc(t('outcome'))}</dt><dd>${k.outcome ? esc(outcomeName(k.outcome)) : ''}</dd>
      ${isolation ? `<dt>${esc(t('isolation_until'))}</dt><dd id="isolation">${esc(isolation)}</dd>` : ''}</dl></div>
    <div class="panel"><h2>${esc(t('history'))}</h2><div class="scroll"><table id="task-history"><tbody>
      ${k.events.map((e) => `<tr><td class="nowrap">${esc(short(e.at))}</td><td>${esc(eventUser(e.user))}</td><td>${esc(eventText(e))}</td></tr>`).join('')}
    </tbody></table></div>
    ${k.photos.length ? `<h2>${esc(t('photos'))}</h2><div id="task-photos">${k.photos.map((ph) => `<img alt="${esc(t('photo'))}" style="max-width:160px;max-height:160px;margin:4px" src="${withPurpose(`/api/tasks/${k.id}/photos/${ph.id}`)}">`).join('')}</div>` : ''}
    ${k.checkins.length ? `<h2>${esc(t('checkin'))}</h2><ul>${k.checkins.map((c) => `<li>${esc(c.day)} ${c.temperature}°C ${esc(c.symptoms)}</li>`).join('')}</ul>` : ''}</div>`;
  wireTaskCards(() => pageTask(id));
}
