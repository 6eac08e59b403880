import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionSimulatedPay } from '../../src/demo-pay.ts';
import { hasChromium, launchBrowser, signInConsole } from '../support/browser.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { connectAccount, fan } from '../support/wechat-fan.ts';

const SHOTS = 'test-results/screenshots';
const port = 21_000 + Math.floor(Math.random() * 20_000);
const base = `http://127.0.0.1:${port}`;

describe.skipIf(!hasChromium)('a flash sale in a browser', { timeout: 60_000 }, () => {
  let t: TestApp;
  let browser: Browser;
  let appid: string;
  let owner: string;
  const errors: string[] = [];
  let login: { email: string; password: string };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    t = await createTestApp({ port, publicUrl: base, wechatApiBase: `${base}/sim` });
    const m = await t.merchant('browser-flash');
    owner = m.token;
    login = m;
    appid = (await connectAccount(t, owner)).appid;
    await provisionSimulatedPay(t.deps, m.id, { codEnabled: false });
    await t.app.listen({ port, host: '127.0.0.1' });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('reserve → reminder in chat → the sale opens → buy → pay → paid notice', async () => {
    const product = (
      await t.call(owner, 'POST', '/api/v1/products', {
        title: '旗舰手机',
        status: 'on_sale',
        skus: [{ spec: {}, price: 199_900, stock: 10 }],
      })
    ).body;
    const opens = t.clock.now() + 120_000;
    const sale = (
      await t.call(owner, 'POST', '/api/v1/flash-sales', {
        title: '旗舰手机首发',
        product_id: product.id,
        sku_id: product.skus[0].id,
        price: 99_900,
        stock: 3,
        opens_at: opens,
        closes_at: opens + 3_600_000,
        requires_reservation: true,
        remind_before_minutes: 1,
      })
    ).body.id;
    await fan(t, appid, 'o_rush', { type: 'subscribe' });
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    // Playing a fan takes a console sign-in of the merchant that owns the account.
    await signInConsole(context, base, login);
    await context.addCookies([{ name: 'sim_fan', value: 'o_rush', url: base }]);
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));

    await page.goto(`${base}/shop/${appid}/flash/${sale}`);
    await page.click('#reserve');
    await page.locator('#message', { hasText: '预约成功' }).waitFor();
    await page.screenshot({ path: `${SHOTS}/f1-reserved.png` });

    t.clock.advance(61_000);
    await t.worker.drain();
    const reminder = t
      .simulator!.sim.fan(appid, 'o_rush')
      .transcript.filter((e) => e.via === 'custom')
      .map((e) => String(e.message.content))
      .find((c) => c.includes('开抢'));
    expect(reminder).toContain(`/flash/${sale}`);

    // A second and a half before the opening, on the server's clock: the page counts down.
    t.clock.advance(opens - t.clock.now() - 1_500);
    await page.reload();
    expect(await page.textContent('#buy')).toBe('即将开抢');
    await page.fill('input[name="name"]', '孙七');
    await page.fill('input[name="phone"]', '13500135000');
    await page.fill('input[name="region"]', '北京市海淀区');
    await page.fill('input[name="detail"]', '清河中街 68 号');
    await page.screenshot({ path: `${SHOTS}/f2-countdown.png` });
    t.clock.advance(1_500);
    await page.locator('#buy:not([disabled])').waitFor({ timeout: 5_000 });
    await page.click('#buy');
    await page.waitForURL(/\/orders\/ord_/);
    expect(await page.textContent('main')).toContain('¥999.00');
    await page.click('#pay');
    await page.click('#confirm-pay');
    await page.locator('#status', { hasText: '支付成功' }).waitFor();
    await page.screenshot({ path: `${SHOTS}/f3-paid.png` });
    await t.worker.drain();
    const notices = t.simulator!.sim.fan(appid, 'o_rush').transcript.filter((e) => e.via === 'template');
    expect(notices.at(-1)?.message.templateId).toBe('TM_ORDER_PAID');
    const board = (await t.call(owner, 'GET', `/api/v1/flash-sales/${sale}/board`)).body;
    expect(board).toMatchObject({ sold: 1, paid: 1, reservations: 1 });
    expect(errors).toEqual([]);
  });
});
