// The readable API reference (api.html at /api/docs): drawn from /api/openapi.json.

import { t, lang, esc, main } from '../core.js';

export async function apiDocs() {
  const doc = await (await fetch('/api/openapi.json')).json();
  const rows = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const params = (op.parameters || []).map((p) => `<code>${esc(p.name)}</code> (${esc(p.in)}${p.required ? ', ' + esc(t('api_required')) : ''}) ${esc(p.description || '')}`).join('<br>');
      const responses = Object.entries(op.responses || {}).map(([code, r]) => `${esc(code)} ${esc(r.description || '')}`).join(', ');
      rows.push(`<tr><td><b>${esc(method.toUpperCase())}</b></td><td><code>${esc(path)}</code><div class="muted">${esc((op.tags || []).join(', '))}</div></td>
        <td>${esc(op.summary || '')}<div class="muted">${esc(op.description || '')}</div>${params ? '<div>' + params + '</div>' : ''}</td><td>${responses}</td></tr>`);
    }
  }
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = t('api_title');
  // The operations are described in English, as the OpenAPI document has them: they are for the
  // programmers who connect a city's systems.
  main().innerHTML = `<h1>${esc(t('api_title'))} <span class="muted">${esc(doc.info.version)}</span></h1>
    <p>${esc(t('api_intro'))}</p>
    <p><a href="/api/openapi.json">openapi.json</a> · <a href="/">${esc(t('api_back'))}</a></p>
    <div class="scroll"><table><thead><tr><th>${esc(t('api_method'))}</th><th>${esc(t('api_path'))}</th><th>${esc(t('api_what'))}</th><th>${esc(t('api_responses'))}</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}
