// The city map: county, town, community and grid as the city's own GeoJSON draws them
// (GET /api/grids.geojson, every level with its code, name, level and parent_code). It shows one
// region's parts at a time, coloured by the sum of their grids' values, with a breadcrumb to go
// back up; a click on a part goes down into it, a click on a grid calls the page back. The
// epidemic areas in the screening's window are drawn over it: drawn polygons and regions in red,
// and an area covering the whole view (a county, the city) tints the view and says so.

import { t, esc, num, chart } from './core.js';

// The view each map was left at (by the page's key), so that redrawing a page keeps its place.
const lastView = new Map();

// A tree of the regions with a shape. Regions whose parent has no shape are the top's children;
// with a single one (the city), the map starts inside it.
function treeOf(geo) {
  const byCode = new Map();
  (geo.features || []).forEach((f) => {
    const p = f.properties || {};
    if (p.code && !p.extent) byCode.set(p.code, { code: p.code, name: p.name || p.code, level: p.level, parent: p.parent_code, feature: f, kids: [] });
  });
  const top = { code: '', name: '', level: 'top', kids: [] };
  byCode.forEach((n) => (byCode.has(n.parent) ? byCode.get(n.parent).kids : top.kids).push(n));
  byCode.forEach((n) => n.kids.sort((a, b) => (a.code < b.code ? -1 : 1)));
  const root = top.kids.length === 1 && top.kids[0].kids.length ? top.kids[0] : top;
  return { byCode, root };
}

// The grids under a region (itself if it is one: a region with no parts below it).
function gridsUnder(node, out = []) {
  if (!node.kids.length) out.push(node.code);
  else node.kids.forEach((k) => gridsUnder(k, out));
  return out;
}

// A part's name on the map: without its parent's name in front ("柯城区城关街道第1社区" in
// 柯城区城关街道 is "第1社区").
function shortName(node, parent) {
  const p = parent && parent.name;
  return p && node.name.startsWith(p) && node.name.length > p.length ? node.name.slice(p.length) : node.name;
}

function ancestors(node, byCode) {
  const up = [];
  for (let n = byCode.get(node.parent); n; n = byCode.get(n.parent)) up.unshift(n);
  return up;
}

// The outer rings of a GeoJSON Polygon or MultiPolygon.
function rings(geometry) {
  if (!geometry) return [];
  if (geometry.type === 'Polygon') return [geometry.coordinates[0]];
  if (geometry.type === 'MultiPolygon') return geometry.coordinates.map((p) => p[0]);
  return [];
}

function centre(ring) {
  let [x, y] = [0, 0];
  ring.forEach((p) => { x += p[0]; y += p[1]; });
  return [x / ring.length, y / ring.length];
}

/**
 * Draws the city map in `el` (it takes the element over: a breadcrumb and the chart).
 * geo: the collection loadGrids() answers. opts:
 *   key       remembers the view for the next draw of the same page
 *   values    {grid code: number}, the colour (a region's is the sum of its grids')
 *   label     what the value counts, for the tooltip and the legend
 *   detail    (grid codes) => HTML lines for the tooltip (the page's figures for those grids)
 *   colors    the colour ramp, low to high
 *   areas     GET /api/areas (those in the window are drawn)
 *   focus     grid codes to start at (the map opens at the region holding them all)
 *   onGrid    (code) => called when a grid is clicked
 */
