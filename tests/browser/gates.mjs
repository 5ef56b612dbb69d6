// The gate and the resident in a real browser (Debian's headless Chromium, playwright-core).
// Started by tests/cli/browser.rs after run.mjs, on the same server:
//
// 1. the grid worker hands a resident a sign-in code; the resident signs in on a phone
//    (390×844) and sees their pass;
// 2. the pass's QR code, as the resident's page draws it, becomes the frames of a fake camera
//    (a Y4M file), and the gate guard's phone scans it: camera → jsQR → the verdict on screen,
//    timed, and the verdict must follow the resident's colour;
// 3. a visitor registers from the gate's poster (an invalid ID number first);
// 4. the scanner, the resident's page and the poster on a desktop too.
//
//   node gates.mjs --base URL --out DIR --password PW --resident PERSON --phone PHONE --gate GATE

import { chromium } from 'playwright-core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
for (const k of ['base', 'out', 'password', 'resident', 'phone', 'gate']) {
  if (!args[k]) throw new Error(`--${k} is required`);
}
mkdirSync(args.out, { recursive: true });
const check = (cond, what) => { if (!cond) throw new Error(`expected: ${what}`); console.log(`ok - ${what}`); };
const phone = { viewport: { width: 390, height: 844 }, locale: 'zh-CN' };
const desktop = { viewport: { width: 1440, height: 900 }, locale: 'zh-CN' };
const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const errors = [];
const watch = (page) => page.on('pageerror', (e) => errors.push(`${page.url()} ${e.stack}`));

async function login(page, user) {
  await page.goto(args.base + '/#/login');
  await page.fill('input[name=username]', user);
  await page.fill('input[name=password]', args.password);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#user:not(:empty)');
}

