// The command centre in a real browser (Debian's headless Chromium driven by playwright-core).
// Started by tests/cli/browser.rs with a server on a small simulated city; every step asserts
// what a user would see and saves a screenshot into --out. Exits non-zero on the first failure.
//
//   node run.mjs --base http://127.0.0.1:PORT --out DIR --password PW --case SUBJECT
//                --district CODE --outsider SUBJECT

import { chromium } from 'playwright-core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
for (const k of ['base', 'out', 'password', 'case', 'district', 'outsider']) {
  if (!args[k]) throw new Error(`--${k} is required`);
}
mkdirSync(args.out, { recursive: true });

function check(cond, what) {
  if (!cond) throw new Error(`expected: ${what}`);
  console.log(`ok - ${what}`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});

async function shot(page, name, fullPage = true) {
  await page.waitForTimeout(400); // let charts finish their animation
  await page.screenshot({ path: join(args.out, `${name}.png`), fullPage });
}

async function login(page, user) {
  await page.goto(args.base + '/#/login');
  await page.fill('input[name=username]', user);
  await page.fill('input[name=password]', args.password);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#user:not(:empty)');
}

const errors = [];
try {
  // ---- the analyst on a laptop
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 860 }, locale: 'zh-CN' });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => errors.push(page.url() + ' ' + e.stack));

  await page.goto(args.base + '/');
  await page.waitForSelector('#login-form');
  // The two message catalogues, as the server serves them, name the same keys.
  const only = await page.evaluate(async () => {
    const [zh, en] = await Promise.all([import('/assets/js/i18n/zh.js'), import('/assets/js/i18n/en.js')]);
    const missing = (a, b) => Object.keys(a.default).filter((k) => !(k in b.default));
    return { zh: missing(zh, en), en: missing(en, zh) };
  });
  check(only.zh.length === 0 && only.en.length === 0,
    `both languages have the same messages (only in zh: ${only.zh.join(', ') || '-'}; only in en: ${only.en.join(', ') || '-'})`);
  await shot(page, '01-login');
  await page.fill('input[name=username]', 'analyst');
  await page.fill('input[name=password]', 'not the password');
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#login-error .error');
  check((await page.textContent('#login-error')).includes('用户名或密码错误'), 'a wrong password is refused in Chinese');

  await login(page, 'analyst');
  await page.waitForSelector('#map canvas');
  const alertsCard = Number((await page.textContent('[data-count="alerts_n"]')).replace(/,/g, ''));
  check(alertsCard > 0, `the overview counts ${alertsCard} alerts`);
  check((await page.textContent('nav')).includes('预警'), 'the menu is in Chinese');
  await shot(page, '02-overview-map');

  // Alerts, then one alert's evidence.
  await page.goto(args.base + '/#/alerts');
  await page.waitForSelector('#alerts-table tbody tr');
  const total = Number(await page.getAttribute('#alert-total', 'data-n'));
  check(total === alertsCard, 'the alert list holds what the overview counts');
  await page.selectOption('select[name=reason]', 'CLOSE_CONTACT');
  await page.click('#filters button[type=submit]');
  await page.waitForFunction((t) => Number(document.querySelector('#alert-total')?.dataset.n) < t, total);
  await page.waitForSelector('#alerts-table tbody tr');
  await shot(page, '03-alerts');
  await page.click('#alerts-table tbody tr:first-child');
  await page.waitForSelector('#evidence .ev');
  await page.waitForSelector('#evmap canvas');
  const ev = await page.textContent('#evidence');
  check(ev.includes('密切接触'), 'the evidence names a close contact');
  check(ev.includes('关联病例'), 'the evidence names the case met');
  const masked = await page.textContent('#person [data-field="id_number"]');
  check(masked.includes('********'), 'the ID number is masked');
  await page.click('#reveal');
  await page.waitForFunction(() => !document.querySelector('#person [data-field="id_number"]').textContent.includes('*'));
  check(true, 'the full ID number is shown on request');
  await shot(page, '04-alert-evidence');

  // A case's trace, then click through to a contact.
  await page.goto(args.base + '/#/trace/' + encodeURIComponent(args.case));
  await page.waitForSelector('#graph canvas');
  await page.waitForSelector('#contacts-table tbody tr');
  const contacts = await page.$$eval('#contacts-table tbody tr', (rows) => rows.length);
  check(contacts > 0, `the case's trace lists ${contacts} contacts`);
  await shot(page, '05-trace');
  const next = await page.getAttribute('#contacts-table tbody tr:first-child', 'data-subject');
  await page.click('#contacts-table tbody tr:first-child');
  await page.waitForFunction((s) => decodeURIComponent(location.hash).endsWith(s), next);
  await page.waitForSelector('#trace-out h2');
  check((await page.textContent('#trace-out h2')).includes(next), 'a contact opens its own trace');

  // A new area re-screens at once.
  await page.goto(args.base + '/#/areas');
  await page.waitForSelector('#area-form');
  await page.fill('#area-form input[name=area_id]', 'BROWSER-1');
  await page.fill('#area-form input[name=name]', '测试疫区');
  await page.fill('#area-form input[name=region_code]', args.district);
  await page.fill('#area-form input[name=from]', '2020-01-20');
  await page.click('#area-form button[type=submit]');
  await page.waitForSelector('#changed');
  const added = Number((await page.textContent('#new-alerts')).replace(/\D/g, '')); // written with thousands separators
  check(added > 0, `the area alerts ${added} more people at once`);
  check((await page.textContent('#areas-table')).includes('BROWSER-1'), 'the area is listed');
  await shot(page, '06-areas-and-cases');
  await page.goto(args.base + '/#/alerts');
  await page.waitForSelector('#alert-total');
  check(Number(await page.getAttribute('#alert-total', 'data-n')) === total + added, 'the alert list grew by as many');

  // An upload with one good and one bad row.
  await page.goto(args.base + '/#/import');
  await page.waitForSelector('#upload-form');
  await page.setInputFiles('#upload-form input[type=file]', {
    name: 'persons.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from('person_id,id_number,name,phone,household_id,address,grid_code\n'
      + 'WEB0000001,330802199001010010,网页导入,13900000001,HWEB1,1号楼,\n'
      + 'WEB0000002,330802199001011235,坏号码,13900000002,HWEB2,2号楼,\n'),
  });
  await page.click('#upload-form button[type=submit]');
  await page.waitForSelector('[data-job] table.summary', { timeout: 60000 });
  const summary = await page.textContent('[data-job] table.summary');
  check(/persons\.csv\s*1\s*1\s*0/.test(summary), 'the import accepted one row and rejected one');
  check(await page.isVisible('a[href$="rejects.csv"]'), 'its rejects can be downloaded');
  await shot(page, '07-import');

  // English.
  await page.goto(args.base + '/#/overview');
  await page.waitForSelector('#map canvas');
  await page.click('#lang');
  await page.waitForFunction(() => document.querySelector('nav').textContent.includes('Alerts'));
  await page.waitForSelector('#map canvas');
  check((await page.textContent('main h1')).includes('Overview'), 'the pages switch to English');
  await shot(page, '08-overview-english');
  await page.click('#lang');
  await ctx.close();

  // ---- the grid worker on a phone
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'zh-CN' });
  const p2 = await phone.newPage();
  p2.on('pageerror', (e) => errors.push(p2.url() + ' ' + e.stack));
  await login(p2, 'wang');
  await p2.goto(args.base + '/#/alerts');
  // On a phone the first read of a person's data asks why, once a session.
  await p2.waitForSelector('#purpose-dialog input');
  await p2.fill('#purpose-dialog input', '电话核实密接');
  await shot(p2, '09a-grid-worker-purpose', false);
  await p2.click('#purpose-dialog button[type=submit]');
  await p2.waitForSelector('#alerts-table tbody tr');
  check((await p2.textContent('#purpose-chip')).includes('电话核实密接'), 'the purpose given is shown in the header');
  const header = await p2.evaluate(() => document.querySelector('header#top').getBoundingClientRect().height);
  check(header <= 60, `the header takes one line on a phone (${header}px)`);
  const grids = await p2.$$eval('#alerts-table tbody tr td:nth-child(4)', (tds) => [...new Set(tds.map((td) => td.textContent))]);
  check(grids.length === 1, `a grid worker sees one grid only (${grids})`);
  check(!(await p2.textContent('nav')).includes('追踪'), 'a grid worker has no trace menu');
  check(!(await p2.textContent('nav')).includes('实时接入'), 'a grid worker has no feeds menu');
  await shot(p2, '09-grid-worker-phone-alerts', false);
  await p2.goto(args.base + '/#/alert/' + encodeURIComponent(args.outsider));
  await p2.waitForSelector('.error');
  check((await p2.textContent('.error')).includes('不在您负责的网格'), "another grid's person is denied, in Chinese");
  await shot(p2, '10-grid-worker-denied');

  // A grid worker's day: today's tasks, accept, an outcome, a check-in with fever.
  await p2.goto(args.base + '/#/tasks');
  await p2.waitForSelector('#task-list .task');
  const taskGrids = await p2.$$eval('#task-list .task', (cards) => cards.length);
  check(taskGrids > 0, `the grid worker has ${taskGrids} tasks`);
  await shot(p2, '12-grid-worker-tasks', false);
  const first = await p2.getAttribute('#task-list .task:first-child', 'data-task');
  await p2.click(`[data-accept="${first}"]`);
  await p2.waitForFunction((id) => document.querySelector(`[data-task="${id}"] .state`)?.textContent === '处理中', first);
  check(true, 'a task is accepted');
  await p2.click(`[data-record="${first}"]`);
  await p2.selectOption(`[data-task="${first}"] select[name=outcome]`, 'home_isolation');
  await p2.fill(`[data-task="${first}"] input[name=isolation_until]`, '2099-01-14');
  await p2.fill(`[data-task="${first}"] input[name=note]`, '已电话告知');
  // A 1×1 PNG stands for the photo of a document.
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg==', 'base64');
  await p2.setInputFiles(`[data-task="${first}"] input[name=photo]`, { name: 'notice.png', mimeType: 'image/png', buffer: png });
  await shot(p2, '13-grid-worker-outcome', false);
  await p2.click(`[data-task="${first}"] .outcome-form button[type=submit]`);
  await p2.waitForFunction((id) => document.querySelector(`[data-task="${id}"] .state`)?.textContent === '居家隔离', first);
  check(true, 'home isolation is recorded');
  await p2.click(`[data-checkin="${first}"]`);
  await p2.fill(`[data-task="${first}"] input[name=temperature]`, '38.4');
  await p2.click(`[data-task="${first}"] .checkin-form button[type=submit]`);
  await p2.waitForFunction((id) => document.querySelector(`[data-task="${id}"] .state`)?.textContent === '待处理', first);
  check((await p2.textContent(`[data-task="${first}"]`)).includes('打卡发热'), 'a fever at check-in reopens the task');
  await p2.goto(args.base + '/#/task/' + first);
  await p2.waitForSelector('#task-history tr');
  check((await p2.textContent('#task-history')).includes('已电话告知'), "the task's history keeps the note");
  await p2.waitForFunction(() => { const i = document.querySelector('#task-photos img'); return i && i.complete && i.naturalWidth === 1; });
  check(true, 'the photo of the document is kept and shown');
  await shot(p2, '14-grid-worker-task-history');

  // The command centre adds an area; the open task list follows without a reload.
  await p2.goto(args.base + '/#/tasks');
  await p2.waitForSelector('#task-list .task');
  const centre = await browser.newContext();
  const loggedIn = await centre.request.post(args.base + '/api/session', { data: { username: 'analyst', password: args.password } });
  check(loggedIn.ok(), 'the analyst logs in beside');
  const area = await centre.request.post(args.base + '/api/areas', { data: { area_id: 'BROWSER-2', region_code: args.district, from: '2020-01-21' } });
  check(area.ok(), 'the analyst adds a second area');
  await p2.waitForSelector('#tasks-updated', { timeout: 15000 });
  check(true, "the grid worker's open list was updated by the server");
  await shot(p2, '15-grid-worker-live-update', false);
  await p2.goto(args.base + '/#/residents');
  await p2.waitForSelector('#households .household');
  check((await p2.$$('#households .household')).length > 0, "the grid worker sees their grid's households");
  await shot(p2, '17-grid-worker-households', false);
  await centre.close();
  await phone.close();

  // ---- the administrator reads the audit trail
  const adm = await browser.newContext({ viewport: { width: 1366, height: 860 } });
  const p3 = await adm.newPage();
  p3.on('pageerror', (e) => errors.push(p3.url() + ' ' + e.stack));
  await login(p3, 'admin');
  await p3.goto(args.base + '/#/audit');
  await p3.waitForSelector('#audit-table tbody tr');
  const audit = await p3.textContent('#audit-table');
  const actions = await p3.$$eval('#audit-table td[data-action]', (tds) => tds.map((td) => td.dataset.action));
  check(actions.includes('alert.reveal') || actions.includes('person.reveal'), 'the reveal is in the audit log');
  check(audit.includes('查看完整信息'), 'the actions are named in Chinese');
  check(audit.includes('wang'), "the grid worker's reads are in the audit log");
  check(audit.includes('电话核实密接'), "the grid worker's reads carry the purpose given on the phone");
  await shot(p3, '11-audit');
  await p3.goto(args.base + '/#/board');
  await p3.waitForSelector('#taskmap canvas');
  await p3.waitForSelector('#grid-tasks tbody tr');
  const closed = (await p3.textContent('[data-state="closed"]')).trim();
  check(/^\d[\d,]*$/.test(closed), `the task board counts tasks by state (${closed} closed)`);
  check((await p3.textContent('#queues')).includes('待分派任务'), 'the board shows the unrouted queue');
  await shot(p3, '16-task-board');
  check((await p3.textContent('nav')).includes('实时接入'), 'the administrator has the feeds menu');
  await adm.close();

  // ---- the analyst watches the live feeds. This server takes no broker: HTTP is up, MQTT and
  // NATS are not configured, and nothing has been fed yet.
  const fctx = await browser.newContext({ viewport: { width: 1366, height: 860 }, locale: 'zh-CN' });
  const p4 = await fctx.newPage();
  p4.on('pageerror', (e) => errors.push(p4.url() + ' ' + e.stack));
  await login(p4, 'analyst');
  await p4.click('nav a[href="#/feeds"]');
  await p4.waitForSelector('#routes .route');
  check((await p4.textContent('main h1')).includes('实时数据接入'), 'the feeds page opens from the menu');
  check(await p4.isVisible('.route.up[data-route="http"]'), 'the HTTP route is shown up');
  check(await p4.isVisible('.route.off[data-route="mqtt"]') && await p4.isVisible('.route.off[data-route="nats"]'),
    'MQTT and NATS are shown not configured');
  check(!(await p4.isVisible('.alarm')), 'no route is down');
  check(await p4.isVisible('#no-feeds') && await p4.isVisible('#no-rejects'), 'no feeds and no rejects yet, said so');
  await shot(p4, '18-feeds-empty');

  // A message of two rows over HTTP, one of them bad: the open page shows the feed at its next
  // refresh, without a reload, and offers the new reject.
  const fed = await fctx.request.post(args.base + '/api/v1/feeds/deliveries', {
    headers: { 'Content-Type': 'application/x-ndjson' },
    data: JSON.stringify({ recipient_phone: '13900000009', origin_region_code: args.district, shipped: '2020-01-21 09:00:00', record_id: 'BROWSER-FEED-1' }) + '\n'
      + JSON.stringify({ recipient_phone: '12345', origin_region_code: args.district, shipped: '2020-01-21 09:00:00', record_id: 'BROWSER-FEED-2' }) + '\n',
  });
  check(fed.ok(), `the analyst feeds two rows over HTTP (${fed.status()})`);
  const answer = await fed.json();
  check(answer.accepted === 1 && answer.rejected === 1, `one row accepted and one rejected (${JSON.stringify(answer)})`);
  await p4.waitForSelector('#feeds-table tbody tr[data-feed^="http analyst deliveries"]', { timeout: 15000 });
  const line = await p4.textContent('#feeds-table tbody tr[data-feed^="http analyst deliveries"]');
  check(line.includes('快递') && line.includes('HTTP'), 'the feed is listed with its route and kind');
  check(/刚刚|秒前/.test(line), 'its last message is a moment ago');
  await p4.waitForSelector('#show-new-rejects', { timeout: 15000 });
  await p4.click('#show-new-rejects');
  await p4.waitForSelector('#rejects-table tbody tr');
  const rejected = await p4.textContent('#rejects-table tbody tr:first-child code.rec');
  const rejectedLine = await p4.textContent('#rejects-table tbody tr:first-child td.num');
  check(rejected.includes('12345') && rejectedLine.trim() === '2', 'the rejected row is shown with its line and record');
  check((await p4.getAttribute('#rejects-csv', 'href')).startsWith('/api/feeds/rejects.csv'), 'the rejects can be downloaded as CSV');
  await p4.click('#feeds-table a[data-rejects]');
  await p4.waitForFunction(() => location.hash.includes('kind=deliveries'));
  await p4.waitForSelector('#rejects-table tbody tr');
  check((await p4.getAttribute('#rejects-csv', 'href')).includes('kind=deliveries'), "a feed's rejected count filters the rejects, and the CSV with them");
  await shot(p4, '19-feeds');
  await fctx.close();

  const fphone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'zh-CN' });
  const p5 = await fphone.newPage();
  p5.on('pageerror', (e) => errors.push(p5.url() + ' ' + e.stack));
  await login(p5, 'analyst');
  await p5.goto(args.base + '/#/feeds');
  await p5.waitForSelector('#feeds-table tbody tr');
  const wide = await p5.evaluate(() => document.documentElement.scrollWidth);
  check(wide <= 390, `the feeds page fits a phone's width (${wide}px)`);
  await shot(p5, '20-feeds-phone');
  await fphone.close();

  check(errors.length === 0, `no script errors (${errors.join('; ')})`);
  writeFileSync(join(args.out, 'PASSED'), new Date().toISOString());
} finally {
  await browser.close();
}
