import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionSimulatedPay } from '../../src/demo-pay.ts';
import { loyaltyLogTail } from '../../src/modules/loyalty/index.ts';
import { hasChromium, launchBrowser, signInConsole } from '../support/browser.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { connectAccount, fan } from '../support/wechat-fan.ts';

const SHOTS = 'test-results/screenshots';
const port = 21_000 + Math.floor(Math.random() * 20_000);
const base = `http://127.0.0.1:${port}`;

describe.skipIf(!hasChromium)('member card: console and phone', () => {
  let t: TestApp;
  let browser: Browser;
  let owner: { id: string; email: string; password: string; token: string };
  let appid: string;
  let accountId: string;
  let coat: string;
  const errors: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const built = spawnSync(process.execPath, ['scripts/build-console.ts'], { stdio: 'inherit' });
    if (built.status !== 0) throw new Error('console build failed');
    t = await createTestApp({ port, publicUrl: base, wechatApiBase: `${base}/sim` });
    owner = await t.merchant('browser-loyalty');
    const account = await connectAccount(t, owner.token);
    appid = account.appid;
    accountId = account.id;
    await provisionSimulatedPay(t.deps, owner.id, { codEnabled: false });
    coat = (
      await t.call(owner.token, 'POST', '/api/v1/products', {
        title: '羊毛大衣',
        status: 'on_sale',
        skus: [{ spec: {}, price: 60_000, stock: 20 }],
      })
    ).body.id;
    await t.app.listen({ port, host: '127.0.0.1' });
    t.worker.start();
    browser = await launchBrowser();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('the operator names the card, sees the preview follow, and saves the program', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    await signInConsole(context, base, owner);
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/console/#/loyalty`);
    const name = page.locator('input[maxlength="30"]');
    await name.fill('星享卡');
    await expect.poll(() => page.locator('[data-testid="card-preview"]').textContent()).toContain('星享卡');
    // Ant Design spaces two-character labels ("保 存").
    await page.getByRole('button', { name: /保\s*存/ }).click();
    await page.locator('.ant-alert-success').waitFor();
    await page.screenshot({ path: `${SHOTS}/loyalty-program.png`, fullPage: true });
    expect((await t.call(owner.token, 'GET', '/api/v1/loyalty/program')).body).toMatchObject({
      name: '星享卡',
      configured: true,
    });
    expect(errors).toEqual([]);
  }, 60_000);

  it('a fan takes the card on its page and checks in, from the buttons (no form posts)', async () => {
    await fan(t, appid, 'o_walkin', { type: 'subscribe' });
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    await signInConsole(context, base, owner);
    await context.addCookies([{ name: 'sim_fan', value: 'o_walkin', url: base }]);
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/shop/${appid}/card`);
    await page.click('#join');
    await page.locator('#member-card').waitFor();
    expect(await page.textContent('#points')).toBe('0');
    await page.click('#checkin');
    await expect.poll(() => page.textContent('#points'), { timeout: 10_000 }).toBe('5');
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it("scan a store's QR → card issued → pay → points and level update on the card page", async () => {
    const store = (
      await t.call(owner.token, 'POST', '/api/v1/stores', {
        name: '西湖店',
        address: '湖滨路 1 号',
        city: '杭州',
        latitude: 30.25,
        longitude: 120.16,
      })
    ).body.id;
    const code = (
      await t.call(owner.token, 'POST', '/api/v1/loyalty/store-codes', {
        account_id: accountId,
        store_id: store,
      })
    ).body;
    const qrs = (await t.call(owner.token, 'GET', '/api/v1/qrcodes')).body;
    const ticket = (Array.isArray(qrs) ? qrs : qrs.items).find(
      (q: { id: string }) => q.id === code.qrcode_id,
    ).ticket;
    await fan(t, appid, 'o_phone', { type: 'scan', ticket });
    await loyaltyLogTail(t.deps)();

    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    await signInConsole(context, base, owner);
    await context.addCookies([{ name: 'sim_fan', value: 'o_phone', url: base }]);
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/shop/${appid}/card`);
    await page.locator('#member-card').waitFor();
    expect(await page.textContent('#level')).toBe('普通会员');
    expect(await page.textContent('#points')).toBe('0');
    expect(await page.locator('#qr svg').count()).toBe(1);

    await page.goto(`${base}/shop/${appid}/products/${coat}`);
    await page.fill('input[name="name"]', '王五');
    await page.fill('input[name="phone"]', '13700137000');
    await page.fill('input[name="region"]', '杭州市西湖区');
    await page.fill('input[name="detail"]', '文三路 3 号');
    await page.click('#pay');
    await page.waitForSelector('#confirm-pay');
    await page.click('#confirm-pay');
    await page.waitForURL(/\/orders\/ord_/);
    await expect
      .poll(
        async () => {
          await page.goto(`${base}/shop/${appid}/card`);
          return page.textContent('#points');
        },
        { timeout: 10_000 },
      )
      .toBe('600');
    // The default silver level starts at ¥1,000 of lifetime spend.
    expect(await page.textContent('#level')).toBe('普通会员');
    expect(await page.textContent('#history')).toContain('购物得积分');
    await page.screenshot({ path: `${SHOTS}/loyalty-card.png`, fullPage: true });

    // The next order: the checkout shows the card; 600 points take ¥6 off, the server quotes it.
    await page.goto(`${base}/shop/${appid}/products/${coat}`);
    await page.locator('#member-checkout').waitFor();
    expect(await page.textContent('#member-checkout')).toContain('600 积分');
    await page.check('#use-points');
    await expect.poll(() => page.textContent('#pay')).toContain('¥594.00');
    await page.screenshot({ path: `${SHOTS}/loyalty-checkout.png`, fullPage: true });
    await page.click('#pay');
    await page.waitForSelector('#confirm-pay');
    await page.click('#confirm-pay');
    await page.waitForURL(/\/orders\/ord_/);
    expect(await page.textContent('main')).toContain('600 积分抵扣');
    // ¥600 + ¥594 of lifetime spend passes silver's ¥1,000; 594 points earned at the basic rate.
    await expect
      .poll(
        async () => {
          await page.goto(`${base}/shop/${appid}/card`);
          return page.textContent('#level');
        },
        { timeout: 10_000 },
      )
      .toBe('银卡会员');
    expect(await page.textContent('#points')).toBe('594');
    expect(await page.textContent('#history')).toContain('积分抵现');
    expect(errors).toEqual([]);
  }, 60_000);

  it("a clerk charges the fan's card from its QR code on /clerk/card, once", async () => {
    const clerk = { email: 'till@loyalty.test', password: 'till-pass-123' };
    expect((await t.call(owner.token, 'POST', '/api/v1/members', { ...clerk, role: 'clerk' })).status).toBe(
      201,
    );
    const cards = (await t.call(owner.token, 'GET', '/api/v1/loyalty/cards?limit=10')).body.items;
    const card = cards.find((c: { openid: string }) => c.openid === 'o_phone');
    await t.call(owner.token, 'POST', `/api/v1/loyalty/cards/${card.id}/adjustments`, {
      kind: 'balance',
      delta: 10_000,
      reason: '门店储值迁移',
    });

    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    await signInConsole(phone, base, owner);
    await phone.addCookies([{ name: 'sim_fan', value: 'o_phone', url: base }]);
    const fanPage = await phone.newPage();
    await fanPage.goto(`${base}/shop/${appid}/card`);
    const code = ((await fanPage.textContent('#code')) ?? '').replace(/\s/g, '');
    expect(code).toMatch(/^\d{18}$/);

    const till = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    const page = await till.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/clerk/card`);
    await page.locator('#login').waitFor();
    await page.fill('#login [name="email"]', clerk.email);
    await page.fill('#login [name="password"]', clerk.password);
    await page.click('#sign-in');
    await page.locator('#desk').waitFor();
    await page.fill('#code', code);
    await page.click('#lookup button:not([type="button"])');
    await expect.poll(() => page.textContent('#result')).toContain('¥100.00');
    await page.fill('#amount', '35.50');
    await page.fill('#note', '拿铁两杯');
    await page.click('#confirm-charge');
    await expect.poll(() => page.textContent('#result')).toContain('扣款成功');
    expect(await page.textContent('#result')).toContain('¥64.50');
    await page.screenshot({ path: `${SHOTS}/loyalty-clerk.png`, fullPage: true });
    // The same code again: refused.
    await page.fill('#code', code);
    await page.click('#lookup button:not([type="button"])');
    await expect.poll(() => page.textContent('#error')).toContain('会员码无效');
    await fanPage.goto(`${base}/shop/${appid}/card`);
    expect(await fanPage.textContent('#balance')).toBe('¥64.50');
    expect(await fanPage.textContent('#history')).toContain('门店消费');
    expect(errors).toEqual([]);
  }, 60_000);

  it('the console adds a reward the fan then sees, and the report compares members with others', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    await signInConsole(context, base, owner);
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/console/#/loyalty`);
    await page.getByRole('tab', { name: '积分兑换' }).click();
    await page.getByPlaceholder('礼品名称').fill('帆布袋');
    await page.getByRole('button', { name: /添\s*加/ }).click();
    await page.locator('td', { hasText: '帆布袋' }).first().waitFor();
    await page.screenshot({ path: `${SHOTS}/loyalty-rewards.png`, fullPage: true });
    await page.getByRole('tab', { name: '会员报表' }).click();
    await page.getByText('会员与非会员消费对比').waitFor();
    await page.screenshot({ path: `${SHOTS}/loyalty-report.png`, fullPage: true });

    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    await signInConsole(phone, base, owner);
    await phone.addCookies([{ name: 'sim_fan', value: 'o_phone', url: base }]);
    const fanPage = await phone.newPage();
    await fanPage.goto(`${base}/shop/${appid}/card`);
    expect(await fanPage.textContent('#rewards')).toContain('帆布袋');
    // 594 points buy the 100-point bag: the page reloads with the code to show the clerk.
    await fanPage.locator('button[data-reward]').first().click();
    await fanPage.locator('.redeem-code').waitFor();
    expect(await fanPage.textContent('#points')).toBe('494');
    expect(errors).toEqual([]);
  }, 120_000);
  it("a cart takes the fan's best coupon and the card's points, and the server charges what the page quoted", async () => {
    const campaign = (
      await t.call(owner.token, 'POST', '/api/v1/coupon-campaigns', {
        name: '满 500 减 50',
        kind: 'threshold',
        value: 5_000,
        min_spend: 50_000,
        total_limit: 100,
        valid_days: 7,
      })
    ).body.id;
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    await signInConsole(context, base, owner);
    await context.addCookies([{ name: 'sim_fan', value: 'o_phone', url: base }]);
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/shop/${appid}/coupons/${campaign}`);
    await page.click('#claim');
    await page.locator('#claim', { hasText: '已领取' }).waitFor();

    await page.goto(`${base}/shop/${appid}/products/${coat}`);
    await page.click('#add-to-cart');
    await page.goto(`${base}/shop/${appid}/cart`);
    await page.locator('#coupon', { hasText: '满 500 减 50' }).waitFor();
    const before = await page.textContent('#pay');
    await page.check('#use-points');
    await expect.poll(() => page.textContent('#pay')).not.toBe(before);
    const quoted = (await page.textContent('#pay'))!.replace('微信支付 ', '');
    await page.screenshot({ path: `${SHOTS}/loyalty-cart.png`, fullPage: true });
    await page.click('#pay');
    await page.waitForSelector('#confirm-pay');
    expect(await page.textContent('.sheet .amount')).toBe(quoted);
    await page.click('#confirm-pay');
    await page.waitForURL(/\/orders\/ord_/);
    const body = await page.textContent('main');
    expect(body).toContain('积分抵扣');
    expect(body).toContain('满 500 减 50');
    expect(errors).toEqual([]);
  }, 60_000);
});
