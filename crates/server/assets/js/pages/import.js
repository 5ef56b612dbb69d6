// Data import: upload a drop, follow its jobs until done, download the rejected rows.

import { t, esc, $, main, api, forgetGrids, showError, num } from '../core.js';

export async function pageImport() {
  const jobs = await api('/api/imports');
  main().innerHTML = `<h1>${esc(t('import'))}</h1>
    <form class="row panel" id="upload-form">
      <label>${esc(t('upload'))}<input type="file" name="files" multiple required></label>
      <label>${esc(t('encoding'))}<select name="encoding"><option>utf-8</option><option>gb18030</option></select></label>
      <button class="primary" type="submit">${esc(t('start_import'))}</button>
    </form>
    <div id="jobs">${jobs.map(jobHtml).join('')}</div>`;
  $('#upload-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const fd = new FormData();
    for (const f of ev.target.files.files) fd.append('file', f, f.name);
    try {
      const job = await api('/api/imports?encoding=' + encodeURIComponent(ev.target.encoding.value), { method: 'POST', body: fd });
      watch(job.id);
    } catch (e) { showError(e); }
  });
  jobs.filter((j) => j.state === 'running').forEach((j) => watch(j.id));
}

function jobHtml(j) {
  const s = j.summary;
  return `<div class="panel" data-job="${esc(j.id)}" style="margin-top:10px">
    <b translate="no">${esc(j.id)}</b> · <span translate="no">${esc(j.started_by)}</span> · <span class="state">${esc(j.state === 'running' ? t('importing') : t(j.state))}</span>
    ${j.state === 'running' ? `<div>${esc(t('rows_read'))}: ${num(j.rows_read)} <span translate="no">${esc(j.current_file || '')}</span></div><progress></progress>` : ''}
    ${j.error ? `<div class="error">${esc(j.error)}</div>` : ''}
    ${s ? `<table class="summary"><thead><tr><th>${esc(t('file'))}</th><th>${esc(t('accepted'))}</th><th>${esc(t('rejected'))}</th><th>${esc(t('duplicates'))}</th></tr></thead><tbody>
      ${s.files.map((f) => `<tr><td translate="no">${esc(f.file)}</td><td class="num">${num(f.accepted)}</td><td class="num">${num(f.rejected)}</td><td class="num">${num(f.duplicates)}</td></tr>`).join('')}
      <tr><th>Σ</th><th class="num">${num(s.accepted)}</th><th class="num">${num(s.rejected)}</th><th class="num">${num(s.duplicates)}</th></tr></tbody></table>` : ''}
    ${j.has_rejects ? `<a href="/api/imports/${encodeURIComponent(j.id)}/rejects.csv">${esc(t('download_rejects'))}</a>` : ''}
  </div>`;
}

async function watch(id) {
  for (;;) {
    let job;
    try { job = await api('/api/imports/' + encodeURIComponent(id)); } catch (_) { return; }
    const el = document.querySelector(`[data-job="${CSS.escape(id)}"]`);
    if (!location.hash.startsWith('#/import')) return;
    if (el) el.outerHTML = jobHtml(job); else $('#jobs').insertAdjacentHTML('afterbegin', jobHtml(job));
    if (job.state !== 'running') { forgetGrids(); return; }
    await new Promise((r) => setTimeout(r, 700));
  }
}