export function cityMap(el, geo, opts) {
  const { byCode, root } = treeOf(geo);
  const values = opts.values || {};
  const sum = new Map();
  const valueOf = (n) => {
    if (!sum.has(n.code)) sum.set(n.code, n.kids.length ? n.kids.reduce((s, k) => s + valueOf(k), 0) : Number(values[n.code] || 0));
    return sum.get(n.code);
  };
  const areas = (opts.areas || []).filter((a) => a.in_window);
  el.classList.add('citymap');
  el.innerHTML = `<nav class="crumbs" aria-label="${esc(t('map_levels'))}" style="display:flex;flex-wrap:wrap;align-items:baseline;gap:2px 0;margin:0 0 6px"></nav>
    <div class="chart tall"></div><p class="map-note muted" style="margin:4px 0 0;min-height:1.2em"></p>`;
  const crumbs = el.querySelector('.crumbs');
  const note = el.querySelector('.map-note');
  const c = chart(el.querySelector('.chart'));
  let view = root;

  const start = () => {
    const kept = byCode.get(lastView.get(opts.key));
    if (kept) return kept;
    const focus = (opts.focus || []).map((g) => byCode.get(g)).filter(Boolean);
    if (!focus.length) return root;
    // The deepest region above every focused grid.
    const paths = focus.map((n) => ancestors(n, byCode));
    let common = root;
    for (let i = 0; paths.every((p) => p[i] && p[i].code === paths[0][i].code); i += 1) common = paths[0][i];
    return common.kids.length ? common : root;
  };

  const levelName = (n) => t('level_' + (n.kids[0] ? n.kids[0].level : 'grid'));

  function draw(node) {
    view = node;
    lastView.set(opts.key, node.code);
    const path = node === root ? [root] : [...ancestors(node, byCode).filter((n) => isBelow(n, root)), node];
    if (!root.code && path[0] !== root) path.unshift(root);
    crumbs.innerHTML = path.map((n, i) => (i === path.length - 1
      ? `<b aria-current="page">${esc(n.name || t('map_all'))}</b>`
      : `<a href="#" data-code="${esc(n.code)}">${esc(n.name || t('map_all'))}</a>`)).join('<span aria-hidden="true" style="margin:0 6px;color:#8a99a8">›</span>')
      + `<span class="muted" style="margin-left:10px;white-space:nowrap">${esc(levelName(node))} ${num(node.kids.length)}</span>`;
    crumbs.querySelectorAll('a').forEach((a) => a.addEventListener('click', (ev) => {
      ev.preventDefault();
      draw(a.dataset.code ? byCode.get(a.dataset.code) : root);
    }));
    const parts = node.kids;
    const mapName = 'citymap:' + (node.code || 'top');
    echarts.registerMap(mapName, { type: 'FeatureCollection', features: parts.map((k) => ({ ...k.feature, properties: { name: k.code } })) });
    const max = Math.max(1, ...parts.map(valueOf));
    const short = Object.fromEntries(parts.map((k) => [k.code, shortName(k, node)]));
    const many = parts.length > 40;
    // The areas: those over the whole view tint it; those inside it are drawn on top.
    const over = [];
    const inside = [];
    const elsewhere = [];
    const chain = new Set([...ancestors(node, byCode), node].map((n) => n.code).filter(Boolean));
    areas.forEach((a) => {
      if (a.geometry) inside.push({ a, rings: rings(a.geometry), name: a.name || a.area_id });
      else if (chain.has(a.region_code) && node.feature) { over.push(a); inside.unshift({ a, rings: rings(node.feature.geometry), name: '', tint: true }); }
      else if (chain.has(a.region_code)) over.push(a);
      else if (byCode.has(a.region_code) && isBelow(byCode.get(a.region_code), node)) {
        inside.push({ a, rings: rings(byCode.get(a.region_code).feature.geometry), name: a.name || a.region_name || a.region_code });
      } else elsewhere.push(a);
    });
    const areaName = (a) => a.name || a.region_name || a.region_code || a.area_id;
    note.innerHTML = [
      over.length ? `<span class="in-area">${esc(t('map_view_in_area'))}: ${over.map((a) => esc(areaName(a))).join('、')}</span>` : '',
      elsewhere.length ? `${esc(t('map_areas_elsewhere'))}: ${elsewhere.map((a) => esc(areaName(a))).join('、')}` : '',
    ].filter(Boolean).join(' · ');
    const tip = (codes, title, value) => `<b>${esc(title)}</b><br>${esc(opts.label)}: ${num(value)}${opts.detail ? '<br>' + opts.detail(codes) : ''}`;
    c.setOption({
      tooltip: {
        trigger: 'item', confine: true,
        formatter: (p) => {
          if (p.seriesType === 'custom') {
            const x = inside[p.dataIndex];
            return `<b>${esc(t('map_area'))}: ${esc(x.name || areaName(x.a))}</b><br>${esc(t('map_risk_' + x.a.risk))} · ${esc(x.a.from.slice(0, 10))}${x.a.to ? ' – ' + esc(x.a.to.slice(0, 10)) : ''}`;
          }
          const n = byCode.get(p.name);
          if (!n) return '';
          return tip(gridsUnder(n), n.name, valueOf(n)) + (n.kids.length ? `<br><span class="muted">${esc(t('map_click_in'))}</span>` : opts.onGrid ? `<br><span class="muted">${esc(t('map_click_grid'))}</span>` : '');
        },
      },
      visualMap: {
        type: 'continuous', min: 0, max, left: 8, bottom: 8, itemHeight: 90, itemWidth: 12, calculable: true,
        formatter: (v) => num(Math.round(v)), seriesIndex: 0,
        inRange: { color: opts.colors || ['#f2f6fb', '#f7c59f', '#e4572e', '#8c1c13'] },
      },
      geo: {
        map: mapName, roam: true, layoutCenter: ['50%', '50%'], layoutSize: '95%',
        itemStyle: { borderColor: '#ffffff', borderWidth: many ? 0.6 : 1.2 },
        // White names with a dark edge read on the palest and the darkest fill alike.
        label: { show: true, fontSize: many ? 10 : 12, color: '#fff', textBorderColor: 'rgba(20,32,48,0.85)', textBorderWidth: 2.5, formatter: (p) => short[p.name] || '' },
        emphasis: { itemStyle: { areaColor: 'inherit', borderColor: '#15304b', borderWidth: 2.5 }, label: { show: true, fontWeight: 'bold', formatter: (p) => short[p.name] || '' } },
        select: { disabled: true },
      },
      labelLayout: { hideOverlap: true },
      series: [
        { type: 'map', geoIndex: 0, name: opts.label, data: parts.map((k) => ({ name: k.code, value: valueOf(k) })) },
        {
          type: 'custom', coordinateSystem: 'geo', silent: false, z: 5,
          data: inside.map((x, i) => ({ name: x.name, value: [...centre(x.rings[0] || [[0, 0]]), i] })),
          renderItem: (params, api) => {
            const x = inside[params.dataIndex];
            const style = x.tint
              ? { fill: 'rgba(200,30,30,0.10)', stroke: '#c0392b', lineWidth: 2, lineDash: [6, 4] }
              : { fill: 'rgba(200,30,30,0.22)', stroke: '#c0392b', lineWidth: 2 };
            // The shapes let the mouse through to the regions under them; the name answers it.
            const polys = x.rings.map((r) => ({ type: 'polygon', silent: true, shape: { points: r.map((p) => api.coord(p)) }, style }));
            if (x.tint) return { type: 'group', children: polys };
            const at = api.coord(centre(x.rings[0] || [[0, 0]]));
            return { type: 'group', children: [...polys, { type: 'text', x: at[0], y: at[1], style: { text: x.name, fill: '#8c1c13', font: 'bold 12px sans-serif', align: 'center', verticalAlign: 'middle', stroke: '#fff', lineWidth: 3 } }] };
          },
        },
      ],
    }, { notMerge: true });
  }

  // Whether `n` is `above` or inside it.
  function isBelow(n, above) {
    if (!above.code) return true;
    for (let x = n; x; x = byCode.get(x.parent)) if (x.code === above.code) return true;
    return false;
  }

  c.on('click', (p) => {
    if (p.seriesType === 'custom') return;
    const n = byCode.get(p.name);
    if (!n) return;
    if (n.kids.length) draw(n);
    else if (opts.onGrid) opts.onGrid(n.code);
  });
  draw(start());
  return { show: (code) => draw(byCode.get(code) || root), get view() { return view.code; } };
}
