// Every page as every role, on a desktop and on a phone (Debian's headless Chromium driven by
// playwright-core). Started by tests/cli/browser.rs after run.mjs and gates.mjs, on the same
// server. For each role × device it logs in, opens every page the role's menu offers and the
// detail pages the role can reach (an alert, a case's trace, a task, the gate scanner, the users
// page), and for each page:
//
// - times it from the navigation to the page drawn (main#main[data-ready="1"], which main.js sets
//   once the page has drawn what it fetched, and a canvas in every chart): over 1000 ms fails;
// - saves walk-<role>-<desktop|phone>-<page>.png (the full page on a desktop, the screen on a
//   phone);
// - reads the visible text (header and page, the options of every list, what the inputs hold
//   and ask for; not title attributes, not what charts draw on their canvases) for Latin words
//   on a Chinese page: any run of two or more Latin letters fails unless it is a code with
//   digits (P000045, 浙A12345, G1234), an identifier in capitals and hyphens (A-WUHAN,
//   GATE-330802001001001), a command-line option (--mqtt), a unit after a number, a user's
//   name opening a text, or one of the few names allowed below; text the page marks
//   translate="no" (data shown as written: a user's or a file's name, a raw record, the import's
//   own words for a reason it has no translation of) is not read;
// - on a phone, fails on sideways scrolling and on a header taller than 15% of the screen;
// - fails on a script error, on a request the server answers with 400 or more, and on an error
//   box where the role was offered the page.
//
// The login is timed too (to the role's first page drawn), but its password hash is slow on
// purpose, so only a login that never lands fails. On a phone the first read of personal data
// asks why (#purpose-dialog): the walk answers it, checks its words, and does not count the
// time it stood open. The timings, words and failures go to walk.md and walk.json in --out and
// to the output.
// Exits non-zero after the whole walk when anything failed, and writes WALK-PASSED otherwise.
//
//   node walk.mjs --base URL --out DIR --password PW --case SUBJECT
//                 --users admin=admin,analyst=analyst,epidemiologist=epi,viewer=viewer,grid_worker=wang,gate_guard=guard
//
// --case is optional: without it the walk asks the server for a case with close contacts.
// --pages found,alerts walks only those pages of each role's menu (and the detail pages they
// open), for checking one page quickly; the whole walk is the default.

import { chromium } from 'playwright-core';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
for (const k of ['base', 'out', 'password', 'users']) {
  if (!args[k]) throw new Error(`--${k} is required`);
}
mkdirSync(args.out, { recursive: true });
rmSync(join(args.out, 'WALK-PASSED'), { force: true });

const ROLES = ['admin', 'analyst', 'epidemiologist', 'viewer', 'gate_guard', 'grid_worker'];
const ONLY = args.pages ? new Set(args.pages.split(',')) : null;
const users = Object.fromEntries(args.users.split(',').map((kv) => kv.split('=')));
for (const r of ROLES) if (!users[r]) throw new Error(`--users names no ${r}`);

const DEVICES = {
  desktop: { viewport: { width: 1440, height: 900 }, locale: 'zh-CN' },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'zh-CN' },
};
const BUDGET_MS = 1000;
const HEADER_SHARE = 0.15;

// Latin words a Chinese page may show: the brand, the button that switches to English, and
// the names of protocols, products and file formats that are written so in Chinese too.
const NAMES = new Set(['tracegrid', 'English', 'HTTP', 'HTTPS', 'MQTT', 'NATS', 'JetStream', 'CSV', 'JSON', 'NDJSON', 'ZIP', 'zip']);
// Unit symbols after a number (GB 3102 writes them in Latin letters): 3 km, 800 ms, 2 MB.
const UNITS = new Set(['km', 'cm', 'mm', 'ms', 'kg', 'KB', 'MB', 'GB']);

/** The Latin words of `text` that a Chinese page should not show. `users` are the names of
 * users, which may open a text ("wang", "wang · 网格员", "admin（您）"). */
