// Epidemic areas and cases: every saved area on the map (a drawn polygon as itself, an area by
// region as its region's shapes; ended ones faded), both lists in pages of 50, and the forms to
// add or change them. A click on an area, on the map or in its list, or on a case fills its form
// for a change; what each change did to the alerts is shown at once.

import { t, tf, esc, $, main, api, withPurpose, post, disposeCharts, chart, loadGrids, short, num, pagerHtml, wirePager } from '../core.js';

const PAGE = 50;
const RISKS = ['high', 'medium', 'low'];
// The statuses of the contract's cases file (CONTRACT.md section 1).
const STATUSES = ['confirmed', 'suspected', 'asymptomatic', 'recovered', 'excluded'];
const RISK_COLOR = { high: [198, 40, 40], medium: [230, 124, 23], low: [196, 160, 0] };
const DRAW_COLOR = '#1f6fbf';

// Where the user is in the lists, kept while the page draws itself again after a save.
const view = { areaOffset: 0, caseOffset: 0, q: '', status: '' };

const rgba = ([r, g, b], a) => `rgba(${r},${g},${b},${a})`;
// A time as the server prints it ("2020-01-23T14:05:00+08:00", in the server's zone) as a date
// picker and a date-time picker hold it; and back as the contract reads it.
const dateOf = (ts) => (ts ? ts.slice(0, 10) : '');
const minuteOf = (ts) => (ts ? ts.slice(0, 16) : '');
const sent = (v) => (v ? v.replace('T', ' ') : null);

function changedHtml(c) {
  return `<div class="ok" id="changed">${esc(t('changed'))}: ${num(c.alerts_before)} → ${num(c.alerts_after)} ·
    ${esc(t('new_alerts'))} <b id="new-alerts">${num(c.new_alerts.length)}</b> · ${esc(t('alerts_cleared'))} ${num(c.cleared.length)}
    ${c.new_alerts.length ? `<div class="muted">${c.new_alerts.slice(0, 30).map(esc).join(', ')}${c.new_alerts.length > 30 ? ' …' : ''}</div>` : ''}</div>`;
}

// A form's control by name (`form.name` is the form's own name, not its input).
const field = (form, n) => form.elements.namedItem(n);
const failed = (text) => `<div class="error" role="alert">${esc(text)}</div>`;

// The outer rings of an area's shape: its own polygon, or its region's feature, else the union
// of the grids under the region's code. A feature's code is properties.code, or properties.name
// where the map has only grids.
function ringsOf(area, features) {
  const outer = (g) => (g.type === 'Polygon' ? [g.coordinates[0]] : g.type === 'MultiPolygon' ? g.coordinates.map((p) => p[0]) : []);
  if (area.geometry) return outer(area.geometry);
  const rc = area.region_code;
  if (!rc) return [];
  const code = (f) => String(f.properties.code ?? f.properties.name ?? '');
  const exact = features.filter((f) => code(f) === rc);
  let shapes = exact;
  if (!exact.length) {
    const under = features.filter((f) => code(f).startsWith(rc));
    const grids = under.filter((f) => !f.properties.level || f.properties.level === 'grid');
    shapes = grids.length ? grids : under;
  }
  return shapes.flatMap((f) => (f.geometry ? outer(f.geometry) : []));
}

function centre(rings) {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  rings.forEach((r) => r.forEach(([x, y]) => { x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y); }));
  return [(x0 + x1) / 2, (y0 + y1) / 2];
}


