import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionSimulatedPay } from '../../src/demo-pay.ts';
import { hasChromium, launchBrowser, signInConsole } from '../support/browser.ts';
import { pointsCardProgram } from '../support/loyalty-program.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { connectAccount, say } from '../support/wechat-fan.ts';

const SHOTS = 'test-results/screenshots';
const port = 21_000 + Math.floor(Math.random() * 20_000);
const base = `http://127.0.0.1:${port}`;

describe.skipIf(!hasChromium)('growth page of the console', { timeout: 90_000 }, () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let owner: { id: string; email: string; password: string; token: string };
  let account: { id: string; appid: string };
  const errors: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const built = spawnSync(process.execPath, ['scripts/build-console.ts'], { stdio: 'inherit' });
    if (built.status !== 0) throw new Error('console build failed');
    t = await createTestApp({ port, publicUrl: base, wechatApiBase: `${base}/sim` });
    owner = await t.merchant('console-growth');
    account = await connectAccount(t, owner.token);
    await provisionSimulatedPay(t.deps, owner.id);
    await t.app.listen({ port, host: '127.0.0.1' });
    browser = await launchBrowser();
    page = await (
      await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'zh-CN' })
    ).newPage();
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/console/`);
    await page.fill('#email', owner.email);
    await page.fill('#password', owner.password);
    await page.click('button[type="submit"]');
    await page.waitForSelector('.ant-layout-sider');
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('lists a trial’s entries, draws by the published seed and shows the seed; lists red packets', async () => {
    const product = (
      await t.call(owner.token, 'POST', '/api/v1/products', {
        title: '保湿精华',
        status: 'on_sale',
        skus: [{ spec: {}, price: 29_900, stock: 10 }],
      })
    ).body;
    const trial = (
      await t.call(owner.token, 'POST', '/api/v1/growth/trials', {
        account_id: account.id,
        title: '保湿精华试用',
        sku_id: product.skus[0].id,
        units: 1,
        keyword: '试用',
        closes_at: t.clock.now() + 3_600_000,
      })
    ).body;
    await say(t, account.appid, 'o_one', '试用 皮肤干，想试试');
    await say(t, account.appid, 'o_two', '试用 给妈妈用');
    await t.call(owner.token, 'POST', '/api/v1/growth/red-packets', {
      account_id: account.id,
      name: '关注红包',
      budget: 100_000,
      amount_min: 100,
      amount_max: 500,
      trigger: 'keyword',
      keyword: '红包',
    });

    await page.goto(`${base}/console/#/growth`);
    const row = page.locator('.ant-table-row', { hasText: '保湿精华试用' });
    await row.waitFor();
    expect(await row.textContent()).toContain('报名中');
    await row.locator('.ant-table-row-expand-icon').click();
    await page.locator('.ant-table-row', { hasText: '皮肤干，想试试' }).waitFor();
    expect(await page.textContent('body')).toContain(trial.seed_hash);
    await page.click('button:has-text("按公开种子随机开奖")');
    await page.locator('.ant-tag', { hasText: '已开奖' }).waitFor();
    await page
      .locator('.ant-table-row .ant-tag', { hasText: /^中奖$/ })
      .first()
      .waitFor();
    const drawn = (await t.call(owner.token, 'GET', `/api/v1/growth/trials/${trial.id}`)).body;
    expect(await page.textContent('body')).toContain(drawn.seed);
    expect(await page.locator('.ant-table-row', { hasText: '关注红包' }).textContent()).toContain(
      '¥0.00 / ¥1000.00',
    );
    await page.screenshot({ path: `${SHOTS}/growth-console.png`, fullPage: true });
    expect(errors).toEqual([]);
  });

  it('creates a lucky draw with two prizes in the editor, ends it to reveal the seed; lists a share campaign; in English too', async () => {
    const coupon = (
      await t.call(owner.token, 'POST', '/api/v1/coupon-campaigns', {
        name: '转盘券',
        kind: 'fixed',
        value: 500,
        total_limit: 100,
        valid_days: 7,
      })
    ).body.id;
    await t.call(owner.token, 'POST', '/api/v1/growth/share-campaigns', {
      account_id: account.id,
      name: '转发立减',
      share_title: '帮我点开',
      required_opens: 3,
      coupon_campaign_id: coupon,
      ends_at: t.clock.now() + 86_400_000,
    });
    await page.goto(`${base}/console/#/growth`);
    await page.reload();
    const shareRow = page.locator('.ant-table-row', { hasText: '转发立减' });
    await shareRow.waitFor();
    expect(await shareRow.textContent()).toContain(`/shop/${account.appid}/share/`);

    const card = page.locator('.ant-card', { hasText: '幸运抽奖' });
    await card.locator('input[placeholder="名称"]').fill('周末大转盘');
    await card.locator('input[placeholder="结束时间"]').click();
    await card.locator('input[placeholder="结束时间"]').fill('2030-01-01 12:00:00');
    await card.locator('input[placeholder="结束时间"]').press('Enter');
    const rows = card.locator('.prize-row');
    await rows.nth(0).locator('input[placeholder="奖品名称"]').fill('5 元券');
    await rows.nth(0).locator('.ant-select').nth(1).click();
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: '转盘券' }).click();
    await card.getByRole('button', { name: '添加奖品' }).click();
    await rows.nth(1).locator('input[placeholder="奖品名称"]').fill('谢谢参与');
    await rows.nth(1).locator('.ant-select').first().click();
    await page
      .locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: '谢谢参与' })
      .click();
    await card.getByRole('button', { name: /创\s*建/ }).click();
    const drawRow = card.locator('.ant-table-row', { hasText: '周末大转盘' });
    await drawRow.waitFor();
    expect(errors).toEqual([]);
    const draws = (await t.call(owner.token, 'GET', '/api/v1/growth/draws')).body;
    const created = draws.find((d: { name: string }) => d.name === '周末大转盘');
    expect(
      created.prizes.map((p: { name: string; kind: string; odds: number }) => [p.name, p.kind, p.odds]),
    ).toEqual([
      ['5 元券', 'coupon', 1000],
      ['谢谢参与', 'nothing', 500],
    ]);
    await drawRow.locator('.ant-table-row-expand-icon').click();
    await card.getByText(created.seed_hash).waitFor();
    await drawRow.getByRole('button', { name: '结束并公布种子' }).click();
    await drawRow.locator('.ant-tag', { hasText: '已结束' }).waitFor();
    const ended = (await t.call(owner.token, 'GET', `/api/v1/growth/draws/${created.id}`)).body;
    await card.getByText(ended.seed).waitFor();
    await page.screenshot({ path: `${SHOTS}/growth-console-draws.png`, fullPage: true });

    await page.getByRole('button', { name: 'English' }).click();
    await page.locator('.ant-card-head-title', { hasText: 'Lucky draws' }).waitFor();
    await page.locator('.ant-card-head-title', { hasText: 'Share to unlock' }).waitFor();
    expect(await page.textContent('body')).toContain('Once a day (check-in)');
    expect(errors).toEqual([]);
  });
  it('the draw editor makes a draw by points with a points prize (shown here in English)', async () => {
    const saved = await t.call(
      owner.token,
      'PUT',
      '/api/v1/loyalty/program',
      pointsCardProgram({ card: 'Card', level: 'Member' }),
    );
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    await page.goto(`${base}/console/#/growth`);
    const card = page.locator('.ant-card', { hasText: 'Lucky draws' });
    await card.waitFor();
    await card.locator('input[placeholder="Name"]').first().fill('Points wheel');
    await card.locator('#entry_rule').click();
    await page
      .locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: 'Spend points per play' })
      .click();
    await card.locator('#entry_points').fill('50');
    await card.locator('input[placeholder="Ends at"]').click();
    await card.locator('input[placeholder="Ends at"]').fill('2030-01-01 12:00:00');
    await card.locator('input[placeholder="Ends at"]').press('Enter');
    const row = card.locator('.prize-row').nth(0);
    await row.locator('input[placeholder="Prize name"]').fill('200 points');
    await row.locator('.ant-select').first().click();
    await page
      .locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: /^Points$/ })
      .click();
    await card.locator('#prizes_0_points').fill('200');
    await card.getByRole('button', { name: 'Create' }).click();
    const drawRow = card.locator('.ant-table-row', { hasText: 'Points wheel' });
    await drawRow.waitFor();
    expect(await drawRow.textContent()).toContain('Spend points per play · 50 points a play');
    const created = (await t.call(owner.token, 'GET', '/api/v1/growth/draws')).body.find(
      (d: { name: string }) => d.name === 'Points wheel',
    );
    expect(created).toMatchObject({ entry_rule: 'points', entry_points: 50 });
    expect(created.prizes[0]).toMatchObject({ kind: 'points', points: 200, odds: 1000, stock: 100 });
    await page.screenshot({ path: `${SHOTS}/growth-console-points-draw.png`, fullPage: true });
    expect(errors).toEqual([]);
  });
  it('an agent sees only the distributors and the tree, and no growth campaigns; an operator sees every tab', async () => {
    const tabsAs = async (email: string, role: string) => {
      await t.call(owner.token, 'POST', '/api/v1/members', { email, password: 'role-pass-1', role });
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'zh-CN' });
      await signInConsole(context, base, { email, password: 'role-pass-1' });
      const rolePage = await context.newPage();
      const roleErrors: string[] = [];
      rolePage.on('console', (m) => m.type() === 'error' && roleErrors.push(m.text()));
      rolePage.on('pageerror', (e) => roleErrors.push(e.message));
      await rolePage.goto(`${base}/console/#/distribution`);
      await rolePage.locator('.ant-tabs-tab').first().waitFor();
      await rolePage.locator('.ant-table').first().waitFor();
      const tabs = await rolePage.locator('.ant-tabs-tab').allTextContents();
      const menu = await rolePage.locator('.ant-menu-item').allTextContents();
      await rolePage.goto(`${base}/console/#/growth`);
      await rolePage.reload();
      await rolePage
        .locator('.ant-layout-content .ant-alert, .ant-layout-content .ant-card')
        .first()
        .waitFor();
      const growthPage = (await rolePage.locator('.ant-layout-content').textContent()) ?? '';
      await rolePage.screenshot({ path: `${SHOTS}/growth-console-${role}.png` });
      await context.close();
      return { tabs, menu, growthPage, roleErrors };
    };
    const agent = await tabsAs('agent@growth.test', 'agent');
    expect(agent.tabs).toEqual(['分销员', '关系树']);
    expect(agent.menu).toContain('分销与代理');
    expect(agent.menu).not.toContain('增长活动');
    expect(agent.growthPage).toContain('你的角色无法使用此页面');
    expect(agent.roleErrors).toEqual([]);
    const operator = await tabsAs('operator@growth.test', 'operator');
    expect(operator.tabs).toEqual(['分销员', '关系树', '佣金', '提现审核', '代理', '设置']);
    expect(operator.menu).toContain('增长活动');
    expect(operator.growthPage).toContain('幸运抽奖');
    expect(operator.roleErrors).toEqual([]);
  });
});
