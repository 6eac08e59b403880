import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionSimulatedPay } from '../../src/demo-pay.ts';
import { hasChromium, launchBrowser, signInConsole } from '../support/browser.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { connectAccount, fan } from '../support/wechat-fan.ts';

const SHOTS = 'test-results/screenshots';
const port = 21_000 + Math.floor(Math.random() * 20_000);

describe.skipIf(!hasChromium)('buying from chat in a browser', { timeout: 60_000 }, () => {
  let t: TestApp;
  let browser: Browser;
  let appid: string;
  let merchantToken: string;
  let login: { email: string; password: string };
  const errors: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    t = await createTestApp({
      port,
      publicUrl: `http://127.0.0.1:${port}`,
      wechatApiBase: `http://127.0.0.1:${port}/sim`,
    });
    const m = await t.merchant('browser-shop');
    merchantToken = m.token;
    login = m;
    appid = (await connectAccount(t, m.token)).appid;
    await provisionSimulatedPay(t.deps, m.id, { codEnabled: true });
    await t.call(m.token, 'POST', '/api/v1/products', {
      title: '法式碎花雪纺连衣裙',
      subtitle: '春夏新款 收腰显瘦',
      category: '女装/连衣裙',
      status: 'on_sale',
      skus: [
        { spec: { 尺码: 'M' }, price: 19900, original_price: 29900, stock: 20 },
        { spec: { 尺码: 'L' }, price: 19900, original_price: 29900, stock: 20 },
      ],
    });
    await t.app.listen({ port, host: '127.0.0.1' });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function phone(openid: string): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 1,
      locale: 'zh-CN',
    });
    // The simulator's WeChat knows which fan holds the phone (playing a fan takes the merchant's console).
    await signInConsole(context, `http://127.0.0.1:${port}`, login);
    await context.addCookies([{ name: 'sim_fan', value: openid, url: `http://127.0.0.1:${port}` }]);
    const page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    return page;
  }

  /** The fan sends a product word; the account answers with a card and a list; returns the first product link. */
  async function productLinkFromChat(openid: string): Promise<string> {
    const { reply } = await fan(t, appid, openid, { type: 'text', content: '连衣裙' });
    expect(reply?.type).toBe('news');
    await t.worker.drain();
    const list = t
      .simulator!.sim.fan(appid, openid)
      .transcript.filter((e) => e.via === 'custom')
      .at(-1);
    const link = /href="([^"]+\/products\/prd_\w+)"/.exec(String(list?.message.content))?.[1];
    expect(link).toBeTruthy();
    return link!;
  }

  it('a first-time buyer enters an address once; a returning buyer pays in three taps and gets the notice', async () => {
    await fan(t, appid, 'o_phone', { type: 'subscribe' });
    const page = await phone('o_phone');

    // First purchase: the address form, once.
    await page.goto(await productLinkFromChat('o_phone'));
    await page.fill('input[name="name"]', '张三');
    await page.fill('input[name="phone"]', '13800138000');
    await page.fill('input[name="region"]', '江苏省南京市秦淮区');
    await page.fill('input[name="detail"]', '中山南路 1 号');
    await page.screenshot({ path: `${SHOTS}/1-product-first-time.png` });
    await page.click('#pay');
    await page.waitForSelector('#confirm-pay');
    await page.click('#confirm-pay');
    await page.waitForURL(/\/orders\/ord_/);

    // Second purchase, counted: tap the product in chat, tap pay, tap confirm.
    let taps = 0;
    const link = await productLinkFromChat('o_phone');
    await page.goto(link);
    taps++;
    await expect(page.locator('#address')).toContainText('张三');
    await page.screenshot({ path: `${SHOTS}/2-product-returning.png` });
    await page.click('#pay');
    taps++;
    await page.waitForSelector('#confirm-pay');
    await page.screenshot({ path: `${SHOTS}/3-pay-sheet.png` });
    await page.click('#confirm-pay');
    taps++;
    await page.waitForURL(/\/orders\/ord_/);
    await expect(page.locator('#status')).toHaveText('支付成功，等待发货');
    await page.screenshot({ path: `${SHOTS}/4-paid.png` });
    expect(taps).toBeLessThanOrEqual(3);

    await t.worker.drain();
    const notices = t.simulator!.sim.fan(appid, 'o_phone').transcript.filter((e) => e.via === 'template');
    expect(notices).toHaveLength(2);
    expect(notices[1]?.message.templateId).toBe('TM_ORDER_PAID');
    expect(errors).toEqual([]);
  });

  it('fills a cart, pays for it, then confirms receipt and reviews on the order page', async () => {
    const page = await phone('o_phone');
    await page.goto(await productLinkFromChat('o_phone'));
    await page.click('#add-to-cart');
    await page.click('label.sku:nth-of-type(2)');
    await page.click('#add-to-cart');
    await page.goto(`http://127.0.0.1:${port}/shop/${appid}/cart`);
    await expect(page.locator('#pay')).toHaveText('微信支付 ¥398.00');
    await page.screenshot({ path: `${SHOTS}/5-cart.png` });
    await page.click('#pay');
    await page.click('#confirm-pay');
    await page.waitForURL(/\/orders\/ord_/);
    const orderId = /orders\/(ord_\w+)/.exec(page.url())![1]!;
    const order = (await t.call(merchantToken, 'GET', `/api/v1/orders/${orderId}`)).body;
    expect(order).toMatchObject({ status: 'paid', total: 39800 });
    expect(order.items).toHaveLength(2);

    await t.call(merchantToken, 'POST', `/api/v1/orders/${orderId}/ship`, {
      carrier: '顺丰',
      tracking_no: 'SF123',
    });
    await page.reload();
    await page.click('button[data-action="receive"]');
    // Shipped orders already show the review form: wait for the receipt's reload, not the old page.
    await page.waitForSelector('#status:has-text("已完成")');
    await page.waitForSelector('form.review');
    await page.fill('form.review >> nth=0 >> input[name="text"]', '面料舒服，尺码标准');
    await Promise.all([page.waitForEvent('load'), page.click('form.review >> nth=0 >> button')]);
    expect(await page.locator('form.review').count()).toBe(0);
    await expect(page.locator('#status')).toHaveText('已完成');
    await page.screenshot({ path: `${SHOTS}/6-completed.png` });
    const reviews = (await t.call(merchantToken, 'GET', '/api/v1/reviews')).body.items;
    expect(reviews.map((r: { text: string }) => r.text)).toContain('面料舒服，尺码标准');
    expect(errors).toEqual([]);
  });
});

// Playwright's expect is not needed: vitest's expect works on locators' text through these helpers.
declare module 'vitest' {
  interface Assertion {
    toContainText(text: string): Promise<void>;
    toHaveText(text: string): Promise<void>;
  }
}
expect.extend({
  async toContainText(locator: { textContent(): Promise<string | null> }, text: string) {
    const actual = (await locator.textContent()) ?? '';
    return { pass: actual.includes(text), message: () => `expected "${actual}" to contain "${text}"` };
  },
  async toHaveText(locator: { textContent(): Promise<string | null> }, text: string) {
    const actual = ((await locator.textContent()) ?? '').trim();
    return { pass: actual === text, message: () => `expected "${actual}" to be "${text}"` };
  },
});
