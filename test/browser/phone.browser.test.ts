import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchBrowser, signInConsole } from '../support/browser.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { connectAccount } from '../support/wechat-fan.ts';

const SHOTS = 'test-results/screenshots';
const port = 21_000 + Math.floor(Math.random() * 20_000);

describe.skipIf(!hasChromium)('the fan’s phone', { timeout: 60_000 }, () => {
  let t: TestApp;
  let browser: Browser;
  let token: string;
  let login: { email: string; password: string };
  let account: { id: string; appid: string };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    t = await createTestApp({
      port,
      publicUrl: `http://127.0.0.1:${port}`,
      wechatApiBase: `http://127.0.0.1:${port}/sim`,
    });
    const m = await t.merchant('phone-shop');
    token = m.token;
    login = m;
    account = await connectAccount(t, token);
    await t.app.listen({ port, host: '127.0.0.1' });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('follows, gets the keyword reply an operator just added, and uses the published menu', async () => {
    await t.call(token, 'POST', '/api/v1/replies', {
      account_id: account.id,
      kind: 'welcome',
      reply: { type: 'text', content: '欢迎关注！' },
    });
    await t.call(token, 'POST', '/api/v1/replies', {
      account_id: account.id,
      kind: 'keyword',
      keyword: '会员',
      reply: { type: 'text', content: '会员专享 8 折' },
    });
    await t.call(token, 'PUT', `/api/v1/accounts/${account.id}/menu`, {
      buttons: [{ type: 'click', name: '本周上新', key: 'NEW' }],
    });
    await t.call(token, 'POST', `/api/v1/accounts/${account.id}/menu/publish`);
    await t.call(token, 'POST', '/api/v1/replies', {
      account_id: account.id,
      kind: 'click',
      keyword: 'NEW',
      reply: { type: 'text', content: '新品已上架' },
    });

    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    await signInConsole(context, `http://127.0.0.1:${port}`, login);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${port}/sim/phone?appid=${account.appid}`);
    await page.fill('#openid', 'o_phone_fan');
    await page.press('#openid', 'Enter');
    await page.click('#follow');
    await page.waitForSelector('.msg.them >> text=欢迎关注！');
    await page.fill('#text', '会员');
    await page.press('#text', 'Enter');
    await page.waitForSelector('.msg.them >> text=会员专享 8 折');
    await page.click('.menu-item >> text=本周上新');
    await page.waitForSelector('.msg.them >> text=新品已上架');
    await page.screenshot({ path: `${SHOTS}/7-phone-chat.png` });
    const follower = (await t.call(token, 'GET', `/api/v1/followers?account_id=${account.id}`)).body.items[0];
    expect(follower).toMatchObject({ openid: 'o_phone_fan', subscribed: true });
    expect(errors, errors.join('\n')).toEqual([]);
  });
});