// `focus`: an area to open in the form (`#/areas/KC-1`, and the area just saved).
export async function pageAreas(focus = '') {
  disposeCharts(); // it draws itself again after a save
  const [areas, cases, geo, asOf] = await Promise.all([
    api('/api/areas'), api(withPurpose('/api/cases')), loadGrids(),
    api('/api/overview').then((o) => o.as_of, () => null),
  ]);
  const features = (geo && geo.features) || [];
  const ended = (a) => !!a.to && (!asOf || Date.parse(a.to) <= Date.parse(asOf));
  // Active areas first, the latest begun first.
  areas.sort((a, b) => (ended(a) - ended(b)) || (Date.parse(b.from) - Date.parse(a.from)));
  const shapes = areas.map((a) => ringsOf(a, features));
  const active = areas.filter((a) => !ended(a)).length;

  main().innerHTML = `<div id="areas-page">
    <h1>${esc(t('areas'))} ${asOf ? `<span class="muted" style="font-size:13px;font-weight:400">${esc(t('as_of_label'))} ${esc(short(asOf))}</span>` : ''}</h1>
    <div class="grid2">
      <div class="panel"><div id="drawmap" class="chart tall"></div>
        <div class="legend">${RISKS.map((r) => `<span><i class="swatch" style="background:${rgba(RISK_COLOR[r], 0.6)}"></i>${esc(t(`risk_${r}`))}</span>`).join('')}
          <span><i class="swatch" style="background:${rgba(RISK_COLOR.high, 0.12)};border:1px dashed #9aa6b2"></i>${esc(t('area_ended'))}</span>
          <span><i class="swatch" style="background:#fff;border:2px solid ${DRAW_COLOR}"></i>${esc(t('drawing'))}</span></div>
      </div>
      <div class="panel">
        <h2 id="area-form-title"></h2>
        <form class="row" id="area-form" novalidate>
          <label class="narrow">${esc(t('area_id'))}<input name="area_id" required autocomplete="off"></label>
          <label>${esc(t('area_name'))}<input name="name" autocomplete="off"></label>
          <label>${esc(t('region_code'))}<input name="region_code" inputmode="numeric" autocomplete="off"></label>
          <label class="narrow">${esc(t('risk'))}<select name="risk">${RISKS.map((r) => `<option value="${r}">${esc(t(`risk_${r}`))}</option>`).join('')}</select></label>
          <label>${esc(t('area_from'))}<input name="from" type="date" required></label>
          <label>${esc(t('area_to'))}<input name="to" type="date"></label>
          <div class="actions">
            <button class="ghost" id="draw-toggle" type="button"></button>
            <button class="ghost" id="draw-undo" type="button">${esc(t('draw_undo'))}</button>
            <button class="ghost" id="clear-poly" type="button">${esc(t('clear'))}</button>
            <span class="muted" id="poly-n"></span>
          </div>
          <p class="muted" id="area-hint" style="margin:0;flex-basis:100%"></p>
          <div class="actions">
            <button class="primary" type="submit">${esc(t('save'))}</button>
            <button class="ghost" id="area-new" type="button">${esc(t('form_blank'))}</button>
          </div>
        </form>
        <div id="area-result"></div>
        <p class="muted" style="font-size:12px">${esc(t('pick_hint'))}</p>
      </div>
    </div>
    <div class="panel" style="margin-top:12px"><h2>${esc(t('areas_list'))} <span class="muted note">${esc(tf('areas_count', { n: num(areas.length), active: num(active) }))}</span></h2>
      <div class="scroll"><table id="areas-table" class="stack"><thead><tr><th>${esc(t('area_id'))}</th><th>${esc(t('area_name'))}</th><th>${esc(t('area_where'))}</th>
        <th>${esc(t('from'))}</th><th>${esc(t('to'))}</th><th>${esc(t('risk'))}</th><th>${esc(t('status'))}</th><th></th></tr></thead><tbody id="areas-body"></tbody></table></div>
      <div id="areas-pager-slot"></div>
    </div>
    <div class="panel" style="margin-top:12px"><h2>${esc(t('cases'))} <span class="muted note">${esc(tf('cases_count', { n: num(cases.length) }))}</span></h2>
      <h2 id="case-form-title" style="font-size:14px"></h2>
      <form class="row" id="case-form" novalidate>
        <label>${esc(t('subject_or_person'))}<input name="subject" required autocomplete="off"></label>
        <label class="narrow">${esc(t('status'))}<select name="status">${STATUSES.map((s) => `<option value="${s}">${esc(t(`case_${s}`))}</option>`).join('')}</select></label>
        <label>${esc(t('onset_date'))}<input name="onset" type="date" ${asOf ? `max="${esc(dateOf(asOf))}"` : ''}></label>
        <label>${esc(t('confirmed_at'))}<input name="confirmed" type="datetime-local" required ${asOf ? `max="${esc(minuteOf(asOf))}"` : ''}></label>
        <label>${esc(t('isolated_at'))}<input name="isolated" type="datetime-local"></label>
        <div class="actions">
          <button class="primary" type="submit">${esc(t('save'))}</button>
          <button class="ghost" id="case-new" type="button">${esc(t('form_blank'))}</button>
        </div>
      </form>
      <div id="case-result"></div>
      <form class="filters" id="case-filter" style="margin-top:12px">
        <label>${esc(t('search'))}<input name="q" value="${esc(view.q)}" placeholder="${esc(t('case_search_hint'))}" autocomplete="off"></label>
        <label>${esc(t('status'))}<select name="status"><option value="">${esc(t('all'))}</option>
          ${STATUSES.map((s) => `<option value="${s}" ${view.status === s ? 'selected' : ''}>${esc(t(`case_${s}`))}</option>`).join('')}</select></label>
      </form>
      <div class="scroll"><table id="cases-table" class="stack"><thead><tr><th>${esc(t('subject'))}</th><th>${esc(t('id_number'))}</th><th>${esc(t('name'))}</th>
        <th>${esc(t('status'))}</th><th>${esc(t('onset'))}</th><th>${esc(t('confirmed'))}</th><th>${esc(t('isolated'))}</th><th>${esc(t('grid'))}</th></tr></thead><tbody id="cases-body"></tbody></table></div>
      <div id="cases-pager-slot"></div>
    </div></div>`;

  const areaResult = (html) => { $('#area-result').innerHTML = html; };
  const caseResult = (html) => { $('#case-result').innerHTML = html; };
  const areaForm = $('#area-form');
  const caseForm = $('#case-form');

  // ---------------------------------------------------------------- the map
  // The polygon being drawn; `kept` is the saved shape of the area being changed, sent again
  // unless its corners are drawn anew (a MultiPolygon cannot be drawn here, only kept).
  const poly = [];
  let kept = null;
  let drawing = false;
  let selected = null;

  const m = chart($('#drawmap'));
  const pieces = [];
  areas.forEach((a, i) => shapes[i].forEach((ring) => pieces.push({ i, ring })));
  // Ended areas underneath, the selected one on top.
  const rank = (i) => (areas[i].area_id === selected ? 2 : ended(areas[i]) ? 0 : 1);
  const tip = (a) => `<b>${esc(a.name || a.area_id)}</b> ${esc(a.area_id)}<br>${esc(t(`risk_${a.risk}`))} · ${esc(short(a.from))} – ${esc(a.to ? short(a.to) : t('still_open'))}${ended(a) ? ` · ${esc(t('area_ended'))}` : ''}`;
  const drawMap = () => {
    const order = pieces.map((p, k) => k).sort((x, y) => rank(pieces[x].i) - rank(pieces[y].i));
    const shown = order.map((k) => pieces[k]);
    m.setOption({
      animation: false,
      tooltip: { trigger: 'item', confine: true },
      geo: { map: 'grids', roam: true, silent: true, layoutCenter: ['50%', '50%'], layoutSize: '96%', label: { show: false }, itemStyle: { areaColor: '#eef2f7', borderColor: '#c3cedb' } },
      series: [
        {
          id: 'areas', type: 'custom', coordinateSystem: 'geo',
          data: shown.map((p) => ({ value: p.ring[0], area: p.i })),
          renderItem: (params, capi) => {
            const p = shown[params.dataIndex];
            const a = areas[p.i];
            const colour = RISK_COLOR[a.risk] || RISK_COLOR.high;
            const on = a.area_id === selected;
            const gone = ended(a);
            return {
              type: 'polygon',
              shape: { points: p.ring.map((pt) => capi.coord(pt)) },
              style: {
                fill: rgba(colour, gone ? 0.1 : on ? 0.45 : 0.3),
                stroke: on ? '#15304b' : rgba(colour, gone ? 0.45 : 0.9),
                lineWidth: on ? 2.5 : 1,
                lineDash: gone ? [4, 3] : null,
              },
            };
          },
          tooltip: { formatter: (q) => tip(areas[q.data.area]) },
          z: 2,
        },
        {
          id: 'names', type: 'scatter', coordinateSystem: 'geo', symbolSize: 5,
          data: areas.map((a, i) => ({ name: a.name || a.area_id, value: shapes[i].length ? centre(shapes[i]) : null, area: i }))
            .filter((d) => d.value),
          itemStyle: { color: '#15304b' },
          label: { show: true, position: 'right', formatter: '{b}', fontSize: 12, color: '#15304b', textBorderColor: '#fff', textBorderWidth: 2 },
          tooltip: { formatter: (q) => tip(areas[q.data.area]) },
          z: 3,
        },
        { id: 'poly-line', type: 'lines', coordinateSystem: 'geo', polyline: true, silent: true, z: 4,
          data: poly.length > 1 ? [{ coords: poly.length > 2 ? [...poly, poly[0]] : poly }] : [], lineStyle: { color: DRAW_COLOR, width: 2.5 } },
        { id: 'poly-points', type: 'scatter', coordinateSystem: 'geo', silent: true, z: 5, data: poly, symbolSize: 8, itemStyle: { color: DRAW_COLOR } },
      ],
    }, { replaceMerge: ['series'] });
  };

  const hint = () => {
    const d = Object.fromEntries(new FormData(areaForm));
    let h;
    if (drawing) h = t('draw_hint');
    else if (d.region_code) h = t('by_region_hint');
    else if (kept && !poly.length) h = t('kept_shape_hint');
    else h = t('region_or_draw_hint');
    $('#area-hint').textContent = h;
    $('#poly-n').textContent = poly.length ? tf('corners_n', { n: num(poly.length) }) : '';
    $('#draw-toggle').textContent = t(drawing ? 'draw_stop' : 'draw_start');
    $('#draw-undo').disabled = !poly.length;
    $('#clear-poly').disabled = !poly.length && !kept;
    $('#drawmap').classList.toggle('drawing', drawing);
  };
  const redraw = () => { drawMap(); hint(); };

  m.getZr().on('click', (ev) => {
    if (!drawing) return;
    const p = m.convertFromPixel('geo', [ev.offsetX, ev.offsetY]);
    if (p) { poly.push(p); kept = null; redraw(); }
  });
  m.on('click', (q) => {
    if (drawing || !q.data || q.data.area == null) return;
    selectArea(areas[q.data.area].area_id, true);
  });
  $('#draw-toggle').addEventListener('click', () => { drawing = !drawing; redraw(); });
  $('#draw-undo').addEventListener('click', () => { poly.pop(); redraw(); });
  $('#clear-poly').addEventListener('click', () => { poly.length = 0; kept = null; redraw(); });
  field(areaForm, 'region_code').addEventListener('input', hint);

  // ---------------------------------------------------------------- the areas
  const drawAreasTable = () => {
    const offset = Math.min(view.areaOffset, Math.max(0, Math.floor((areas.length - 1) / PAGE) * PAGE));
    const rows = areas.slice(offset, offset + PAGE);
    const where = (a, i) => {
      const what = a.region_code ? `${esc(a.region_code)} ${esc(a.region_name || '')}` : esc(t('drawn_polygon'));
      return shapes[i].length ? what : `${what} <span class="warn">${esc(t('no_shape'))}</span>`;
    };
    $('#areas-body').innerHTML = rows.length ? rows.map((a) => {
      const i = areas.indexOf(a);
      const gone = ended(a);
      return `<tr class="click ${a.area_id === selected ? 'on' : ''} ${gone ? 'ended' : ''}" data-area="${esc(a.area_id)}">
        <td data-l="${esc(t('area_id'))}"><span>${esc(a.area_id)}</span></td><td data-l="${esc(t('area_name'))}"><span>${esc(a.name || '')}</span></td>
        <td data-l="${esc(t('area_where'))}" class="wide"><span>${where(a, i)}</span></td>
        <td data-l="${esc(t('from'))}"><span>${esc(short(a.from))}</span></td><td data-l="${esc(t('to'))}"><span>${a.to ? esc(short(a.to)) : `<span class="muted">${esc(t('still_open'))}</span>`}</span></td>
        <td data-l="${esc(t('risk'))}"><span class="risk" style="background:${rgba(RISK_COLOR[a.risk] || RISK_COLOR.high, gone ? 0.45 : 0.9)}">${esc(t(`risk_${a.risk}`))}</span></td>
        <td data-l="${esc(t('status'))}"><span>${esc(t(gone ? 'area_ended' : 'area_active'))}</span></td>
        <td>${a.to ? '' : `<button class="ghost" type="button" data-end="${esc(a.area_id)}">${esc(t('end_area'))}</button>`}</td></tr>`;
    }).join('') : `<tr><td colspan="8" class="muted">${esc(t('no_areas'))}</td></tr>`;
    $('#areas-pager-slot').innerHTML = pagerHtml('areas-pager', offset, PAGE, areas.length);
    wirePager('areas-pager', offset, PAGE, areas.length, (o) => { view.areaOffset = o; drawAreasTable(); });
    document.querySelectorAll('#areas-body tr[data-area]').forEach((tr) => tr.addEventListener('click', () => selectArea(tr.dataset.area, false)));
    document.querySelectorAll('#areas-body button[data-end]').forEach((b) => b.addEventListener('click', async (ev) => {
      ev.stopPropagation();
      try {
        const r = await post(`/api/areas/${encodeURIComponent(b.dataset.end)}/end`, {});
        await pageAreas(b.dataset.end);
        areaResult(changedHtml(r.changed));
      } catch (e) { areaResult(failed(e.message)); }
    }));
  };

  const blankArea = () => {
    selected = null;
    kept = null;
    poly.length = 0;
    areaForm.reset();
    $('#area-form-title').textContent = t('area_new');
  };

  function selectArea(id, fromMap) {
    const a = areas.find((x) => x.area_id === id);
    if (!a) return;
    blankArea();
    selected = id;
    const set = (n, v) => { field(areaForm, n).value = v; };
    set('area_id', a.area_id);
    set('name', a.name || '');
    set('region_code', a.region_code || '');
    set('from', dateOf(a.from));
    set('to', dateOf(a.to));
    set('risk', a.risk);
    kept = a.geometry || null;
    $('#area-form-title').textContent = tf('area_edit', { id: a.area_id });
    const at = areas.indexOf(a);
    view.areaOffset = Math.floor(at / PAGE) * PAGE;
    drawAreasTable();
    redraw();
    if (fromMap != null) (fromMap ? areaForm : $('#drawmap')).scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }

  $('#area-new').addEventListener('click', () => { blankArea(); drawAreasTable(); redraw(); });

  areaForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const d = Object.fromEntries(new FormData(areaForm));
    const editing = areas.find((x) => x.area_id === selected && x.area_id === d.area_id);
    const refuse = (key, vars = {}) => areaResult(failed(tf(key, vars)));
    if (!d.area_id.trim()) return refuse('need_area_id');
    if (!d.from) return refuse('need_from');
    if (d.to && d.to < d.from) return refuse('to_before_from');
    // A date left as it was keeps the time the area was saved with.
    const from = editing && dateOf(editing.from) === d.from ? editing.from : d.from;
    const to = !d.to ? null : editing && dateOf(editing.to) === d.to ? editing.to : d.to;
    const body = { area_id: d.area_id.trim(), name: d.name.trim() || null, from, to, risk: d.risk };
    const code = d.region_code.trim();
    if (code) {
      if (poly.length) return refuse('region_and_polygon');
      body.region_code = code;
    } else if (poly.length >= 3) {
      body.geometry = { type: 'Polygon', coordinates: [[...poly, poly[0]]] };
    } else if (poly.length) {
      return refuse('polygon_too_few', { n: num(poly.length) });
    } else if (kept) {
      body.geometry = kept;
    } else {
      return refuse('need_region_or_polygon');
    }
    try {
      const r = await post('/api/areas', body);
      await pageAreas(body.area_id);
      areaResult(changedHtml(r.changed));
    } catch (e) { areaResult(failed(e.message)); }
  });

  // ---------------------------------------------------------------- the cases
  const matching = () => {
    const q = view.q.trim().toLowerCase();
    return cases.filter((c) => (!view.status || c.status === view.status)
      && (!q || [c.subject, c.id_number, c.name, c.grid_code].some((v) => v && String(v).toLowerCase().includes(q))));
  };
  const drawCasesTable = () => {
    const list = matching();
    const offset = Math.min(view.caseOffset, Math.max(0, Math.floor((list.length - 1) / PAGE) * PAGE));
    const rows = list.slice(offset, offset + PAGE);
    const cell = (k, html, cls = '') => `<td data-l="${esc(t(k))}" class="${cls}"><span>${html}</span></td>`;
    $('#cases-body').innerHTML = rows.length ? rows.map((c) => `<tr class="click" data-case="${cases.indexOf(c)}">
      ${cell('subject', c.subject ? `<a href="#/trace/${encodeURIComponent(c.subject)}">${esc(c.subject)}</a>` : '')}
      ${cell('id_number', esc(c.id_number), 'wide')}${cell('name', esc(c.name || ''))}${cell('status', esc(t(`case_${c.status}`)))}
      ${cell('onset', esc(short(c.onset)), 'hide-sm')}${cell('confirmed', esc(short(c.confirmed)))}${cell('isolated', esc(short(c.isolated)), 'hide-sm')}
      ${cell('grid', esc(c.grid_code || ''))}</tr>`).join('')
      : `<tr><td colspan="8" class="muted">${esc(t(cases.length ? 'no_matching_cases' : 'no_cases'))}</td></tr>`;
    $('#cases-pager-slot').innerHTML = pagerHtml('cases-pager', offset, PAGE, list.length);
    wirePager('cases-pager', offset, PAGE, list.length, (o) => { view.caseOffset = o; drawCasesTable(); });
    document.querySelectorAll('#cases-body tr[data-case]').forEach((tr) => tr.addEventListener('click', (ev) => {
      if (ev.target.closest('a')) return;
      selectCase(cases[Number(tr.dataset.case)]);
    }));
  };

  const blankCase = () => {
    caseForm.reset();
    $('#case-form-title').textContent = t('case_new');
  };
  function selectCase(c) {
    blankCase();
    const set = (n, v) => { field(caseForm, n).value = v; };
    set('subject', c.subject || '');
    set('status', c.status);
    set('onset', dateOf(c.onset));
    set('confirmed', minuteOf(c.confirmed));
    set('isolated', minuteOf(c.isolated));
    $('#case-form-title').textContent = tf('case_edit', { id: c.subject || c.id_number });
    caseForm.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }
  $('#case-new').addEventListener('click', blankCase);

  $('#case-filter').addEventListener('input', () => {
    const d = Object.fromEntries(new FormData($('#case-filter')));
    view.q = d.q;
    view.status = d.status;
    view.caseOffset = 0;
    drawCasesTable();
  });
  $('#case-filter').addEventListener('submit', (ev) => ev.preventDefault());

  caseForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const d = Object.fromEntries(new FormData(caseForm));
    const refuse = (key, vars = {}) => caseResult(failed(tf(key, vars)));
    if (!d.subject.trim()) return refuse('need_subject');
    if (!d.confirmed) return refuse('need_confirmed');
    if (asOf && d.confirmed > minuteOf(asOf)) return refuse('confirmed_future', { t: d.confirmed.replace('T', ' '), as_of: short(asOf) });
    try {
      const r = await post('/api/cases', { subject: d.subject.trim(), status: d.status, onset: d.onset || null, confirmed: sent(d.confirmed), isolated: sent(d.isolated) });
      await pageAreas();
      caseResult(changedHtml(r.changed));
      $('#case-result').scrollIntoView({ block: 'nearest' });
    } catch (e) { caseResult(failed(e.message)); }
  });

  blankArea();
  blankCase();
  drawCasesTable();
  if (focus && areas.some((a) => a.area_id === focus)) selectArea(focus, null);
  else { drawAreasTable(); redraw(); }
}
