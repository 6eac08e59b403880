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

describe.skipIf(!hasChromium)('store pickup in a browser', { timeout: 60_000 }, () => {
  let t: TestApp;
  let browser: Browser;
  let appid: string;
  let owner: string;
  let product: string;
  let store: string;
  const errors: string[] = [];
  let login: { email: string; password: string };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    t = await createTestApp({ port, publicUrl: base, wechatApiBase: `${base}/sim` });
    const m = await t.merchant('browser-pickup');
    owner = m.token;
    login = m;
    appid = (await connectAccount(t, owner)).appid;
    await provisionSimulatedPay(t.deps, m.id, { codEnabled: false });
    product = (
      await t.call(owner, 'POST', '/api/v1/products', {
        title: '挂耳咖啡礼盒',
        status: 'on_sale',
        skus: [{ spec: {}, price: 8_800, stock: 20 }],
      })
    ).body.id;
    store = (
      await t.call(owner, 'POST', '/api/v1/stores', {
        name: '淮海路店',
        address: '淮海中路 300 号',
        city: '上海',
        latitude: 31.22,
        longitude: 121.46,
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

  async function phone(as: { email: string; password: string }, openid?: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    await signInConsole(context, base, as);
    if (openid) await context.addCookies([{ name: 'sim_fan', value: openid, url: base }]);
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    return page;
  }

  it('choose a store → pay → pickup code → the clerk scans it with WeChat’s scanner → collected', async () => {
    await fan(t, appid, 'o_pickup', { type: 'subscribe' });
    const page = await phone(login, 'o_pickup');
    await page.goto(`${base}/shop/${appid}/products/${product}`);
    await page.check(`input[name="delivery"][value="${store}"]`);
    expect(await page.locator('#address').isHidden()).toBe(true);
    await page.click('#pay');
    await page.click('#confirm-pay');
    await page.waitForURL(/\/orders\/ord_/);
    await page.locator('.pickup', { hasText: '待提货' }).waitFor();
    const code = ((await page.textContent('#pickup-code')) ?? '').replace(/\s/g, '');
    expect(code).toMatch(/^\d{10}$/);
    expect(await page.locator('.pickup svg').count()).toBe(1);
    await page.screenshot({ path: `${SHOTS}/pickup-order.png`, fullPage: true });

    // A clerk of that store, on the simulator's phone: the clerk page inside "WeChat".
    const clerk = (
      await t.call(owner, 'POST', '/api/v1/members', {
        email: 'pickup-clerk@shop.test',
        password: 'clerk-pass-1',
        role: 'clerk',
      })
    ).body;
    await t.call(owner, 'PUT', `/api/v1/clerks/${clerk.user_id}/store`, { store_id: store });
    const desk = await phone({ email: 'pickup-clerk@shop.test', password: 'clerk-pass-1' });
    await desk.goto(`${base}/sim/phone?appid=${appid}`);
    await desk.click('#clerk');
    const frame = desk.frameLocator('#browser-frame');
    await frame.locator('#desk').waitFor();
    expect(await frame.locator('#store').textContent()).toBe('淮海路店');
    // The scan button shows once WeChat's bridge is ready; the phone asks what the camera sees.
    await frame.locator('#scan').waitFor();
    desk.once('dialog', (dialog) => void dialog.accept(code));
    await frame.locator('#scan').click();
    await frame.locator('#result', { hasText: '可以提货' }).waitFor();
    expect(await frame.locator('#result').textContent()).toContain('挂耳咖啡礼盒');
    await desk.screenshot({ path: `${SHOTS}/pickup-clerk-scan.png` });
    await frame.locator('#redeem').click();
    await frame.locator('#result', { hasText: '提货成功' }).waitFor();
    await desk.screenshot({ path: `${SHOTS}/pickup-clerk-collected.png` });

    await page.reload();
    await page.locator('.pickup', { hasText: '已提货' }).waitFor();
    expect(errors).toEqual([]);
  });
});