/** The QR code on the page as the Y plane of a 640×480 frame: white around, the code centred. */
async function framesOf(page) {
  return page.evaluate(async () => {
    const svg = document.querySelector('.code .qr svg');
    // A data: address, which the page's content security policy lets images load from.
    const url = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg.outerHTML)}`;
    const img = new Image();
    await new Promise((ok, bad) => { img.onload = ok; img.onerror = bad; img.src = url; });
    const [w, h, side] = [640, 480, 440];
    const c = document.createElement('canvas');
    c.width = w; c.height = h;
    const ctx = c.getContext('2d');
    ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, w, h);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(img, (w - side) / 2, (h - side) / 2, side, side);
    const rgba = ctx.getImageData(0, 0, w, h).data;
    const y = new Array(w * h);
    for (let i = 0; i < w * h; i += 1) y[i] = Math.round(0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2]);
    return y;
  });
}

function writeY4m(path, y, frames = 30) {
  const [w, h] = [640, 480];
  const header = Buffer.from(`YUV4MPEG2 W${w} H${h} F10:1 Ip A1:1 C420jpeg\n`);
  const luma = Buffer.from(y);
  const chroma = Buffer.alloc((w * h) / 2, 128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), luma, chroma]);
  writeFileSync(path, Buffer.concat([header, ...Array(frames).fill(frame)]));
}

const COLOURS = ['green', 'yellow', 'red'];
let status;
let y4m;
{
  const browser = await chromium.launch({ executablePath, args: flags });
  try {
    // The grid worker hands the resident a code (no SMS gateway here).
    const w = await browser.newContext(desktop);
    const r1 = await w.request.post(`${args.base}/api/session`, { data: { username: 'wang', password: args.password } });
    check(r1.ok(), 'the grid worker logs in');
    const issued = await w.request.post(`${args.base}/api/residents/${encodeURIComponent(args.resident)}/login-code`, { data: {} });
    check(issued.ok(), `the grid worker makes a sign-in code for ${args.resident}`);
    const { code } = await issued.json();

    // The resident signs in on their phone; a wrong code first.
    const rp = await (await browser.newContext(phone)).newPage();
    watch(rp);
    await rp.goto(`${args.base}/me`);
    await rp.waitForSelector('#ask');
    await rp.screenshot({ path: join(args.out, 'g01-resident-login-phone.png') });
    await rp.fill('#ask [name=phone]', args.phone);
    await rp.fill('#in [name=code]', code === '000000' ? '111111' : '000000');
    await rp.click('#in button[type=submit]');
    await rp.waitForSelector('#msg .err');
    check((await rp.textContent('#msg .err')).includes('验证码'), 'a wrong code is refused in words');
    await rp.fill('#in [name=code]', code);
    await rp.click('#in button[type=submit]');
    await rp.waitForSelector('.code[data-status]');
    status = await rp.getAttribute('.code[data-status]', 'data-status');
    check(COLOURS.includes(status), `the resident sees their pass (${status})`);
    check((await rp.textContent('.code .why')).length > 4, 'the pass says why');
    await rp.screenshot({ path: join(args.out, 'g02-resident-pass-phone.png'), fullPage: true });
    y4m = join(args.out, 'pass.y4m');
    writeY4m(y4m, await framesOf(rp));

    // The same code a second time is refused.
    const again = await rp.request.post(`${args.base}/api/resident/session`, { data: { phone: args.phone, code } });
    check(again.status() === 400, 'a code works once');

    // The resident's page on a desktop.
    const rd = await (await browser.newContext(desktop)).newPage();
    watch(rd);
    await rd.goto(`${args.base}/me`);
    await rd.waitForSelector('#ask');
    await rd.screenshot({ path: join(args.out, 'g03-resident-login-desktop.png') });
  } finally {
    await browser.close();
  }
}

// The guard's phone, its camera filming the resident's pass.
const browser = await chromium.launch({
  executablePath,
  args: [...flags, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${y4m}`],
});
try {
  const g = await browser.newContext({ ...phone, permissions: ['camera'] });
  const gp = await g.newPage();
  watch(gp);
  await login(gp, 'guard');
  await gp.waitForSelector('.gatepage');
  const opened = Date.now();
  await gp.waitForSelector('#verdict [data-verdict]', { timeout: 20000 });
  const verdict = await gp.getAttribute('#verdict [data-verdict]', 'data-verdict');
  const reason = await gp.textContent('#verdict .reason');
  check(verdict === (status === 'green' ? 'admit' : 'refuse'), `the camera's pass is ${verdict === 'admit' ? 'admitted' : 'refused'} as its ${status} colour says (${reason})`);
  const decodedToVerdict = await gp.evaluate(() => window.lastScanMs);
  const openToVerdict = Date.now() - opened;
  console.log(`scan timing: QR decoded → verdict on screen ${Math.round(decodedToVerdict)} ms; scanner open → verdict ${openToVerdict} ms`);
  writeFileSync(join(args.out, 'scan-timing.json'), JSON.stringify({ decoded_to_verdict_ms: decodedToVerdict, open_to_verdict_ms: openToVerdict }));
  const top = await gp.evaluate(() => document.querySelector('#verdict').getBoundingClientRect().top);
  check(top < 400, `the verdict is in the upper half of a phone's screen (${Math.round(top)} px)`);
  await gp.screenshot({ path: join(args.out, 'g04-gate-scan-phone.png') });

  // A forged pass typed in by hand: refused, naming no one.
  await gp.click('details summary');
  await gp.fill('#manual textarea', 'eyJhbGciOiJFZERTQSIsImtpZCI6Im5vcGUifQ.eyJzdWIiOiJQMSJ9.AAAA');
  await gp.click('#manual button');
  const forged = await (await gp.waitForFunction(() => {
    const v = document.querySelector('#verdict [data-reason]');
    return v && v.dataset.reason === 'unknown_key' && v.textContent;
  })).jsonValue();
  check(!forged.includes('本小区'), 'a pass of an unknown key is refused and names no one');
  await gp.screenshot({ path: join(args.out, 'g05-gate-forged-phone.png') });

  const gd = await (await browser.newContext({ ...desktop, permissions: ['camera'] })).newPage();
  watch(gd);
  await login(gd, 'guard');
  await gd.waitForSelector('#verdict [data-verdict]', { timeout: 20000 });
  await gd.screenshot({ path: join(args.out, 'g06-gate-scan-desktop.png') });

  // A visitor registers from the poster: an invalid ID number is told what to fix.
  const vp = await (await browser.newContext(phone)).newPage();
  watch(vp);
  await vp.goto(`${args.base}/visit?gate=${encodeURIComponent(args.gate)}`);
  await vp.waitForSelector('#visit');
  await vp.fill('[name=name]', '李四');
  await vp.fill('[name=id_number]', '330802199001011235');
  await vp.fill('[name=phone]', '13900002222');
  await vp.fill('[name=came_from]', '武汉');
  await vp.click('#visit button[type=submit]');
  await vp.waitForSelector('#out .err');
  check((await vp.textContent('#out .err')).includes('身份证'), 'an invalid ID number is refused with what to fix');
  await vp.screenshot({ path: join(args.out, 'g07-visit-refused-phone.png'), fullPage: true });
  await vp.fill('[name=id_number]', '11010519491231002X');
  await vp.click('#visit button[type=submit]');
  await vp.waitForSelector('#vcode');
  check((await vp.textContent('#vcode')).trim().length === 6, 'the visitor gets a six-character code');
  await vp.screenshot({ path: join(args.out, 'g08-visit-done-phone.png'), fullPage: true });
  await gp.reload();
  await gp.waitForSelector('#visitors table');
  check((await gp.textContent('#visitors')).includes('李'), "the guard's page lists the visitor");
  await gp.screenshot({ path: join(args.out, 'g09-gate-visitors-phone.png'), fullPage: true });

  const pd = await (await browser.newContext(desktop)).newPage();
  watch(pd);
  await pd.goto(`${args.base}/visit?gate=${encodeURIComponent(args.gate)}&poster=1`);
  await pd.waitForSelector('.poster svg');
  await pd.screenshot({ path: join(args.out, 'g10-poster-desktop.png'), fullPage: true });

  check(errors.length === 0, `no script errors (${errors.join('; ')})`);
  writeFileSync(join(args.out, 'GATES-PASSED'), new Date().toISOString());
} finally {
  await browser.close();
}
