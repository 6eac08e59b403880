import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionSimulatedPay } from '../../src/demo-pay.ts';
import { hasChromium, launchBrowser, signInConsole } from '../support/browser.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { connectAccount } from '../support/wechat-fan.ts';

const SHOTS = 'test-results/screenshots';
const port = 21_000 + Math.floor(Math.random() * 20_000);
const base = `http://127.0.0.1:${port}`;

describe.skipIf(!hasChromium)('community: phone and console', () => {
  let t: TestApp;
  let browser: Browser;
  let owner: { id: string; email: string; password: string; token: string };
  let appid: string;
  let articleId: string;
  const errors: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const built = spawnSync(process.execPath, ['scripts/build-console.ts'], { stdio: 'inherit' });
    if (built.status !== 0) throw new Error('console build failed');
    t = await createTestApp({ port, publicUrl: base, wechatApiBase: `${base}/sim` });
    owner = await t.merchant('browser-community');
    appid = (await connectAccount(t, owner.token)).appid;
    await provisionSimulatedPay(t.deps, owner.id, { codEnabled: false });
    const product = (
      await t.call(owner.token, 'POST', '/api/v1/products', {
        title: '手冲咖啡壶',
        status: 'on_sale',
        skus: [{ spec: {}, price: 12_800, stock: 20 }],
      })
    ).body.id;
    await t.call(owner.token, 'POST', '/api/v1/community/plans', {
      name: '年度会员',
      description: '会员文章与会员社区',
      period_days: 365,
      price: 19_900,
      seat_cap: 500,
      window_start: t.clock.now() - 86_400_000,
      window_days: 30,
      repeat: 'yearly',
      status: 'active',
    });
    articleId = (
      await t.call(owner.token, 'POST', '/api/v1/community/articles', {
        title: '会员专享：烘焙曲线',
        summary: '烘焙的秘密',
        body: `<h3>一、升温</h3><p>只给会员看的正文</p><product-card data-product-id="${product}"></product-card>`,
        access: 'members',
        status: 'published',
        column_name: '本周新品',
      })
    ).body.id;
    await t.app.listen({ port, host: '127.0.0.1' });
    t.worker.start();
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('buy the yearly membership → read a members-only article → post on the board', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    await signInConsole(context, base, owner);
    await context.addCookies([{ name: 'sim_fan', value: 'o_phone', url: base }]);
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));

    await page.goto(`${base}/shop/${appid}/articles/${articleId}`);
    await page.locator('#paywall').waitFor();
    expect(await page.textContent('body')).not.toContain('只给会员看的正文');
    await page.screenshot({ path: `${SHOTS}/community-paywall.png`, fullPage: true });
    await page.click('#join');
    await page.waitForURL(/\/membership\?next=/);
    expect(await page.textContent('.plan')).toContain('剩余名额 500 / 500');
    await page.click('button[data-plan]');
    await page.waitForURL(/\/orders\/ord_/);
    await page.click('#pay');
    await page.waitForSelector('#confirm-pay');
    await page.click('#confirm-pay');
    await page.waitForURL(/\/orders\/ord_/);
    // A membership has nothing to ship: the order says paid, not "awaiting shipment".
    await expect.poll(() => page.textContent('#status')).toBe('支付成功');

    await expect
      .poll(
        async () => {
          await page.goto(`${base}/shop/${appid}/articles/${articleId}`);
          return page.locator('#article-body').count();
        },
        { timeout: 15_000 },
      )
      .toBe(1);
    expect(await page.textContent('#article-body')).toContain('只给会员看的正文');
    expect(await page.textContent('.product-card')).toContain('¥128.00');
    await page.screenshot({ path: `${SHOTS}/community-article.png`, fullPage: true });

    await page.goto(`${base}/shop/${appid}/board`);
    await page.fill('#post-form textarea', '第一次发帖：今天的豆子很香');
    await page.click('#post');
    await page.locator('.post .text', { hasText: '今天的豆子很香' }).waitFor();
    await page.fill('.reply-form input', '同感');
    await page.click('.reply-form button');
    await page.locator('.reply', { hasText: '同感' }).waitFor();
    await page.screenshot({ path: `${SHOTS}/community-board.png`, fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);

  it('the console shows plan sales and moderates the board, in Chinese and English', async () => {
    const posts = (await t.call(owner.token, 'GET', '/api/v1/community/posts')).body.items;
    const top = posts.find((p: { parent_id: string | null }) => p.parent_id === null);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    await signInConsole(context, base, owner);
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/console/#/community`);
    await page.getByRole('tab', { name: '付费会员' }).click();
    await page.getByRole('button', { name: /^销\s*售$/ }).click();
    await page.locator('[data-testid="plan-sales"]').waitFor();
    expect(await page.textContent('[data-testid="plan-sales"]')).toContain('¥199.00');
    await page.screenshot({ path: `${SHOTS}/community-sales.png`, fullPage: true });

    await page.getByRole('tab', { name: '社区管理' }).click();
    await page.getByText('第一次发帖：今天的豆子很香').first().waitFor();
    await page
      .getByRole('button', { name: /^置\s*顶$/ })
      .first()
      .click();
    await expect
      .poll(
        async () =>
          (await t.call(owner.token, 'GET', '/api/v1/community/posts')).body.items.find(
            (p: { id: string }) => p.id === top.id,
          ).pinned,
      )
      .toBe(true);
    await page.screenshot({ path: `${SHOTS}/community-moderation.png`, fullPage: true });

    // The editor: what the operator typed is stored and previewed as the allow-list rebuilt it.
    await page.getByRole('tab', { name: '文章' }).click();
    await page.getByRole('button', { name: '写文章' }).click();
    await page.locator('[data-testid="article-title"]').fill('本周新品：冷萃');
    await page
      .locator('[data-testid="article-body"]')
      .fill('<h3>冷萃做法</h3><p onclick="alert(1)">冰水 12 小时</p><script>alert(2)</script>');
    await page.getByRole('button', { name: /^保\s*存$/ }).click();
    await page.locator('[data-testid="article-preview"] h3').waitFor();
    expect(await page.innerHTML('[data-testid="article-preview"]')).not.toContain('onclick');
    const stored = (await t.call(owner.token, 'GET', '/api/v1/community/articles')).body.find(
      (a: { title: string }) => a.title === '本周新品：冷萃',
    );
    expect((await t.call(owner.token, 'GET', `/api/v1/community/articles/${stored.id}`)).body.body).toBe(
      '<h3>冷萃做法</h3><p>冰水 12 小时</p>',
    );
    await page.screenshot({ path: `${SHOTS}/community-editor.png`, fullPage: true });

    await page.evaluate(() => localStorage.setItem('weiloop-lang', 'en'));
    await page.reload();
    await page.getByRole('tab', { name: 'Board moderation' }).waitFor();
    await page.getByRole('tab', { name: 'Articles' }).click();
    await page.getByText('会员专享：烘焙曲线').waitFor();
    await page.screenshot({ path: `${SHOTS}/community-articles-en.png`, fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);
});
