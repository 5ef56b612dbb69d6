// Epidemic areas and cases: lists, forms to add or change them (an area by region code or by a
// polygon drawn on the map), and what each change did to the alerts.

import { t, esc, $, main, api, withPurpose, post, disposeCharts, chart, loadGrids, short } from '../core.js';

function changedHtml(c) {
  return `<div class="ok" id="changed">${esc(t('changed'))}: ${c.alerts_before} → ${c.alerts_after} ·
    ${esc(t('new_alerts'))} <b id="new-alerts">${c.new_alerts.length}</b> · ${esc(t('alerts_cleared'))} ${c.cleared.length}
    ${c.new_alerts.length ? `<div class="muted">${c.new_alerts.slice(0, 30).map(esc).join(', ')}${c.new_alerts.length > 30 ? ' …' : ''}</div>` : ''}</div>`;
}

export async function pageAreas() {
  disposeCharts(); // it draws itself again after a save
  const [areas, cases] = await Promise.all([api('/api/areas'), api(withPurpose('/api/cases')), loadGrids()]);
  main().innerHTML = `<h1>${esc(t('areas'))}</h1><div id="result"></div>
    <div class="grid2">
      <div class="panel scroll"><h2>${esc(t('areas_list'))}</h2><table id="areas-table"><thead><tr><th>${esc(t('area_id'))}</th><th>${esc(t('area_name'))}</th><th>${esc(t('region_code'))}</th><th>${esc(t('from'))}</th><th>${esc(t('to'))}</th><th>${esc(t('risk'))}</th><th></th></tr></thead><tbody>
        ${areas.map((a) => `<tr><td>${esc(a.area_id)}</td><td>${esc(a.name || '')}</td><td>${esc(a.region_code || (a.geometry ? 'polygon' : ''))} ${esc(a.region_name || '')}</td><td>${esc(short(a.from))}</td><td>${esc(short(a.to))}</td><td>${esc(a.risk)}</td>
          <td>${a.to ? '' : `<button class="ghost" data-end="${esc(a.area_id)}">${esc(t('end_area'))}</button>`}</td></tr>`).join('')}
      </tbody></table>
      <h2>${esc(t('add_area'))}</h2>
      <form class="row" id="area-form">
        <label>${esc(t('area_id'))}<input name="area_id" required size="10"></label>
        <label>${esc(t('area_name'))}<input name="name" size="12"></label>
        <label>${esc(t('region_code'))}<input name="region_code" size="12"></label>
        <label>${esc(t('from'))}<input name="from" required placeholder="2020-01-20" size="11"></label>
        <label>${esc(t('to'))}<input name="to" size="11"></label>
        <label>${esc(t('risk'))}<select name="risk"><option>high</option><option>medium</option><option>low</option></select></label>
        <button class="primary" type="submit">${esc(t('save'))}</button>
      </form>
      <p class="muted">${esc(t('draw'))} <button class="ghost" id="clear-poly" type="button">${esc(t('clear'))}</button> <span id="poly-n">0</span></p>
      </div>
      <div class="panel"><div id="drawmap" class="chart tall"></div></div>
    </div>
    <div class="panel scroll"><h2>${esc(t('cases'))} (${cases.length})</h2>
      <form class="row" id="case-form">
        <label>${esc(t('id_number'))}<input name="subject" required size="20"></label>
        <label>${esc(t('status'))}<select name="status"><option>confirmed</option><option>suspected</option><option>asymptomatic</option><option>recovered</option><option>dead</option></select></label>
        <label>${esc(t('onset'))}<input name="onset" size="11"></label>
        <label>${esc(t('confirmed'))}<input name="confirmed" required size="11"></label>
        <label>${esc(t('isolated'))}<input name="isolated" size="11"></label>
        <button class="primary" type="submit">${esc(t('save'))}</button>
      </form>
      <table><thead><tr><th>${esc(t('subject'))}</th><th>${esc(t('id_number'))}</th><th>${esc(t('name'))}</th><th>${esc(t('status'))}</th><th>${esc(t('confirmed'))}</th><th>${esc(t('grid'))}</th></tr></thead><tbody>
        ${cases.map((c) => `<tr><td>${c.subject ? `<a href="#/trace/${encodeURIComponent(c.subject)}">${esc(c.subject)}</a>` : ''}</td><td>${esc(c.id_number)}</td><td>${esc(c.name || '')}</td><td>${esc(c.status)}</td><td>${esc(short(c.confirmed))}</td><td>${esc(c.grid_code || '')}</td></tr>`).join('')}
      </tbody></table></div>`;
  const poly = [];
  const m = chart($('#drawmap'));
  const drawPoly = () => {
    m.setOption({
      geo: { map: 'grids', roam: true, label: { show: false }, itemStyle: { areaColor: '#eef2f7', borderColor: '#9fb0c3' } },
      series: [{ type: 'lines', coordinateSystem: 'geo', polyline: true, data: poly.length > 1 ? [{ coords: [...poly, poly[0]] }] : [], lineStyle: { color: '#e4572e', width: 2 } },
        { type: 'scatter', coordinateSystem: 'geo', data: poly, symbolSize: 7, itemStyle: { color: '#e4572e' } }],
    });
    $('#poly-n').textContent = String(poly.length);
  };
  drawPoly();
  m.getZr().on('click', (ev) => {
    const p = m.convertFromPixel('geo', [ev.offsetX, ev.offsetY]);
    if (p) { poly.push(p); drawPoly(); }
  });
  $('#clear-poly').addEventListener('click', () => { poly.length = 0; drawPoly(); });
  const result = (html) => { $('#result').innerHTML = html; };
  $('#area-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const d = Object.fromEntries(new FormData(ev.target));
    const body = { area_id: d.area_id, name: d.name || null, from: d.from, to: d.to || null, risk: d.risk };
    if (d.region_code) body.region_code = d.region_code;
    else if (poly.length >= 3) body.geometry = { type: 'Polygon', coordinates: [[...poly, poly[0]]] };
    try {
      const r = await post('/api/areas', body);
      await pageAreas();
      result(changedHtml(r.changed));
    } catch (e) { result(`<div class="error" role="alert">${esc(e.message)}</div>`); }
  });
  document.querySelectorAll('button[data-end]').forEach((b) => b.addEventListener('click', async () => {
    try {
      const r = await post(`/api/areas/${encodeURIComponent(b.dataset.end)}/end`, {});
      await pageAreas();
      result(changedHtml(r.changed));
    } catch (e) { result(`<div class="error" role="alert">${esc(e.message)}</div>`); }
  }));
  $('#case-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const d = Object.fromEntries(new FormData(ev.target));
    try {
      const r = await post('/api/cases', { subject: d.subject, status: d.status, onset: d.onset || null, confirmed: d.confirmed, isolated: d.isolated || null });
      await pageAreas();
      result(changedHtml(r.changed));
    } catch (e) { result(`<div class="error" role="alert">${esc(e.message)}</div>`); }
  });
}
