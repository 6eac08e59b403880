import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { merchantCtx } from '../../src/context.ts';
import { provisionSimulatedPay } from '../../src/demo-pay.ts';
import { resolveFan } from '../../src/modules/crm/index.ts';
import { manualClock } from '../../src/platform/clock.ts';
import { createSimulatorState } from '../../src/simulator/simulator.ts';
import { hasChromium, launchBrowser, signInConsole } from '../support/browser.ts';
import { confirmPay, fanSession, shop, until } from '../support/shopper.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { connectAccount } from '../support/wechat-fan.ts';

const SHOTS = 'test-results/screenshots';
const port = 21_000 + Math.floor(Math.random() * 20_000);
const base = `http://127.0.0.1:${port}`;
const FANS = ['o_bc_1', 'o_bc_2', 'o_bc_3'];

describe.skipIf(!hasChromium)('a broadcast from the console to the phone', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let phone: Page;
  const errors: string[] = [];
  const clock = manualClock(Date.now());
  let owner: { id: string; email: string; password: string; token: string };
  let account: { id: string; appid: string };
  let productUrl = '';
  let skuId = '';

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const built = spawnSync(process.execPath, ['scripts/build-console.ts'], { stdio: 'inherit' });
    if (built.status !== 0) throw new Error('console build failed');
    // WeChat's side shares the test's clock: fans read "hours later" when the test moves it.
    t = await createTestApp(
      { port, publicUrl: base, wechatApiBase: `${base}/sim` },
      { clock, simulator: createSimulatorState({ now: clock.now }) },
    );
    owner = await t.merchant('broadcast-console');
    account = await connectAccount(t, owner.token);
    await provisionSimulatedPay(t.deps, owner.id, { codEnabled: false });
    // Every fan who gets it reads it (seeded), so the funnel's read step is certain.
    t.simulator!.sim.app(account.appid).readShare = 1;
    const ctx = merchantCtx(t.deps, owner.id);
    const members: string[] = [];
    for (const openid of FANS) {
      t.simulator!.sim.ensureFan(account.appid, openid, undefined, true);
      members.push(await resolveFan(ctx, { accountId: account.id, openid }));
    }
    const tag = (await t.call(owner.token, 'POST', '/api/v1/crm/tags', { name: '新品控', sync: false })).body;
    await t.call(owner.token, 'POST', `/api/v1/crm/tags/${tag.id}/members`, { member_ids: members });
    const product = (
      await t.call(owner.token, 'POST', '/api/v1/products', {
        title: '春季新款风衣',
        status: 'on_sale',
        skus: [{ spec: {}, price: 39_900, stock: 10 }],
      })
    ).body;
    productUrl = `${base}/shop/${account.appid}/products/${product.id}`;
    skuId = product.skus[0].id;
    await t.app.listen({ port, host: '127.0.0.1' });
    browser = await launchBrowser();
    page = await (
      await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'zh-CN' })
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

  async function holdPhone(openid: string) {
    await phone.goto(`${base}/sim/phone?appid=${account.appid}`);
    await phone.fill('#openid', openid);
    await phone.press('#openid', 'Enter');
  }

  it('composes → previews to a test fan → sends → the fans see it → the report counts the visit', async () => {
    await page.goto(`${base}/console/`);
    await page.fill('#email', owner.email);
    await page.fill('#password', owner.password);
    await page.click('button[type="submit"]');
    await page.waitForSelector('.ant-layout-sider');
    await page.goto(`${base}/console/#/broadcasts`);
    await page.waitForSelector('[data-testid="quota"]:has-text("本月剩余 4/4 次")');

    await page.getByPlaceholder('标题').fill('本周新品：春季风衣');
    await page.getByPlaceholder('摘要').fill('三色可选，会员包邮');
    await page.getByPlaceholder('正文').fill('轻薄防风，通勤必备。');
    await page.getByPlaceholder('阅读原文：商品或店铺页面链接').fill(productUrl);
    await page.click('[data-testid="audience"]');
    await page.click('.ant-select-item-option:has-text("新品控")');
    await page.waitForSelector('[data-testid="audience-count"]:has-text("3 人")');
    await page.click('button:has-text("保存草稿")');
    await page.getByPlaceholder('测试粉丝 openid，逗号分隔').fill('o_bc_1');
    await page.click('button[aria-label="preview"]');
    await page.waitForSelector('text=已预览给 o_bc_1');
    await page.screenshot({ path: `${SHOTS}/broadcast1-composer.png` });

    // The test fan sees the preview on the phone before anyone else gets it.
    await holdPhone('o_bc_1');
    await phone.waitForSelector('.news:has-text("本周新品：春季风衣")');
    await phone.screenshot({ path: `${SHOTS}/broadcast2-preview-on-phone.png` });

    await page.click('button:has-text("立即发送")');
    await page.waitForSelector('text=已安排');
    await t.worker.drain(); // the test app runs jobs by hand
    await page.waitForSelector('tr:has-text("本周新品：春季风衣") >> text=已发送', { timeout: 10_000 });

    // Another fan of the tag got it, opens "read more" and lands on the product page.
    await holdPhone('o_bc_2');
    await phone.click('.news:has-text("本周新品：春季风衣")');
    const frame = phone.frameLocator('#browser-frame');
    await frame.locator('text=春季新款风衣').first().waitFor();
    await phone.screenshot({ path: `${SHOTS}/broadcast3-fan-opens-product.png` });

    await page.waitForSelector('tr:has-text("本周新品：春季风衣") td:has-text("100%")', { timeout: 10_000 });
    const list = (await t.call(owner.token, 'GET', '/api/v1/broadcasts')).body;
    const report = (await t.call(owner.token, 'GET', `/api/v1/broadcasts/${list[0].id}/report`)).body;
    expect(report).toMatchObject({ status: 'sent', audience: 3, sent: 3, clicks: 1, reach_rate: 1 });
    await page.waitForTimeout(3500); // the list refreshes every 3 s
    await page.screenshot({ path: `${SHOTS}/broadcast4-report.png` });

    // The fan who came through the link buys and pays; days later the reads are in.
    const cookie = await fanSession(t, account.appid, 'o_bc_2');
    const placed = await shop(t, cookie, account.appid, 'POST', '/orders', {
      items: [{ sku_id: skuId, quantity: 1 }],
      address: { name: '张三', phone: '13800138000', region: '南京', detail: '中山南路 1 号' },
      payment_method: 'wechat',
    });
    const pay = await shop(t, cookie, account.appid, 'POST', `/orders/${placed.body.id}/pay`);
    expect((await confirmPay(t, pay.body.pay_params, 'o_bc_2')).status).toBe(200);
    await until(
      async () => (await t.call(owner.token, 'GET', `/api/v1/orders/${placed.body.id}`)).body.status,
      (s) => s === 'paid',
    );
    clock.advance(3 * 86_400_000);
    for (let i = 0; i < 3; i++) {
      await t.worker.drain();
      await new Promise((r) => setTimeout(r, 100));
    }
    await page.click(`[data-testid="report-${list[0].id}"]`);
    await page.waitForSelector('[data-testid="revenue"]:has-text("¥399.00")', { timeout: 10_000 });
    const funnel = (await t.call(owner.token, 'GET', `/api/v1/broadcasts/${list[0].id}/report`)).body;
    expect(funnel).toMatchObject({ delivered: 3, read: 3, clicked: 1, ordered: 1, paid: 1, revenue: 39_900 });
    await page.waitForSelector('.ant-drawer canvas');
    await page.waitForTimeout(800); // the charts animate in
    await page.screenshot({ path: `${SHOTS}/broadcast5-funnel.png` });

    // The notice templates sit on the same page, each kind with its variables.
    await page.click('.ant-drawer-close');
    await page.locator('.ant-drawer-content-wrapper').waitFor({ state: 'hidden' });
    await page.waitForSelector('[data-testid="notice-templates"] >> text=订单支付成功');
    await page
      .locator('[data-testid="notice-templates"]')
      .screenshot({ path: `${SHOTS}/broadcast6-notices.png` });
    expect(errors).toEqual([]);
  }, 240_000);
});
