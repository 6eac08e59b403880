import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionSimulatedPay } from '../../src/demo-pay.ts';
import { hasChromium, launchBrowser, signInConsole } from '../support/browser.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { connectAccount, fan } from '../support/wechat-fan.ts';

const SHOTS = 'test-results/screenshots';
const port = 21_000 + Math.floor(Math.random() * 20_000);
const base = `http://127.0.0.1:${port}`;

describe.skipIf(!hasChromium)('marketing in a browser', { timeout: 60_000 }, () => {
  let t: TestApp;
  let browser: Browser;
  let appid: string;
  let owner: string;
  let dress: string;
  let deal: string;
  let store: string;
  const errors: string[] = [];
  let login: { email: string; password: string };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    t = await createTestApp({ port, publicUrl: base, wechatApiBase: `${base}/sim` });
    const m = await t.merchant('browser-marketing');
    owner = m.token;
    login = m;
    appid = (await connectAccount(t, owner)).appid;
    await provisionSimulatedPay(t.deps, m.id, { codEnabled: false });
    dress = (
      await t.call(owner, 'POST', '/api/v1/products', {
        title: '真丝衬衫',
        status: 'on_sale',
        skus: [{ spec: { 尺码: 'M' }, price: 29_900, stock: 20 }],
      })
    ).body.id;
    store = (
      await t.call(owner, 'POST', '/api/v1/stores', {
        name: '人民广场店',
        address: '南京东路 100 号',
        city: '上海',
        latitude: 31.23,
        longitude: 121.47,
      })
    ).body.id;
    deal = (
      await t.call(owner, 'POST', '/api/v1/products', {
        kind: 'deal',
        title: '单人咖啡套餐',
        city: '上海',
        status: 'on_sale',
        store_ids: [store],
        skus: [{ spec: {}, price: 1_900, stock: 50 }],
      })
    ).body.id;
    await t.app.listen({ port, host: '127.0.0.1' });
    t.worker.start();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function phone(openid: string | null): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    if (openid) {
      // Playing a fan takes a console sign-in of the merchant that owns the account.
      await signInConsole(context, base, login);
      await context.addCookies([{ name: 'sim_fan', value: openid, url: base }]);
    }
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    return page;
  }

  async function payOnPage(page: Page) {
    await page.click('#pay');
    await page.waitForSelector('#confirm-pay');
    const amount = await page.textContent('.sheet .amount');
    await page.click('#confirm-pay');
    await page.waitForURL(/\/orders\/ord_/);
    return amount;
  }

  it('claim a 0.1-yuan coupon, and the first order costs ¥0.10', async () => {
    const campaign = (
      await t.call(owner, 'POST', '/api/v1/coupon-campaigns', {
        name: '新人首单 1 毛钱',
        kind: 'first_order',
        value: 10,
        total_limit: 1000,
        valid_days: 7,
      })
    ).body.id;
    await fan(t, appid, 'o_newbie', { type: 'subscribe' });
    const page = await phone('o_newbie');
    await page.goto(`${base}/shop/${appid}/coupons/${campaign}`);
    await page.screenshot({ path: `${SHOTS}/m1-coupon-claim.png` });
    await page.click('#claim');
    await page.locator('#claim', { hasText: '已领取' }).waitFor();

    await page.goto(`${base}/shop/${appid}/products/${dress}`);
    expect(await page.textContent('#coupon')).toContain('-¥298.90');
    expect(await page.textContent('#pay')).toBe('微信支付 ¥0.10');
    await page.fill('input[name="name"]', '赵六');
    await page.fill('input[name="phone"]', '13600136000');
    await page.fill('input[name="region"]', '上海市黄浦区');
    await page.fill('input[name="detail"]', '人民大道 1 号');
    await page.screenshot({ path: `${SHOTS}/m2-product-with-coupon.png` });
    expect(await payOnPage(page)).toBe('¥0.10');
    await page.locator('#status', { hasText: '支付成功' }).waitFor();
    const body = await page.textContent('main');
    expect(body).toContain('优惠 -¥298.90');
    expect(body).toContain('¥0.10');
    await page.screenshot({ path: `${SHOTS}/m3-order-0.10.png` });
  });

  it('pay a deal → voucher in chat → the clerk page redeems it → the fan sees it redeemed', async () => {
    await fan(t, appid, 'o_coffee', { type: 'subscribe' });
    const page = await phone('o_coffee');
    await page.goto(`${base}/shop/${appid}/products/${deal}`);
    await payOnPage(page);
    const orderUrl = page.url();
    // The voucher arrives in chat with its code.
    let code = '';
    for (let i = 0; i < 50 && !code; i++) {
      const chat = t.simulator!.sim.fan(appid, 'o_coffee').transcript.filter((e) => e.via === 'custom');
      code = /(\d{4} \d{4} \d{4})/.exec(chat.map((e) => String(e.message.content)).join('\n'))?.[1] ?? '';
      if (!code) await new Promise((r) => setTimeout(r, 100));
    }
    expect(code).not.toBe('');
    await page.reload();
    expect(await page.textContent('.voucher')).toContain('待使用');
    expect(await page.locator('.voucher svg').count()).toBe(1);
    await page.screenshot({ path: `${SHOTS}/m4-voucher.png`, fullPage: true });

    // A clerk of this store signs in on the phone and redeems with one tap.
    const clerk = (
      await t.call(owner, 'POST', '/api/v1/members', {
        email: 'clerk@shop.test',
        password: 'clerk-pass-1',
        role: 'clerk',
      })
    ).body;
    await t.call(owner, 'PUT', `/api/v1/clerks/${clerk.user_id}/store`, { store_id: store });
    const desk = await phone(null);
    await desk.goto(`${base}/clerk`);
    await desk.fill('#login input[name="email"]', 'clerk@shop.test');
    await desk.fill('#login input[name="password"]', 'clerk-pass-1');
    await desk.click('#sign-in');
    await desk.waitForSelector('#desk:not([hidden])');
    expect(await desk.textContent('#store')).toBe('人民广场店');
    const started = Date.now();
    await desk.fill('#code', code);
    await desk.click('#lookup button:not([type])');
    await desk.locator('#redeem').waitFor({ state: 'visible' });
    expect(await desk.textContent('#result')).toContain('单人咖啡套餐');
    await desk.screenshot({ path: `${SHOTS}/m5-clerk-check.png` });
    await desk.click('#redeem');
    await desk.locator('#result', { hasText: '核销成功' }).waitFor();
    const scanToRedeemedMs = Date.now() - started;
    await desk.screenshot({ path: `${SHOTS}/m6-clerk-redeemed.png` });
    expect(await desk.locator('#redeem').isVisible()).toBe(false);
    expect(scanToRedeemedMs).toBeLessThan(1000);

    await page.goto(orderUrl);
    expect(await page.textContent('.voucher')).toContain('已核销');
    expect(errors).toEqual([]);
  });
});
