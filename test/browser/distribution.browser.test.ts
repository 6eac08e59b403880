import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionSimulatedPay } from '../../src/demo-pay.ts';
import { transfersTo } from '../../src/simulator/transfers.ts';
import { hasChromium, launchBrowser, signInConsole } from '../support/browser.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { connectAccount } from '../support/wechat-fan.ts';

const SHOTS = 'test-results/screenshots';
const port = 21_000 + Math.floor(Math.random() * 20_000);
const base = `http://127.0.0.1:${port}`;
const DAY = 86_400_000;

describe.skipIf(!hasChromium)('distribution: phone and console', { timeout: 300_000 }, () => {
  let t: TestApp;
  let browser: Browser;
  let owner: { id: string; email: string; password: string; token: string };
  let appid: string;
  let productId: string;
  const errors: string[] = [];

  const phone = async (openid: string): Promise<BrowserContext> => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    // Playing a fan in the simulator takes the owner's console sign-in.
    await signInConsole(context, base, owner);
    await context.addCookies([{ name: 'sim_fan', value: openid, url: base }]);
    return context;
  };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const built = spawnSync(process.execPath, ['scripts/build-console.ts'], { stdio: 'inherit' });
    if (built.status !== 0) throw new Error('console build failed');
    t = await createTestApp({ port, publicUrl: base, wechatApiBase: `${base}/sim` });
    owner = await t.merchant('browser-distribution');
    appid = (await connectAccount(t, owner.token)).appid;
    await provisionSimulatedPay(t.deps, owner.id, { codEnabled: false });
    productId = (
      await t.call(owner.token, 'POST', '/api/v1/products', {
        title: '真丝围巾',
        status: 'on_sale',
        skus: [{ spec: {}, price: 30_000, stock: 20 }],
      })
    ).body.id;
    const saved = await t.call(owner.token, 'PUT', '/api/v1/growth/distribution/settings', {
      enabled: true,
      join_mode: 'open',
      levels: 2,
      binding_days: 30,
      rebind_after_expiry: true,
      refund_window_days: 7,
      default_kind: 'percent',
      default_level1: 1000,
      default_level2: 500,
      min_withdrawal: 100,
      burst_buyers: 0,
      burst_minutes: 10,
    });
    expect(saved.status).toBe(200);
    await t.app.listen({ port, host: '127.0.0.1' });
    t.worker.start();
    browser = await launchBrowser();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('become a distributor → share the link → a friend buys → pending → settled → withdraw → owner approves → paid', async () => {
    const promoter = await phone('o_promoter');
    const me = await promoter.newPage();
    me.on('pageerror', (e) => errors.push(e.message));
    await me.goto(`${base}/shop/${appid}/distribution`);
    await me.click('#join');
    await me.locator('#link').waitFor();
    const link = (await me.textContent('#link'))!.trim();
    expect(link).toContain(`/shop/${appid}/d/`);
    expect(await me.textContent('#balance')).toBe('¥0.00');

    // The friend opens the shared link (to the scarf) on their own phone and pays.
    const friend = await phone('o_friend');
    const shop = await friend.newPage();
    shop.on('pageerror', (e) => errors.push(e.message));
    await shop.goto(`${link}?p=${productId}`);
    await shop.waitForURL(new RegExp(`/products/${productId}`));
    await shop.fill('input[name="name"]', '赵六');
    await shop.fill('input[name="phone"]', '13600136000');
    await shop.fill('input[name="region"]', '杭州市西湖区');
    await shop.fill('input[name="detail"]', '文三路 8 号');
    await shop.click('#pay');
    await shop.waitForSelector('#confirm-pay');
    await shop.click('#confirm-pay');
    await shop.waitForURL(/\/orders\/ord_/);

    // 10 % of ¥300 waits for the refund window.
    await expect
      .poll(
        async () => {
          await me.goto(`${base}/shop/${appid}/distribution`);
          return me.textContent('#pending');
        },
        { timeout: 15_000 },
      )
      .toBe('¥30.00');
    await me.screenshot({ path: `${SHOTS}/distribution-pending.png`, fullPage: true });

    t.clock.advance(7 * DAY + 1_000);
    await t.worker.drain();
    await me.goto(`${base}/shop/${appid}/distribution`);
    expect(await me.textContent('#balance')).toBe('¥30.00');
    expect(await me.textContent('#pending')).toBe('¥0.00');
    expect(await me.textContent('#ledger')).toContain('佣金结算');
    await me.click('#withdraw');
    await expect.poll(() => me.textContent('#withdrawals'), { timeout: 10_000 }).toContain('待审核');
    expect(await me.textContent('#balance')).toBe('¥0.00');

    // The owner approves in the console; WeChat Pay's transfer (simulated 商家转账) pays it.
    const consoleContext = await browser.newContext({
      viewport: { width: 1400, height: 900 },
      locale: 'zh-CN',
    });
    await signInConsole(consoleContext, base, owner);
    const admin = await consoleContext.newPage();
    admin.on('pageerror', (e) => errors.push(e.message));
    await admin.goto(`${base}/console/#/distribution`);
    await admin.getByRole('tab', { name: '分销员' }).waitFor();
    await expect.poll(() => admin.locator('.ant-table-row').count(), { timeout: 10_000 }).toBe(1);
    expect(await admin.locator('.ant-table-row').first().textContent()).toContain('o_promoter');
    await admin.getByRole('tab', { name: '关系树' }).click();
    await admin.locator('[data-testid="distributor-tree"]').waitFor();
    await admin.getByRole('tab', { name: '佣金' }).click();
    await admin.getByText('已结算').first().waitFor();
    await admin.getByRole('tab', { name: '提现审核' }).click();
    await admin.getByRole('button', { name: '通过并打款' }).click();
    // Paying, or already paid: the worker runs the transfer as soon as the approval commits.
    await admin
      .getByText(/^(打款中|已到账)$/)
      .first()
      .waitFor();
    await admin.screenshot({ path: `${SHOTS}/distribution-console.png`, fullPage: true });
    await t.worker.drain();
    expect(transfersTo(t.simulator!.sim, 'o_promoter').map((x) => x.amount)).toEqual([3_000]);
    await me.goto(`${base}/shop/${appid}/distribution`);
    expect(await me.textContent('#withdrawals')).toContain('已到账');
    await me.screenshot({ path: `${SHOTS}/distribution-paid.png`, fullPage: true });

    // English console.
    await admin.getByRole('button', { name: 'English' }).click();
    await admin.getByRole('tab', { name: 'Withdrawals' }).waitFor();
    await admin.getByRole('tab', { name: 'Settings' }).click();
    await admin.getByText('Levels (two at most)').waitFor();
    await admin.screenshot({ path: `${SHOTS}/distribution-settings-en.png`, fullPage: true });
    expect(errors).toEqual([]);
  });
});
