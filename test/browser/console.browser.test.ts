import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchBrowser, signInConsole } from '../support/browser.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { AES_KEY, appId } from '../support/wechat-fan.ts';

const SHOTS = 'test-results/screenshots';
const port = 21_000 + Math.floor(Math.random() * 20_000);
const base = `http://127.0.0.1:${port}`;

describe.skipIf(!hasChromium)('the merchant console', { timeout: 60_000 }, () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let phone: Page;
  const errors: string[] = [];
  const appid = appId();
  let owner: { id: string; email: string; password: string; token: string };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const built = spawnSync(process.execPath, ['scripts/build-console.ts'], { stdio: 'inherit' });
    if (built.status !== 0) throw new Error('console build failed');
    t = await createTestApp({ port, publicUrl: base, wechatApiBase: `${base}/sim` });
    owner = await t.merchant('console-shop');
    await t.app.listen({ port, host: '127.0.0.1' });
    browser = await launchBrowser();
    page = await (
      await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' })
    ).newPage();
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    const phoneContext = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    await signInConsole(phoneContext, base, owner);
    phone = await phoneContext.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const phoneSays = async (text: string) => {
    await phone.fill('#text', text);
    await phone.press('#text', 'Enter');
  };

  it('logs in', async () => {
    await page.goto(`${base}/console/`);
    await page.fill('#email', owner.email);
    await page.fill('#password', owner.password);
    await page.screenshot({ path: `${SHOTS}/c1-login.png` });
    await page.click('button[type="submit"]');
    await page.waitForSelector('.ant-layout-sider');
  });

  it('connects an official account', async () => {
    await page.goto(`${base}/console/#/accounts`);
    await page.fill('#name', '控制台服务号');
    await page.fill('#appid', appid);
    await page.fill('#secret', 'console-secret-01');
    await page.fill('#token', 'consoletoken');
    await page.fill('#aes_key', AES_KEY);
    await page.click('button:has-text("接入公众号")');
    await page.waitForSelector(`td:has-text("${appid}")`);
    await page.click('button:has-text("校验服务器地址")');
    await page.waitForSelector('.ant-message-success');
    await page.screenshot({ path: `${SHOTS}/c2-accounts.png` });
  });

  it('adds a keyword rule that the fan then gets on the phone', async () => {
    await page.goto(`${base}/console/#/replies`);
    await page.reload();
    await page.fill('input[aria-label="keyword"]', '会员');
    await page.fill('input[aria-label="reply"]', '会员专享 8 折');
    await page.click('button:has-text("新建规则")');
    await page.waitForSelector('td:has-text("会员专享 8 折")');
    await page.fill('input[aria-label="test"]', '会员');
    await page.press('input[aria-label="test"]', 'Enter');
    await page.waitForSelector('.ant-alert-info:has-text("会员专享 8 折")');
    await page.screenshot({ path: `${SHOTS}/c3-replies.png` });

    await phone.goto(`${base}/sim/phone?appid=${appid}`);
    await phone.fill('#openid', 'o_console_fan');
    await phone.press('#openid', 'Enter');
    await phone.waitForTimeout(300);
    await phoneSays('会员');
    await phone.waitForSelector('.msg.them >> text=会员专享 8 折');
  });

  it('edits and publishes a menu the phone then shows', async () => {
    await page.goto(`${base}/console/#/menu`);
    await page.reload();
    await page.click('button:has-text("+ 一级菜单")');
    await page.fill('input[aria-label="menu-0-name"]', '本周上新');
    await page.click('button:has-text("发布到微信")');
    await page.waitForSelector('#published:has-text("已发布")');
    await page.screenshot({ path: `${SHOTS}/c4-menu.png` });
    await phone.reload();
    await phone.waitForSelector('.menu-item >> text=本周上新');
  });

  it('creates a channel QR code, the phone scans it, and the follower shows its source', async () => {
    await page.goto(`${base}/console/#/qrcodes`);
    await page.reload();
    await page.fill('input[aria-label="qr-name"]', '门店收银台');
    await page.click('button:has-text("新建二维码")');
    await page.waitForSelector('td:has-text("门店收银台")');
    await phone.goto(`${base}/sim/phone?appid=${appid}`);
    await phone.fill('#openid', 'o_scanner');
    await phone.press('#openid', 'Enter');
    phone.once('dialog', (dialog) => void dialog.accept('1'));
    await phone.click('#scan');
    await phone.waitForSelector('.msg.me >> text=[扫码]');
    await page.goto(`${base}/console/#/followers`);
    await page.reload();
    await page.waitForSelector('tr:has-text("o_scanner") >> td:has-text("门店收银台")');
    await page.screenshot({ path: `${SHOTS}/c5-followers.png` });
    await page.goto(`${base}/console/#/qrcodes`);
    await page.reload();
    const row = page.locator('tr', { hasText: '门店收银台' });
    expect(await row.locator('td').nth(2).textContent()).toBe('1');
  });

  it('runs the shop: a product, a distance check, shipping an order, hiding a review', async () => {
    await page.goto(`${base}/console/#/catalog`);
    await page.reload();
    await page.fill('input[aria-label="product-title"]', '控制台连衣裙');
    await page.fill('input[aria-label="product-price"]', '199');
    await page.click('button:has-text("新建商品")');
    await page.waitForSelector('td:has-text("控制台连衣裙")');
    await page.screenshot({ path: `${SHOTS}/c7-catalog.png` });

    await t.call(owner.token, 'POST', '/api/v1/stores', {
      name: '新街口店',
      address: '中山南路 1 号',
      city: '南京',
      latitude: 32.0417,
      longitude: 118.7843,
      opens_at: '00:00',
      closes_at: '00:00',
    });
    await page.goto(`${base}/console/#/stores`);
    await page.reload();
    await page.click('button:has-text("查询最近门店")');
    await page.waitForSelector('#nearest >> text=新街口店');

    // A fan buys (cash on delivery) and later reviews in chat.
    const { provisionSimulatedPay } = await import('../../src/demo-pay.ts');
    const { fanSession, shop } = await import('../support/shopper.ts');
    const { fan, say } = await import('../support/wechat-fan.ts');
    await provisionSimulatedPay(t.deps, owner.id, { codEnabled: true });
    const product = (
      await t.call(owner.token, 'GET', `/api/v1/products?q=${encodeURIComponent('控制台连衣裙')}`)
    ).body.items[0];
    await fan(t, appid, 'o_buyer', { type: 'subscribe' });
    const cookie = await fanSession(t, appid, 'o_buyer');
    const order = await shop(t, cookie, appid, 'POST', '/orders', {
      items: [{ sku_id: product.skus[0].id, quantity: 1 }],
      address: { name: '李四', phone: '13900139000', region: '江苏省南京市', detail: '中山路 2 号' },
      payment_method: 'cod',
    });
    expect(order.status).toBe(201);
    await page.goto(`${base}/console/#/orders`);
    await page.reload();
    await page.click(`td:has-text("${order.body.id}")`);
    await page.fill('input[aria-label="carrier"]', '顺丰');
    await page.fill('input[aria-label="tracking"]', 'SF2026');
    await page.click('.ant-drawer button[type="submit"]');
    await page.waitForSelector('.ant-drawer >> text=顺丰 SF2026');
    await page.screenshot({ path: `${SHOTS}/c8-order.png` });
    const csv = await page.request.get(`${base}/api/v1/orders/export`);
    expect(await csv.text()).toContain('SF2026');

    await say(t, appid, 'o_buyer', '裙子很好看，面料舒服');
    await page.goto(`${base}/console/#/reviews`);
    await page.reload();
    await page.waitForSelector('td:has-text("裙子很好看，面料舒服")');
    await page.click('button[role="switch"]');
    await page.waitForTimeout(300);
    const reviews = (await t.call(owner.token, 'GET', '/api/v1/reviews')).body.items;
    expect(reviews[0].hidden).toBe(true);
    await page.screenshot({ path: `${SHOTS}/c9-reviews.png` });
  });

  it('renders the dashboard charts', async () => {
    await page.goto(`${base}/console/#/dashboard`);
    await page.reload();
    await page.waitForSelector('.chart canvas');
    expect(await page.locator('.chart canvas').count()).toBe(4);
    await page.screenshot({ path: `${SHOTS}/c6-dashboard.png` });
  });

  it('shows an agent the data but not the editing forms', async () => {
    await t.call(owner.token, 'POST', '/api/v1/members', {
      email: 'agent@console.test',
      password: 'agent-pass-1',
      role: 'agent',
    });
    await page.click('.ant-layout-header button:has-text("退")');
    await page.waitForSelector('#email');
    await page.fill('#email', 'agent@console.test');
    await page.fill('#password', 'agent-pass-1');
    await page.click('button[type="submit"]');
    await page.waitForSelector('.ant-layout-sider');
    await page.goto(`${base}/console/#/accounts`);
    await page.reload();
    await page.waitForSelector(`td:has-text("${appid}")`);
    expect(await page.locator('button:has-text("接入公众号")').count()).toBe(0);
    await page.goto(`${base}/console/#/qrcodes`);
    await page.reload();
    await page.waitForSelector('td:has-text("门店收银台")');
    expect(await page.locator('button:has-text("新建二维码")').count()).toBe(0);
    expect(errors, errors.join('\n')).toEqual([]);
  });
});
