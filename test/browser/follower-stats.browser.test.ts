import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rollupTail, runDaily } from '../../src/modules/analytics/index.ts';
import { manualClock } from '../../src/platform/clock.ts';
import { createSimulatorState } from '../../src/simulator/simulator.ts';
import { hasChromium, launchBrowser, signInConsole } from '../support/browser.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { connectAccount, fan } from '../support/wechat-fan.ts';

const SHOTS = 'test-results/screenshots';
const port = 21_000 + Math.floor(Math.random() * 20_000);
const base = `http://127.0.0.1:${port}`;
const DAY = 86_400_000;

describe.skipIf(!hasChromium)('follower analytics in the console', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let phone: Page;
  const errors: string[] = [];
  // The follows happen at noon "yesterday" (China time), so WeChat's datacube (yesterday and
  // before) has them too.
  const yesterday = new Date(Date.now() - DAY + 8 * 3_600_000).toISOString().slice(0, 10);
  const clock = manualClock(Date.parse(`${yesterday}T12:00:00+08:00`));
  let owner: { id: string; email: string; password: string; token: string };
  let account: { id: string; appid: string };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const built = spawnSync(process.execPath, ['scripts/build-console.ts'], { stdio: 'inherit' });
    if (built.status !== 0) throw new Error('console build failed');
    t = await createTestApp(
      { port, publicUrl: base, wechatApiBase: `${base}/sim` },
      { clock, simulator: createSimulatorState({ now: clock.now }) },
    );
    owner = await t.merchant('follower-stats');
    account = await connectAccount(t, owner.token);
    await t.app.listen({ port, host: '127.0.0.1' });
    browser = await launchBrowser();
    page = await (
      await browser.newContext({
        viewport: { width: 1400, height: 1000 },
        locale: 'zh-CN',
        acceptDownloads: true,
      })
    ).newPage();
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    const phoneContext = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    await signInConsole(phoneContext, base, owner);
    phone = await phoneContext.newPage();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('a fan follows and unfollows on the phone, others scan a QR code; the page shows ours and WeChat’s figures', async () => {
    const poster = (
      await t.call(owner.token, 'POST', '/api/v1/qrcodes', { account_id: account.id, name: '地铁海报' })
    ).body;
    // Five fans from well before the range: the 30 days start with 5 followers.
    const now = clock.now();
    clock.set(now - 40 * DAY);
    for (let i = 1; i <= 5; i++) await fan(t, account.appid, `o_early_${i}`, { type: 'subscribe' });
    clock.set(now);
    for (const openid of ['o_poster_1', 'o_poster_2', 'o_poster_3'])
      await fan(t, account.appid, openid, { type: 'scan', ticket: poster.ticket });

    await phone.goto(`${base}/sim/phone?appid=${account.appid}`);
    await phone.fill('#openid', 'o_phone_fan');
    await phone.press('#openid', 'Enter');
    await phone.click('#follow:has-text("关注")');
    await phone.waitForSelector('#follow:has-text("取消关注")');
    clock.advance(3_600_000);
    await phone.click('#follow:has-text("取消关注")');
    await phone.waitForSelector('#follow:text-is("关注")');
    await phone.screenshot({ path: `${SHOTS}/follower-stats1-phone.png` });

    // A day later the daily job runs: the rollups are current, WeChat's figures pulled beside them.
    clock.set(Date.now());
    await rollupTail(t.deps)();
    await runDaily(t.deps);

    await page.goto(`${base}/console/`);
    await page.fill('#email', owner.email);
    await page.fill('#password', owner.password);
    await page.click('button[type="submit"]');
    await page.waitForSelector('.ant-layout-sider');
    await page.goto(`${base}/console/#/follower-stats`);
    await page.waitForSelector('.by-qrcode td:has-text("地铁海报")');
    const qrRow = page.locator('.by-qrcode tr:has-text("地铁海报")');
    await expect(qrRow.locator('td').nth(1).textContent()).resolves.toBe('3');
    const directRow = page.locator('.by-qrcode tr:has-text("直接关注")');
    // The phone fan followed (new 1) and left (lost 1).
    await expect(directRow.locator('td').nth(1).textContent()).resolves.toBe('1');
    // 5 → 8 followers over the range: +60%, past the seeds' 20% bar.
    await expect(page.locator('.compound-growth .ant-statistic-content').textContent()).resolves.toBe(
      '60.0%',
    );
    await expect(directRow.locator('td').nth(2).textContent()).resolves.toBe('1');
    await expect(
      page.locator('.ant-statistic:has-text("取关") .ant-statistic-content').first().textContent(),
    ).resolves.toBe('1');
    // WeChat's cumulative for yesterday (8 following) beside ours; 4 new and 1 lost that day.
    const wechatRow = page.locator(`.wechat-figures tr:has-text("${yesterday}")`);
    await expect(wechatRow.locator('td').nth(1).textContent()).resolves.toBe('8');
    await expect(wechatRow.locator('td').nth(2).textContent()).resolves.toBe('8');
    await expect(wechatRow.locator('td').nth(3).textContent()).resolves.toBe('4');
    await expect(wechatRow.locator('td').nth(4).textContent()).resolves.toBe('1');
    await expect(page.locator('canvas').count()).resolves.toBeGreaterThanOrEqual(3);
    await page.waitForTimeout(500);
    await page.screenshot({ path: `${SHOTS}/follower-stats2-console.png`, fullPage: true });

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('.ant-card:has-text("渠道二维码") button:has-text("导出 CSV")').click(),
    ]);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv).toContain('地铁海报,3,0,3');
    expect(errors).toEqual([]);
  }, 120_000);
});