function latinWords(text, users) {
  for (const u of users) {
    if (text.startsWith(u) && !/^[A-Za-z0-9_.-]/.test(text.slice(u.length))) text = text.slice(u.length);
  }
  const found = [];
  // A number and its unit are read together: "0 ms", "3km".
  const joined = text.replace(/(\d)\s+(?=[A-Za-z])/g, '$1');
  // "phone:151****6651" is read as the word "phone" and a number.
  for (const token of joined.match(/(?:--)?[A-Za-z0-9_][A-Za-z0-9_.\-@']*/g) || []) {
    const tok = token.replace(/[.\-@']+$/, '');
    if (!/[A-Za-z]{2}/.test(tok) || NAMES.has(tok)) continue;
    // A command-line option (--mqtt) and an identifier in capitals and hyphens (A-WUHAN,
    // GATE-330802001001001) are written as they are; an enumeration's value (CLOSE_CONTACT,
    // rail_tickets) is not a word for the reader.
    if (/^--[a-z][a-z-]*$/.test(tok) || /^[A-Z0-9]+(-[A-Z0-9]+)+$/.test(tok)) continue;
    if (/\d/.test(tok)) {
      // A number with a unit names the unit; anything else with digits is a code.
      const unit = tok.match(/^\d[\d.,]*([A-Za-z]+)$/);
      if (unit && !UNITS.has(unit[1])) found.push(unit[1]);
      continue;
    }
    found.push(tok);
  }
  return found;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  // A Chinese user's browser (its own controls, such as a date field's, speak Chinese); the
  // guard's phone has a camera: a fake one, filming a test pattern.
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--lang=zh-CN',
    '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
});

/** Waits for the page to be drawn; a dialog asking why is handed to `asked` and answered.
 * Returns { state, paused }: 'ready', 'error' or 'timeout', and the ms the dialog stood open. */
async function settle(page, asked) {
  let paused = 0;
  for (;;) {
    let state;
    try {
      const done = await page.waitForFunction(() => {
        if (document.querySelector('#purpose-dialog[open]')) return 'purpose';
        const m = document.querySelector('main#main');
        if (!m) return false;
        if (m.dataset.ready !== '1') return m.querySelector('.error') ? 'error' : false;
        // Every chart has its canvas.
        for (const c of m.querySelectorAll('[_echarts_instance_]')) {
          const cv = c.querySelector('canvas');
          if (!cv || !cv.width || !cv.height) return false;
        }
        return 'ready';
      }, null, { polling: 'raf', timeout: 15000 });
      state = await done.jsonValue();
    } catch (_) { state = 'timeout'; }
    if (state !== 'purpose') return { state, paused };
    const shown = Date.now();
    await asked();
    await page.click('#purpose-dialog button[type=submit]');
    paused += Date.now() - shown;
  }
}

/** Logs in and waits for the role's first page: { ms, state, paused } from the click. */
async function login(page, user, asked) {
  await page.goto(args.base + '/#/login');
  await page.fill('input[name=username]', user);
  await page.fill('input[name=password]', args.password);
  await page.evaluate(() => { delete document.querySelector('main#main').dataset.ready; });
  const started = Date.now();
  await page.click('#login-form button[type=submit]');
  // A phone's header may fold the user's name away: present is enough.
  await page.waitForSelector('#user:not(:empty)', { state: 'attached' });
  const s = await settle(page, asked);
  return { ...s, ms: Date.now() - started - s.paused };
}

/** Opens `hash` and waits for the page to be drawn: { ms, how, state, paused }. A phone asks
 * why personal data is read once a session (#purpose-dialog): `asked` is called with it open,
 * it is answered as it is filled in, and the time it stood open is not the page's. */
async function open(page, hash, asked) {
  const here = await page.evaluate(() => location.hash);
  const started = Date.now();
  let how = 'nav';
  if (here === hash) {
    how = 'load';
    await page.reload();
  } else {
    await page.evaluate((h) => {
      delete document.querySelector('main#main').dataset.ready;
      location.hash = h;
    }, hash);
  }
  const s = await settle(page, asked);
  return { ...s, ms: Date.now() - started - s.paused, how };
}

/** What the page shows: its visible texts, error boxes, overflow and header. */
function looks(page, width) {
  return page.evaluate((w) => {
    const path = (el) => {
      const out = [];
      for (let e = el; e && e !== document.body && out.length < 4; e = e.parentElement) {
        out.unshift(e.id ? `${e.tagName.toLowerCase()}#${e.id}` : e.tagName.toLowerCase() + (e.classList.length ? '.' + [...e.classList].join('.') : ''));
        if (e.id) break;
      }
      return out.join(' > ');
    };
    const visible = (el) => el && el.checkVisibility({ checkVisibilityCSS: true, checkOpacity: true });
    const texts = [];
    const roots = [document.querySelector('header#top'), document.querySelector('main#main'), ...document.querySelectorAll('dialog[open]')];
    for (const root of roots) {
      if (!root) continue;
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const el = n.parentElement;
        const s = n.textContent.trim();
        // Data shown as written — a user's or a file's name, a raw record, a purpose typed in —
        // is marked translate="no" (HTML's own word for it) by the page.
        if (!s || el.closest('select, script, style, [translate="no"]') || !visible(el)) continue;
        texts.push({ text: s, where: path(el) });
      }
      // A list's options are read when it is opened.
      for (const sel of root.querySelectorAll('select')) {
        if (!visible(sel)) continue;
        for (const o of sel.options) texts.push({ text: o.text.trim(), where: path(sel) + ' option' });
      }
      for (const i of root.querySelectorAll('input, textarea')) {
        if (!visible(i) || ['hidden', 'password', 'file', 'checkbox', 'radio'].includes(i.type)) continue;
        if (i.value) texts.push({ text: i.value.trim(), where: path(i) + ' value' });
        if (i.placeholder) texts.push({ text: i.placeholder.trim(), where: path(i) + ' placeholder' });
      }
    }
    const errors = [...document.querySelectorAll('main#main .error, main#main .err')].filter(visible).map((e) => e.textContent.trim());
    // What sticks out to the right, outermost first, outside any box that scrolls or clips.
    const wide = [];
    const clips = (e) => {
      for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
        if (getComputedStyle(a).overflowX !== 'visible') return true;
      }
      return false;
    };
    for (const e of document.body.querySelectorAll('*')) {
      const r = e.getBoundingClientRect();
      const pr = e.parentElement.getBoundingClientRect();
      if (r.right > w + 1 && pr.right <= w + 1 && r.width > 0 && !clips(e)) wide.push(`${path(e)} (${Math.round(r.right)}px)`);
    }
    const header = document.querySelector('header#top');
    return {
      texts,
      errors,
      scrollWidth: document.documentElement.scrollWidth,
      wide: wide.slice(0, 6),
      header: header && visible(header) ? Math.round(header.getBoundingClientRect().height) : 0,
      height: window.innerHeight,
      h1: (document.querySelector('main#main h1') || {}).textContent || '',
    };
  }, width);
}

const rows = [];
const failures = [];
const fail = (row, what) => { row.fail.push(what); failures.push(`${row.role} ${row.device} ${row.page}: ${what}`); };

/** The pages `role` walks: the menu's, with the detail pages after the page they open from. */
async function pagesOf(page, role) {
  const menu = await page.$$eval('nav#nav a[href^="#/"]', (as) => as.map((a) => a.getAttribute('href')));
  const list = menu.map((h) => ({ name: h.slice(2), hash: h }));
  if (role === 'gate_guard' && !list.some((p) => p.name === 'gate')) list.push({ name: 'gate', hash: '#/gate' });
  if (role === 'admin' && !list.some((p) => p.name === 'users')) list.push({ name: 'users', hash: '#/users' });
  return ONLY ? list.filter((p) => ONLY.has(p.name)) : list;
}

/** A case with close contacts, when --case names none: from the analyst's alert list. */
async function findCase(page) {
  return page.evaluate(async () => {
    const r = await fetch('/api/alerts?reason=CLOSE_CONTACT&limit=50&purpose=' + encodeURIComponent('浏览器巡检'));
    const j = await r.json();
    for (const a of j.alerts || []) for (const why of a.reasons || []) if (why.case) return why.case;
    return null;
  });
}

let theCase = args.case || null;

/** Adds the Latin words of what the page shows to `row.words`. */
function check(row, shows) {
  const names = Object.values(users);
  for (const { text, where } of shows.texts) {
    for (const word of latinWords(text, names)) {
      if (row.words.some((x) => x.word === word && x.where === where)) continue;
      row.words.push({ word, where, text: text.slice(0, 80) });
    }
  }
}

/** The dialog asking why personal data is read: its screenshot, and its words checked. */
async function askedWhy(page, row) {
  await page.screenshot({ path: join(args.out, `walk-${row.role}-${row.device}-purpose.png`) });
  check(row, await looks(page, DEVICES[row.device].viewport.width));
}

/** Fails a page not drawn, or drawn too late. */
function judge(row, t) {
  if (t.state === 'timeout') fail(row, `not drawn after ${t.ms} ms`);
  else if (t.ms > BUDGET_MS) fail(row, `took ${t.ms} ms (over ${BUDGET_MS} ms)`);
}

async function visit(page, role, device, name, hash, ctx) {
  const row = { role, device, page: name, hash, ms: null, how: '', words: [], scrollWidth: null, header: null, errors: [], api: [], slow: [], fail: [] };
  rows.push(row);
  ctx.current = row;
  const t = await open(page, hash, () => askedWhy(page, row));
  Object.assign(row, { ms: t.ms, how: t.how, asked: t.paused > 0 });
  judge(row, t);
  await page.waitForTimeout(400); // let charts finish their animation, answers arrive
  const w = DEVICES[device].viewport.width;
  const l = await looks(page, w);
  check(row, l);
  if (row.words.length) fail(row, `Latin words: ${row.words.map((x) => `"${x.word}" (${x.where}: ${x.text})`).join('; ')}`);
  if (l.errors.length) fail(row, `error box: ${l.errors.join(' | ')}`);
  row.h1 = l.h1.trim();
  if (device === 'phone') {
    row.scrollWidth = l.scrollWidth;
    row.header = l.header;
    if (l.scrollWidth > w) fail(row, `scrolls sideways (${l.scrollWidth}px wide: ${l.wide.join(', ')})`);
    if (l.header > l.height * HEADER_SHARE) fail(row, `header ${l.header}px is over ${Math.round(HEADER_SHARE * 100)}% of ${l.height}px`);
  }
  await page.screenshot({ path: join(args.out, `walk-${role}-${device}-${name}.png`), fullPage: device === 'desktop' });
  ctx.current = null;
  return row;
}

try {
  for (const role of ROLES) {
    for (const device of Object.keys(DEVICES)) {
      const context = await browser.newContext({ ...DEVICES[device], permissions: role === 'gate_guard' ? ['camera'] : [] });
      const page = await context.newPage();
      const ctx = { current: null };
      const blame = (what) => {
        if (ctx.current) { ctx.current.errors.push(what); fail(ctx.current, what); } else failures.push(`${role} ${device} (between pages): ${what}`);
      };
      page.on('pageerror', (e) => blame(`script error: ${e.message}`));
      page.on('response', (r) => {
        if (r.status() >= 400 && r.url().startsWith(args.base)) blame(`${r.request().method()} ${r.url().slice(args.base.length)} answered ${r.status()}`);
      });
      page.on('requestfailed', (r) => {
        const why = (r.failure() || {}).errorText || '';
        // A page left while its event stream or a picture is loading cancels them.
        if (why.includes('ERR_ABORTED')) return;
        blame(`${r.method()} ${r.url().slice(args.base.length)} failed: ${why}`);
      });
      page.on('requestfinished', (r) => {
        if (!ctx.current || !r.url().includes('/api/')) return;
        const tm = r.timing();
        ctx.current.api.push({ url: r.url().slice(args.base.length).replace(/purpose=[^&]*&?/, '').replace(/[?&]$/, ''), ms: Math.round(tm.responseEnd) });
      });

      // The login, to the role's first page: timed as a page.
      const first = { role, device, page: 'login', hash: '#/login', words: [], errors: [], api: [], slow: [], fail: [] };
      rows.push(first);
      ctx.current = first;
      const lt = await login(page, users[role], () => askedWhy(page, first));
      Object.assign(first, { ms: lt.ms, how: 'login', asked: lt.paused > 0 });
      // The password's hash is slow on purpose: the login is timed, but only a login that
      // never lands fails.
      if (lt.state === 'timeout') fail(first, `no page after the login in ${lt.ms} ms`);
      if (first.words.length) fail(first, `Latin words: ${first.words.map((x) => `"${x.word}" (${x.where}: ${x.text})`).join('; ')}`);
      ctx.current = null;
      if (!theCase && ['admin', 'analyst', 'epidemiologist'].includes(role)) theCase = await findCase(page);
      const list = await pagesOf(page, role);
      // The page the login opened is walked last, so that every page is opened from another.
      const here = await page.evaluate(() => location.hash);
      list.sort((a, b) => (a.hash === here) - (b.hash === here));
      for (const p of list) {
        const row = await visit(page, role, device, p.name, p.hash, ctx);
        if (p.name === 'users' && (await page.$('main#main [data-count="alerts_n"]'))) fail(row, '#/users falls back to the overview: no users page');
        if (p.name === 'alerts') {
          const subject = await page.getAttribute('#alerts-table tbody tr[data-subject]', 'data-subject').catch(() => null);
          if (subject) await visit(page, role, device, 'alert', '#/alert/' + encodeURIComponent(subject), ctx);
          else row.note = 'rows do not open an alert';
        }
        if (p.name === 'trace') {
          if (theCase) await visit(page, role, device, 'trace-case', '#/trace/' + encodeURIComponent(theCase), ctx);
          else fail(row, 'no case to trace');
        }
        if (p.name === 'tasks') {
          const task = await page.getAttribute('#task-list .task[data-task]', 'data-task').catch(() => null);
          if (task) await visit(page, role, device, 'task', '#/task/' + encodeURIComponent(task), ctx);
          else row.note = 'no task to open';
        }
      }
      await context.close();
    }
  }
} finally {
  await browser.close();
}

// The table: one line a page, its time, what is wrong, and its slowest requests.
for (const r of rows) r.slow = [...r.api].sort((a, b) => b.ms - a.ms).slice(0, 2);
const md = ['| role | device | page | ms | how | Latin words | width | header | slowest API calls | failures |',
  '|---|---|---|---:|---|---|---:|---:|---|---|'];
for (const r of rows) {
  md.push(`| ${r.role} | ${r.device} | ${r.page} | ${r.ms ?? ''} | ${r.how}${r.asked ? " (asked why)" : ""} | ${[...new Set(r.words.map((x) => x.word))].join(' ') || '-'} | ${r.scrollWidth ?? ''} | ${r.header ?? ''} | ${r.slow.map((s) => `${s.url} ${s.ms}ms`).join('; ')} | ${r.fail.length ? r.fail.length + (r.note ? '; ' + r.note : '') : (r.note || 'ok')} |`);
}
const table = md.join('\n');
writeFileSync(join(args.out, 'walk.md'), table + '\n\n## Failures\n\n' + failures.map((f) => `- ${f}`).join('\n') + '\n');
writeFileSync(join(args.out, 'walk.json'), JSON.stringify(rows, null, 1));
console.log(table);
const times = rows.filter((r) => r.ms != null).map((r) => r.ms).sort((a, b) => a - b);
console.log(`\n${rows.length} pages; median ${times[Math.floor(times.length / 2)]} ms, slowest ${times[times.length - 1]} ms`);
if (failures.length) {
  console.log(`\n${failures.length} failures:\n` + failures.map((f) => `not ok - ${f}`).join('\n'));
  process.exit(1);
}
console.log('ok - every page as every role');
writeFileSync(join(args.out, 'WALK-PASSED'), new Date().toISOString());
