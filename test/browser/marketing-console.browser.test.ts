import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchBrowser } from '../support/browser.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { connectAccount } from '../support/wechat-fan.ts';

const SHOTS = 'test-results/screenshots';
const port = 21_000 + Math.floor(Math.random() * 20_000);
const base = `http://127.0.0.1:${port}`;

describe.skipIf(!hasChromium)('marketing pages of the console', { timeout: 60_000 }, () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let owner: { id: string; email: string; password: string; token: string };
  const errors: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const built = spawnSync(process.execPath, ['scripts/build-console.ts'], { stdio: 'inherit' });
    if (built.status !== 0) throw new Error('console build failed');
    t = await createTestApp({ port, publicUrl: base, wechatApiBase: `${base}/sim` });
    owner = await t.merchant('console-marketing');
    await connectAccount(t, owner.token);
    await t.app.listen({ port, host: '127.0.0.1' });
    browser = await launchBrowser();
    page = await (
      await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' })
    ).newPage();
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/console/`);
    await page.fill('#email', owner.email);
    await page.fill('#password', owner.password);
    await page.click('button[type="submit"]');
    await page.waitForSelector('.ant-layout-sider');
    // Building the console can take a minute on a busy machine.
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('creates a coupon campaign and shows its claim link and figures', async () => {
    await page.goto(`${base}/console/#/coupons`);
    await page.fill('#name', '满 100 减 20');
    await page.click('#kind');
    await page.click('.ant-select-item-option[title="满减"]');
    await page.fill('#value', '20');
    await page.fill('#min_spend', '100');
    await page.click('button[type="submit"]');
    await page.locator('.ant-table-row', { hasText: '满 100 减 20' }).waitFor();
    const row = await page.locator('.ant-table-row', { hasText: '满 100 减 20' }).textContent();
    expect(row).toContain('满 ¥100.00 减 ¥20.00');
    expect(row).toContain('0 / 1000');
    // The claim link is ellipsised once AntD has measured the cell: its full text is in the title.
    expect(await page.locator('.ant-table-row', { hasText: '满 100 减 20' }).innerHTML()).toContain(
      '/coupons/cpc_',
    );
    await page.screenshot({ path: `${SHOTS}/c-coupons.png`, fullPage: true });
  });

  it('shows a flash sale on the live board', async () => {
    const product = (
      await t.call(owner.token, 'POST', '/api/v1/products', {
        title: '旗舰手机',
        status: 'on_sale',
        skus: [{ spec: {}, price: 199_900, stock: 100 }],
      })
    ).body;
    await t.call(owner.token, 'POST', '/api/v1/flash-sales', {
      title: '周五秒杀',
      product_id: product.id,
      sku_id: product.skus[0].id,
      price: 99_900,
      stock: 50,
      opens_at: t.clock.now() + 60_000,
      closes_at: t.clock.now() + 3_600_000,
    });
    await page.goto(`${base}/console/#/flash`);
    await page.locator('#board').waitFor();
    expect(await page.locator('#board').textContent()).toContain('50');
    await page.screenshot({ path: `${SHOTS}/c-flash.png`, fullPage: true });
  });

  it('looks a voucher up and reverses its redemption with a reason', async () => {
    const store = (
      await t.call(owner.token, 'POST', '/api/v1/stores', {
        name: '静安店',
        address: '南京西路 1 号',
        city: '上海',
        latitude: 31.23,
        longitude: 121.47,
      })
    ).body.id;
    await t.deps.db
      .insertInto('vouchers')
      .values({
        id: 'vch_console',
        merchant_id: owner.id,
        code: '555566667777',
        order_id: 'ord_console',
        order_item_id: 'oit_console',
        unit: 1,
        product_id: 'prd_console',
        title: '双人下午茶',
        account_id: 'acc',
        openid: 'o_console',
        price: 9_900,
        store_ids: '[]',
        valid_from: 0,
        valid_until: null,
        status: 'valid',
        redeemed_at: null,
        redeemed_store_id: null,
        redeemed_by: null,
        created_at: t.clock.now(),
      })
      .execute();
    expect(
      (await t.call(owner.token, 'POST', '/api/v1/clerk/redeem', { code: '555566667777', store_id: store }))
        .status,
    ).toBe(200);
    await page.goto(`${base}/console/#/vouchers`);
    await page.fill('input[aria-label="code"]', '5555 6666 7777');
    await page.press('input[aria-label="code"]', 'Enter');
    await page.locator('.ant-tag', { hasText: '已核销' }).waitFor();
    await page.fill('input[aria-label="reason"]', '顾客未到店，误核销');
    await page.click('button:has-text("撤销核销")');
    await page.locator('.ant-tag', { hasText: '待使用' }).waitFor();
    expect(await page.locator('.ant-table', { hasText: '顾客未到店' }).count()).toBe(1);
    await page.screenshot({ path: `${SHOTS}/c-vouchers.png`, fullPage: true });
    expect(errors).toEqual([]);
  });
});
