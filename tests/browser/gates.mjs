// The gate and the resident in a real browser: a guard's phone with a fake camera showing a
// resident's pass (a Y4M file of its QR code) scans it end to end; a resident signs in with a
// one-time code and sees their pass; a visitor registers from the gate's poster. Screenshots go
// to --out; every step asserts what the user would see.
//
//   node gates.mjs --base URL --out DIR --password PW --y4m FILE --phone PHONE --code CODE --gate GATE

import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
for (const k of ['base', 'out', 'password', 'y4m', 'phone', 'code', 'gate']) {
  if (!args[k]) throw new Error(`--${k} is required`);
}
mkdirSync(args.out, { recursive: true });
const check = (cond, what) => { if (!cond) throw new Error(`expected: ${what}`); console.log(`ok - ${what}`); };
const phone = { viewport: { width: 390, height: 844 }, locale: 'zh-CN', deviceScaleFactor: 1 };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${args.y4m}`],
});
const errors = [];
try {
  // The guard's phone: the camera sees the pass; the verdict comes up.
  const g = await browser.newContext({ ...phone, permissions: ['camera'] });
  const gp = await g.newPage();
  gp.on('pageerror', (e) => errors.push(e.stack));
  await gp.goto(args.base + '/#/login');
  await gp.fill('input[name=username]', 'guard');
  await gp.fill('input[name=password]', args.password);
  await gp.click('#login-form button[type=submit]');
  await gp.waitForSelector('.gatepage');
  const started = Date.now();
  await gp.waitForSelector('#verdict [data-verdict]', { timeout: 20000 });
  const scanned = Date.now() - started;
  const v = await gp.getAttribute('#verdict [data-verdict]', 'data-verdict');
  const reason = await gp.textContent('#verdict .reason');
  check(['admit', 'refuse'].includes(v) && reason.length > 2, `the camera's pass got a verdict: ${v} (${reason})`);
  const ms = await gp.evaluate(() => window.lastScanMs);
  console.log(`scan: QR decoded to verdict ${Math.round(ms)} ms; page open to verdict ${scanned} ms`);
  await gp.screenshot({ path: join(args.out, 'gate-phone.png') });

  // The resident signs in with the code and sees the pass.
  const r = await browser.newContext(phone);
  const rp = await r.newPage();
  rp.on('pageerror', (e) => errors.push(e.stack));
  await rp.goto(args.base + '/me');
  await rp.waitForSelector('#ask');
  await rp.screenshot({ path: join(args.out, 'resident-login.png') });
  await rp.fill('#ask [name=phone]', args.phone);
  await rp.fill('#in [name=code]', args.code);
  await rp.click('#in button[type=submit]');
  await rp.waitForSelector('.code[data-status]');
  const status = await rp.getAttribute('.code[data-status]', 'data-status');
  check(['green', 'yellow', 'red'].includes(status), `the resident sees their pass (${status})`);
  check(await rp.$('.code .qr svg') !== null, 'the pass has its QR code');
  await rp.screenshot({ path: join(args.out, 'resident-pass.png'), fullPage: true });

  // A visitor registers from the poster; an invalid ID number is refused in words.
  const vp = await (await browser.newContext(phone)).newPage();
  vp.on('pageerror', (e) => errors.push(e.stack));
  await vp.goto(`${args.base}/visit?gate=${encodeURIComponent(args.gate)}`);
  await vp.waitForSelector('#visit');
  await vp.fill('[name=name]', '李四');
  await vp.fill('[name=id_number]', '330802199001011235');
  await vp.fill('[name=phone]', '13900002222');
  await vp.fill('[name=came_from]', '武汉');
  await vp.click('#visit button[type=submit]');
  await vp.waitForSelector('#out .err');
  check((await vp.textContent('#out .err')).includes('身份证'), 'an invalid ID number is refused with what to fix');
  await vp.screenshot({ path: join(args.out, 'visit-refused.png'), fullPage: true });
  await vp.fill('[name=id_number]', '11010519491231002X');
  await vp.click('#visit button[type=submit]');
  await vp.waitForSelector('#vcode');
  check((await vp.textContent('#vcode')).length === 6, 'the visitor gets a six-character code');
  await vp.screenshot({ path: join(args.out, 'visit-done.png'), fullPage: true });
  await vp.goto(`${args.base}/visit?gate=${encodeURIComponent(args.gate)}&poster=1`);
  await vp.waitForSelector('.poster svg');
  await vp.screenshot({ path: join(args.out, 'poster.png'), fullPage: true });
  check(errors.length === 0, `no script errors (${errors.join('; ')})`);
} finally {
  await browser.close();
}
