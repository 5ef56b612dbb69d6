// The readable API reference (api.html at /api/docs): drawn from /api/openapi.json.

import { esc, main } from '../core.js';

export async function apiDocs() {
  const doc = await (await fetch('/api/openapi.json')).json();
  const rows = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const params = (op.parameters || []).map((p) => `<code>${esc(p.name)}</code> (${esc(p.in)}${p.required ? ', required' : ''}) ${esc(p.description || '')}`).join('<br>');
      const responses = Object.entries(op.responses || {}).map(([code, r]) => `${esc(code)} ${esc(r.description || '')}`).join(', ');
      rows.push(`<tr><td><b>${esc(method.toUpperCase())}</b></td><td><code>${esc(path)}</code><div class="muted">${esc((op.tags || []).join(', '))}</div></td>
        <td>${esc(op.summary || '')}<div class="muted">${esc(op.description || '')}</div>${params ? '<div>' + params + '</div>' : ''}</td><td>${responses}</td></tr>`);
    }
  }
  main().innerHTML = `<h1>${esc(doc.info.title)} ${esc(doc.info.version)}</h1><p>${esc(doc.info.description || '')}</p>
    <p><a href="/api/openapi.json">openapi.json</a> · <a href="/">command centre</a></p>
    <div class="scroll"><table><thead><tr><th>method</th><th>path</th><th>what</th><th>responses</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}
