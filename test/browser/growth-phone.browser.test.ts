import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionSimulatedPay } from '../../src/demo-pay.ts';
import { trialTail } from '../../src/modules/growth/index.ts';
import { hasChromium, launchBrowser, signInConsole } from '../support/browser.ts';
import { pointsCardProgram } from '../support/loyalty-program.ts';
import { fanSession, shop } from '../support/shopper.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { connectAccount } from '../support/wechat-fan.ts';

const SHOTS = 'test-results/screenshots';
const port = 21_000 + Math.floor(Math.random() * 20_000);
const base = `http://127.0.0.1:${port}`;

/** The fan's phone: chat, links opening in WeChat's browser (an iframe), a share to a friend. */
describe.skipIf(!hasChromium)('growth on the phone', { timeout: 120_000 }, () => {
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let owner: { id: string; email: string; password: string; token: string };
  let account: { id: string; appid: string };
  let sku: string;
  const errors: string[] = [];

  const reply = async (keyword: string, text: string) => {
    const created = await t.call(owner.token, 'POST', '/api/v1/replies', {
      account_id: account.id,
      kind: 'keyword',
      match_type: 'exact',
      keyword,
      reply: { type: 'text', content: text },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
  };
  const as = async (openid: string) => {
    await page.fill('#openid', openid);
    await page.locator('#openid').dispatchEvent('change');
  };
  const send = async (text: string) => {
    await page.fill('#text', text);
    await page.click('form#send .send');
  };
  const frame = () => page.frameLocator('#browser-frame');
  const closeBrowser = () => page.click('#close-browser');

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    t = await createTestApp({ port, publicUrl: base, wechatApiBase: `${base}/sim` });
    owner = await t.merchant('phone-growth');
    account = await connectAccount(t, owner.token);
    await provisionSimulatedPay(t.deps, owner.id, { codEnabled: false });
    sku = (
      await t.call(owner.token, 'POST', '/api/v1/products', {
        title: '保湿精华',
        status: 'on_sale',
        skus: [{ spec: {}, price: 29_900, stock: 20 }],
      })
    ).body.skus[0].id;
    await t.app.listen({ port, host: '127.0.0.1' });
    t.worker.start();
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 430, height: 900 }, locale: 'zh-CN' });
    await signInConsole(context, base, owner);
    page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/sim/phone?appid=${account.appid}`);
    await page.locator('#account option').first().waitFor({ state: 'attached' });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('a fan replies to a trial, wins, sends an address from the link in chat, and the ¥0 order appears', async () => {
    const trial = (
      await t.call(owner.token, 'POST', '/api/v1/growth/trials', {
        account_id: account.id,
        title: '精华试用',
        sku_id: sku,
        units: 1,
        keyword: '试用',
        closes_at: t.clock.now() + 3_600_000,
      })
    ).body;
    await as('o_phone_trial');
    await send('试用 干皮，想试试这款精华');
    await page.locator('.msg.them .bubble', { hasText: '已收到' }).waitFor();
    await trialTail(t.deps)();
    const drawn = await t.call(owner.token, 'POST', `/api/v1/growth/trials/${trial.id}/draw`, {
      mode: 'random',
    });
    expect(drawn.status).toBe(200);
    // The winner's notice arrives in chat with the prizes page.
    const notice = page.locator('.msg.them .bubble', { hasText: '中奖了' });
    await notice.waitFor({ timeout: 15_000 });
    await notice.locator('a').click();
    const prizes = frame();
    await prizes.locator('form[data-claim]').waitFor();
    await prizes.locator('input[name="name"]').fill('王五');
    await prizes.locator('input[name="phone"]').fill('13700137000');
    await prizes.locator('input[name="region"]').fill('杭州市西湖区');
    await prizes.locator('input[name="detail"]').fill('文三路 3 号');
    await prizes.locator('form[data-claim] button').click();
    await prizes.getByText('已下单，奖品将免费寄出').waitFor();
    await page.screenshot({ path: `${SHOTS}/growth-phone-trial.png` });
    const orders = (await t.call(owner.token, 'GET', '/api/v1/orders?limit=10')).body;
    const list = Array.isArray(orders) ? orders : orders.items;
    expect(list.find((o: { openid: string }) => o.openid === 'o_phone_trial')).toMatchObject({
      total: 0,
      status: 'paid',
      source: 'trial',
    });
    // The prizes page now links the order, and the order page opens.
    await prizes.locator('body').evaluate((body) => body.ownerDocument.location.reload());
    await prizes.getByText('查看奖品订单').click();
    await prizes.locator('body', { hasText: '保湿精华' }).waitFor();
    await closeBrowser();
    expect(errors).toEqual([]);
  });

  it('a fan opens a red packet from a link in chat and it lands in 零钱', async () => {
    const campaign = (
      await t.call(owner.token, 'POST', '/api/v1/growth/red-packets', {
        account_id: account.id,
        name: '新年红包',
        budget: 10_000,
        amount_min: 188,
        amount_max: 188,
        trigger: 'link',
      })
    ).body;
    await reply('红包', `<a href="${base}/shop/${account.appid}/red-packets/${campaign.id}">点此拆红包</a>`);
    await as('o_phone_packet');
    await send('红包');
    await page.locator('.msg.them .bubble a', { hasText: '点此拆红包' }).click();
    await frame().locator('#open-packet').click();
    await frame().getByText('¥1.88 已存入微信零钱').waitFor();
    await page.screenshot({ path: `${SHOTS}/growth-phone-red-packet.png` });
    await expect
      .poll(
        async () =>
          (await t.call(owner.token, 'GET', `/api/v1/growth/red-packets/${campaign.id}/packets`)).body,
        {
          timeout: 10_000,
        },
      )
      .toEqual([expect.objectContaining({ openid: 'o_phone_packet', amount: 188, status: 'paid' })]);
    await closeBrowser();
    expect(errors).toEqual([]);
  });

  it('a fan shares a page through the JS-SDK, two friends open it, and the coupon is unlocked', async () => {
    const coupon = (
      await t.call(owner.token, 'POST', '/api/v1/coupon-campaigns', {
        name: '分享立减券',
        kind: 'fixed',
        value: 500,
        total_limit: 100,
        valid_days: 7,
      })
    ).body.id;
    const campaign = (
      await t.call(owner.token, 'POST', '/api/v1/growth/share-campaigns', {
        account_id: account.id,
        name: '转发立减',
        share_title: '这款精华真好用',
        share_desc: '帮我点一下',
        required_opens: 2,
        coupon_campaign_id: coupon,
        ends_at: t.clock.now() + 86_400_000,
      })
    ).body;
    await reply('分享', `<a href="${base}/shop/${account.appid}/share/${campaign.id}">分享领券</a>`);

    for (const friend of ['o_phone_friend_1', 'o_phone_friend_2']) {
      await as('o_phone_sharer');
      await send('分享');
      await page.locator('.msg.them .bubble a', { hasText: '分享领券' }).last().click();
      // The page configured the JS-SDK (signature checked by the simulator) and set its share card.
      await frame().locator('#share-ready').waitFor();
      await page.locator('#share-friend').waitFor();
      page.once('dialog', (dialog) => void dialog.accept(friend));
      await page.click('#share-friend');
      await frame().getByText('你已帮好友助力成功！').waitFor();
      await closeBrowser();
    }
    await as('o_phone_sharer');
    await send('分享');
    await page.locator('.msg.them .bubble a', { hasText: '分享领券' }).last().click();
    await expect
      .poll(
        async () => {
          await frame()
            .locator('body')
            .evaluate((body) => body.ownerDocument.location.reload());
          return frame()
            .locator('#unlocked')
            .textContent({ timeout: 5_000 })
            .catch(() => '');
        },
        { timeout: 15_000 },
      )
      .toContain('已放入你的卡包');
    await page.screenshot({ path: `${SHOTS}/growth-phone-share.png` });
    const shares = (await t.call(owner.token, 'GET', `/api/v1/growth/share-campaigns/${campaign.id}/shares`))
      .body;
    expect(shares).toEqual([expect.objectContaining({ openid: 'o_phone_sharer', opens: 2 })]);
    await closeBrowser();
    expect(errors).toEqual([]);
  });
  it('a fan with points opens a draw by points from chat, sees its cost and their balance, plays twice and wins points', async () => {
    const saved = await t.call(owner.token, 'PUT', '/api/v1/loyalty/program', pointsCardProgram());
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    const cookie = await fanSession(t, account.appid, 'o_phone_points');
    const card = (await shop(t, cookie, account.appid, 'POST', '/loyalty/card')).body;
    await t.call(owner.token, 'POST', `/api/v1/loyalty/cards/${card.id}/adjustments`, {
      kind: 'points',
      delta: 300,
      reason: '活动赠送',
    });
    const draw = (
      await t.call(owner.token, 'POST', '/api/v1/growth/draws', {
        account_id: account.id,
        name: '积分转盘',
        entry_rule: 'points',
        entry_points: 100,
        ends_at: t.clock.now() + 86_400_000,
        prizes: [{ name: '20 积分', kind: 'points', points: 20, odds: 10_000, stock: 100 }],
      })
    ).body;
    await reply('积分抽奖', `<a href="${base}/shop/${account.appid}/draws/${draw.id}">积分抽奖</a>`);
    await as('o_phone_points');
    await send('积分抽奖');
    await page.locator('.msg.them .bubble a', { hasText: '积分抽奖' }).last().click();
    const phone = frame();
    await phone.getByText('每次抽奖消耗 100 积分').waitFor();
    expect(await phone.locator('#draw-balance').textContent()).toBe('300');
    await phone.locator('#play-draw').click();
    await phone.getByText('恭喜抽中「20 积分」！').waitFor();
    expect(await phone.locator('#draw-balance').textContent()).toBe('200');
    await phone.getByRole('button', { name: '再抽一次' }).click();
    await expect.poll(() => phone.locator('#draw-balance').textContent()).not.toBe('200');
    await page.screenshot({ path: `${SHOTS}/growth-phone-points-draw.png` });
    // The two prizes land on the card from the prize job: 300 − 2 × 100 + 2 × 20.
    await expect
      .poll(
        async () => (await t.call(owner.token, 'GET', `/api/v1/loyalty/cards/${card.id}`)).body.card.points,
        {
          timeout: 10_000,
        },
      )
      .toBe(140);
    await closeBrowser();
    expect(errors).toEqual([]);
  });
});
