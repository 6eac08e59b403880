import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { merchantCtx } from '../src/context.ts';
import { provisionSimulatedPay } from '../src/demo-pay.ts';
import { play, prizeForRoll, rollOf, seedHash, trialTail } from '../src/modules/growth/index.ts';
import { markPaid, placeOrder } from '../src/modules/orders/index.ts';
import { inTransaction } from '../src/platform/db/database.ts';
import { fanSession, shop } from './support/shopper.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { connectAccount, fan, say } from './support/wechat-fan.ts';

let t: TestApp;
let token: string;
let merchantId: string;
let account: { id: string; appid: string };
let sku: string;
let productId: string;
const address = { name: '李四', phone: '13800138000', region: '上海市徐汇区', detail: '漕溪北路 1 号' };

const coupons = async (name: string, total = 100, perFan = 1) =>
  (
    await t.call(token, 'POST', '/api/v1/coupon-campaigns', {
      name,
      kind: 'fixed',
      value: 500,
      total_limit: total,
      per_fan_limit: perFan,
      valid_days: 7,
    })
  ).body.id as string;

/** A friend opens the share link in their own WeChat: OAuth first, then the counted page. */
async function friendOpens(link: string, openid: string) {
  const path = new URL(link).pathname;
  const landing = await t.app.inject({ url: path });
  expect(landing.statusCode).toBe(302);
  expect(String(landing.headers.location)).toContain('/oauth?next=');
  const cookie = await fanSession(t, account.appid, openid);
  const page = await t.app.inject({ url: `${path}/open`, headers: { cookie } });
  expect(page.statusCode).toBe(200);
  return page.body;
}

const customMessages = (openid: string) =>
  t
    .simulator!.sim.fan(account.appid, openid)
    .transcript.filter((e) => e.via === 'custom')
    .map((e) => JSON.stringify(e.message));

beforeAll(async () => {
  t = await createTestApp();
  const m = await t.merchant('growth-share-draws');
  token = m.token;
  merchantId = m.id;
  account = await connectAccount(t, token);
  await provisionSimulatedPay(t.deps, m.id);
  const product = (
    await t.call(token, 'POST', '/api/v1/products', {
      title: '蓝牙耳机',
      status: 'on_sale',
      skus: [{ spec: {}, price: 19_900, stock: 50 }],
    })
  ).body;
  sku = product.skus[0].id;
  productId = product.id;
});
afterAll(() => t.close());

describe('share to unlock', () => {
  it('unlocks the sharer’s coupon when N distinct friends open the link; the sharer and repeats do not count', async () => {
    const couponCampaign = await coupons('分享券');
    const created = await t.call(token, 'POST', '/api/v1/growth/share-campaigns', {
      account_id: account.id,
      name: '转发立减',
      share_title: '我在看这款蓝牙耳机',
      share_desc: '帮我点开，我能领券',
      product_id: productId,
      required_opens: 3,
      coupon_campaign_id: couponCampaign,
      ends_at: t.clock.now() + 86_400_000,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;

    const sharer = await fanSession(t, account.appid, 'o_sharer');
    // The share page hands a signed wx.config and the share card to the JS-SDK.
    const page = await t.app.inject({
      url: `/shop/${account.appid}/share/${id}`,
      headers: { cookie: sharer },
    });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('data-signature="');
    expect(page.body).toContain('/sim/assets/jweixin.js');
    const mine = await shop(t, sharer, account.appid, 'GET', `/share-campaigns/${id}/mine`);
    expect(mine.body).toMatchObject({ opens: 0, required_opens: 3, unlocked: false });
    const link = mine.body.link as string;
    expect(page.body).toContain(link);

    // The sharer opening their own link, and one friend opening it three times, count once (zero for the sharer).
    expect(await friendOpens(link, 'o_sharer')).toContain('这是你自己的分享');
    expect(await friendOpens(link, 'o_friend_a')).toContain('助力成功');
    expect(await friendOpens(link, 'o_friend_a')).toContain('已经帮这位好友助力过了');
    expect(await friendOpens(link, 'o_friend_a')).toContain('已经帮这位好友助力过了');
    expect((await shop(t, sharer, account.appid, 'GET', `/share-campaigns/${id}/mine`)).body.opens).toBe(1);

    await friendOpens(link, 'o_friend_b');
    await friendOpens(link, 'o_friend_c');
    await friendOpens(link, 'o_friend_d');
    await t.worker.drain();
    const after = (await shop(t, sharer, account.appid, 'GET', `/share-campaigns/${id}/mine`)).body;
    expect(after).toMatchObject({ opens: 4, unlocked: true });
    expect(after.coupon_id).toMatch(/^cpn_/);
    const wallet = await shop(t, sharer, account.appid, 'GET', '/coupons');
    expect(wallet.body.filter((c: { campaign_id: string }) => c.campaign_id === couponCampaign)).toHaveLength(
      1,
    );

    const view = (await t.call(token, 'GET', `/api/v1/growth/share-campaigns/${id}`)).body;
    expect(view).toMatchObject({ shares: 1, unlocked: 1 });
    const shares = (await t.call(token, 'GET', `/api/v1/growth/share-campaigns/${id}/shares`)).body;
    expect(shares).toEqual([expect.objectContaining({ openid: 'o_sharer', opens: 4 })]);
  });

  it('counts concurrent opens by different friends exactly and unlocks once', async () => {
    const couponCampaign = await coupons('并发分享券');
    const id = (
      await t.call(token, 'POST', '/api/v1/growth/share-campaigns', {
        account_id: account.id,
        name: '并发',
        share_title: '看看',
        required_opens: 5,
        coupon_campaign_id: couponCampaign,
        ends_at: t.clock.now() + 86_400_000,
      })
    ).body.id as string;
    const sharer = await fanSession(t, account.appid, 'o_busy_sharer');
    const link = (await shop(t, sharer, account.appid, 'GET', `/share-campaigns/${id}/mine`)).body.link;
    const token_ = new URL(link).pathname.split('/').at(-1);
    const cookies = await Promise.all(
      Array.from({ length: 12 }, (_, i) => fanSession(t, account.appid, `o_crowd_${i}`)),
    );
    await Promise.all(
      [...cookies, ...cookies].map((cookie) =>
        t.app.inject({ url: `/shop/${account.appid}/s/${token_}/open`, headers: { cookie } }),
      ),
    );
    await t.worker.drain();
    const shares = (await t.call(token, 'GET', `/api/v1/growth/share-campaigns/${id}/shares`)).body;
    expect(shares[0]).toMatchObject({ opens: 12 });
    expect((await t.call(token, 'GET', `/api/v1/growth/share-campaigns/${id}`)).body.unlocked).toBe(1);
    const wallet = await shop(t, sharer, account.appid, 'GET', '/coupons');
    expect(wallet.body.filter((c: { campaign_id: string }) => c.campaign_id === couponCampaign)).toHaveLength(
      1,
    );
  });

  it('refuses another merchant’s coupon campaign, a past end and non-operators', async () => {
    const other = await t.merchant('growth-share-other');
    const foreign = (
      await t.call(other.token, 'POST', '/api/v1/coupon-campaigns', {
        name: '别家券',
        kind: 'fixed',
        value: 100,
        total_limit: 10,
        valid_days: 7,
      })
    ).body.id;
    const body = {
      account_id: account.id,
      name: 'x',
      share_title: 'x',
      required_opens: 2,
      coupon_campaign_id: foreign,
      ends_at: t.clock.now() + 1000,
    };
    expect((await t.call(token, 'POST', '/api/v1/growth/share-campaigns', body)).status).toBe(404);
    const own = await coupons('x');
    const past = await t.call(token, 'POST', '/api/v1/growth/share-campaigns', {
      ...body,
      coupon_campaign_id: own,
      ends_at: t.clock.now() - 1,
    });
    expect(past.body.error.code).toBe('invalid_window');
    const agent = (await t.call(token, 'POST', '/api/v1/tokens', { name: '客服', role: 'agent' })).body.token;
    expect(
      (await t.call(agent, 'POST', '/api/v1/growth/share-campaigns', { ...body, coupon_campaign_id: own }))
        .status,
    ).toBe(403);
    expect((await t.call(agent, 'GET', '/api/v1/growth/share-campaigns')).status).toBe(403);
  });
});

describe('lucky draws', () => {
  const createDraw = async (body: Record<string, unknown>) => {
    const created = await t.call(token, 'POST', '/api/v1/growth/draws', {
      account_id: account.id,
      name: '幸运大转盘',
      ends_at: t.clock.now() + 7 * 86_400_000,
      ...body,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body as { id: string; seed_hash: string; prizes: Array<{ id: string }> };
  };

  it('never gives a prize past its stock, however many fans play at once; one play per rule', async () => {
    const couponCampaign = await coupons('转盘券', 1000);
    // Every roll lands on the coupon (100%), which has 5 in stock.
    const draw = await createDraw({
      entry_rule: 'once',
      prizes: [
        { name: '5 元券', kind: 'coupon', coupon_campaign_id: couponCampaign, odds: 10_000, stock: 5 },
      ],
    });
    const fans = Array.from({ length: 40 }, (_, i) =>
      merchantCtx(t.deps, merchantId, { kind: 'fan', accountId: account.id, openid: `o_player_${i}` }),
    );
    const results = await Promise.all(
      [...fans, ...fans.slice(0, 10)].map((f) =>
        play(f, draw.id).then(
          (r) => r.outcome,
          (e: Error & { code?: string }) => e.code ?? 'error',
        ),
      ),
    );
    expect(results.filter((r) => r === 'won')).toHaveLength(5);
    expect(results.filter((r) => r === 'out_of_stock')).toHaveLength(35);
    expect(results.filter((r) => r === 'already_played')).toHaveLength(10);
    const view = (await t.call(token, 'GET', `/api/v1/growth/draws/${draw.id}`)).body;
    expect(view.prizes[0]).toMatchObject({ stock: 5, won: 5 });
    expect(view.plays).toBe(40);
    await t.worker.drain();

    // Ending reveals the seed: it matches the hash published at creation, and every roll recomputes.
    const ended = (await t.call(token, 'POST', `/api/v1/growth/draws/${draw.id}/end`)).body;
    expect(seedHash(ended.seed)).toBe(draw.seed_hash);
    const audit = (await t.call(token, 'GET', `/api/v1/growth/draws/${draw.id}/audit`)).body;
    expect(audit.results).toHaveLength(40);
    const auditPrizes = audit.prizes as Array<{ id: string; odds: number; position: number }>;
    for (const r of audit.results) {
      expect(r.roll).toBe(rollOf(audit.seed, r.account_id, r.openid, r.entry_ref));
      expect(r.rolled_prize_id).toBe(prizeForRoll(auditPrizes, r.roll)?.id ?? null);
    }
    const closed = await play(fans[0]!, draw.id).catch((e: Error & { code?: string }) => e.code);
    expect(closed).toBe('draw_closed');
  });

  it('a fan plays from the draw page once a day, wins a coupon and sees it on the prizes page; entries by order check the order', async () => {
    const couponCampaign = await coupons('每日券', 1000, 5);
    const daily = await createDraw({
      entry_rule: 'daily',
      prizes: [
        { name: '10 元券', kind: 'coupon', coupon_campaign_id: couponCampaign, odds: 10_000, stock: 100 },
      ],
    });
    // The fan wrote in chat today, so WeChat lets the account answer (the 48-hour window).
    await say(t, account.appid, 'o_daily', '抽奖');
    const cookie = await fanSession(t, account.appid, 'o_daily');
    const page = await t.app.inject({ url: `/shop/${account.appid}/draws/${daily.id}`, headers: { cookie } });
    expect(page.body).toContain(daily.seed_hash);
    const first = await shop(t, cookie, account.appid, 'POST', `/draws/${daily.id}/play`, {});
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body).toMatchObject({ outcome: 'won', prize: { name: '10 元券' } });
    expect(first.body.entry_ref).toMatch(/^day:\d{4}-\d{2}-\d{2}$/);
    // The day is the merchant's own: a merchant in Los Angeles plays on Los Angeles' calendar.
    expect(
      (await t.call(token, 'PATCH', '/api/v1/merchant', { timezone: 'America/Los_Angeles' })).status,
    ).toBe(200);
    const laDay = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Los_Angeles' }).format(t.clock.now());
    const abroad = await shop(t, cookie, account.appid, 'POST', `/draws/${daily.id}/play`, {});
    expect(abroad.body.entry_ref ?? abroad.body.error?.code).toBe(
      first.body.entry_ref === `day:${laDay}` ? 'already_played' : `day:${laDay}`,
    );
    expect((await t.call(token, 'PATCH', '/api/v1/merchant', { timezone: 'Asia/Shanghai' })).status).toBe(
      200,
    );
    const again = await shop(t, cookie, account.appid, 'POST', `/draws/${daily.id}/play`, {});
    expect(again.body.error.code).toBe('already_played');
    t.clock.advance(24 * 3_600_000);
    expect((await shop(t, cookie, account.appid, 'POST', `/draws/${daily.id}/play`, {})).status).toBe(201);
    await t.worker.drain();
    const results = (await shop(t, cookie, account.appid, 'GET', '/draw-results')).body;
    // Two Shanghai days, and Los Angeles' day when it was another one.
    expect(results).toHaveLength(abroad.status === 201 ? 3 : 2);
    expect(results.every((r: { coupon_id: string | null }) => r.coupon_id?.startsWith('cpn_'))).toBe(true);
    const prizes = await t.app.inject({ url: `/shop/${account.appid}/prizes`, headers: { cookie } });
    expect(prizes.body).toContain('幸运大转盘');
    expect(prizes.body).toContain('10 元券');
    expect(customMessages('o_daily').some((m) => m.includes('恭喜你抽中'))).toBe(true);

    const byOrder = await createDraw({
      entry_rule: 'order',
      min_order_total: 10_000,
      prizes: [{ name: '谢谢参与', kind: 'nothing', odds: 10_000, stock: 0 }],
    });
    const buyer = merchantCtx(t.deps, merchantId, { kind: 'fan', accountId: account.id, openid: 'o_daily' });
    const unpaid = await placeOrder(buyer, {
      items: [{ sku_id: sku, quantity: 1 }],
      address,
      payment_method: 'wechat',
    });
    const noOrder = await shop(t, cookie, account.appid, 'POST', `/draws/${byOrder.id}/play`, {});
    expect(noOrder.body.error.code).toBe('order_required');
    const notPaid = await shop(t, cookie, account.appid, 'POST', `/draws/${byOrder.id}/play`, {
      order_id: unpaid.id,
    });
    expect(notPaid.body.error.code).toBe('order_not_eligible');
    // Paid, the order earns one play: the fan is told in chat with the draw's link.
    const system = merchantCtx(t.deps, merchantId);
    await inTransaction(system.db, (trx) => markPaid({ ...system, db: trx }, unpaid.id));
    await t.worker.drain();
    expect(customMessages('o_daily').some((m) => m.includes(`/draws/${byOrder.id}?order=${unpaid.id}`))).toBe(
      true,
    );
    const played = await shop(t, cookie, account.appid, 'POST', `/draws/${byOrder.id}/play`, {
      order_id: unpaid.id,
    });
    expect(played.body).toMatchObject({ outcome: 'nothing', entry_ref: `order:${unpaid.id}` });
    const twice = await shop(t, cookie, account.appid, 'POST', `/draws/${byOrder.id}/play`, {
      order_id: unpaid.id,
    });
    expect(twice.body.error.code).toBe('already_played');
    // Someone else's order is not a chance of mine.
    const stranger = await fanSession(t, account.appid, 'o_stranger');
    const borrowed = await shop(t, stranger, account.appid, 'POST', `/draws/${byOrder.id}/play`, {
      order_id: unpaid.id,
    });
    expect(borrowed.status).toBe(409);
  });

  it('a goods prize without a saved address waits for one from the prizes page, then ships as a ¥0 order', async () => {
    const draw = await createDraw({
      entry_rule: 'once',
      prizes: [{ name: '蓝牙耳机一副', kind: 'goods', sku_id: sku, odds: 10_000, stock: 1 }],
    });
    const cookie = await fanSession(t, account.appid, 'o_goods');
    const won = await shop(t, cookie, account.appid, 'POST', `/draws/${draw.id}/play`, {});
    expect(won.body).toMatchObject({ outcome: 'won', prize: { kind: 'goods' } });
    await t.worker.drain();
    const page = await t.app.inject({ url: `/shop/${account.appid}/prizes`, headers: { cookie } });
    expect(page.body).toContain('填写收货地址');
    const claimed = await shop(t, cookie, account.appid, 'POST', `/draw-results/${won.body.id}/claim`, {
      address,
    });
    expect(claimed.status, JSON.stringify(claimed.body)).toBe(201);
    expect(claimed.body).toMatchObject({ total: 0, status: 'paid', source: 'lucky_draw' });
    const again = await shop(t, cookie, account.appid, 'POST', `/draw-results/${won.body.id}/claim`, {
      address,
    });
    expect(again.body.error.code).toBe('already_claimed');
    const late = await fanSession(t, account.appid, 'o_goods_late');
    const gone = await shop(t, late, account.appid, 'POST', `/draws/${draw.id}/play`, {});
    expect(gone.body.outcome).toBe('out_of_stock');
  });

  it('a fan must be signed in, and a fan of another merchant cannot see or play this draw', async () => {
    const draw = await createDraw({
      entry_rule: 'once',
      prizes: [{ name: '谢谢', kind: 'nothing', odds: 10_000, stock: 0 }],
    });
    const anonymous = await t.app.inject({
      method: 'POST',
      url: `/shop/${account.appid}/api/draws/${draw.id}/play`,
      payload: {},
    });
    expect(anonymous.statusCode).toBe(401);
    const other = await t.merchant('growth-draws-other');
    const otherAccount = await connectAccount(t, other.token);
    const outsider = await fanSession(t, otherAccount.appid, 'o_outsider');
    const played = await shop(t, outsider, otherAccount.appid, 'POST', `/draws/${draw.id}/play`, {});
    expect(played.status).toBe(404);
    const page = await t.app.inject({
      url: `/shop/${otherAccount.appid}/draws/${draw.id}`,
      headers: { cookie: outsider },
    });
    expect(page.statusCode).toBe(404);
    expect(page.body).not.toContain(draw.seed_hash);
  });

  it('refuses odds over 100%, a coupon prize without a campaign, and non-operators', async () => {
    const over = await t.call(token, 'POST', '/api/v1/growth/draws', {
      account_id: account.id,
      name: 'x',
      entry_rule: 'once',
      ends_at: t.clock.now() + 1000,
      prizes: [
        { name: 'a', kind: 'nothing', odds: 6000, stock: 0 },
        { name: 'b', kind: 'nothing', odds: 6000, stock: 0 },
      ],
    });
    expect(over.body.error.code).toBe('invalid_odds');
    const noCoupon = await t.call(token, 'POST', '/api/v1/growth/draws', {
      account_id: account.id,
      name: 'x',
      entry_rule: 'once',
      ends_at: t.clock.now() + 1000,
      prizes: [{ name: 'a', kind: 'coupon', odds: 100, stock: 1 }],
    });
    expect(noCoupon.body.error.code).toBe('coupon_required');
    const clerk = (await t.call(token, 'POST', '/api/v1/tokens', { name: '店员', role: 'clerk' })).body.token;
    expect((await t.call(clerk, 'GET', '/api/v1/growth/draws')).status).toBe(403);
  });
});

describe('red packets on a follow, notices', () => {
  it('a fan who follows through the campaign’s QR code gets one packet; other follows get none', async () => {
    const qr = (
      await t.call(token, 'POST', '/api/v1/qrcodes', {
        account_id: account.id,
        name: '门店海报',
        permanent: true,
      })
    ).body;
    expect(qr.ticket, JSON.stringify(qr)).toBeTruthy();
    const created = await t.call(token, 'POST', '/api/v1/growth/red-packets', {
      account_id: account.id,
      name: '扫码关注红包',
      budget: 1_000,
      amount_min: 120,
      amount_max: 120,
      trigger: 'follow',
      scene: qr.scene,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await fan(t, account.appid, 'o_poster', { type: 'scan', ticket: qr.ticket });
    await fan(t, account.appid, 'o_poster', { type: 'scan', ticket: qr.ticket });
    await fan(t, account.appid, 'o_plain_follow', { type: 'subscribe' });
    await trialTail(t.deps)();
    await t.worker.drain();
    const packets = (await t.call(token, 'GET', `/api/v1/growth/red-packets/${created.body.id}/packets`))
      .body;
    expect(packets).toEqual([expect.objectContaining({ openid: 'o_poster', amount: 120, status: 'paid' })]);
    const cookie = await fanSession(t, account.appid, 'o_poster');
    const prizes = await t.app.inject({ url: `/shop/${account.appid}/prizes`, headers: { cookie } });
    expect(prizes.body).toContain('扫码关注红包');
    expect(prizes.body).toContain('已到零钱');
  });

  it('a trial winner is told in chat with a link to the prizes page', async () => {
    const trial = (
      await t.call(token, 'POST', '/api/v1/growth/trials', {
        account_id: account.id,
        title: '耳机试用',
        sku_id: sku,
        units: 1,
        keyword: '耳机试用',
        closes_at: t.clock.now() + 3_600_000,
      })
    ).body;
    await say(t, account.appid, 'o_trial_win', '耳机试用 通勤用');
    await trialTail(t.deps)();
    const drawn = await t.call(token, 'POST', `/api/v1/growth/trials/${trial.id}/draw`, { mode: 'random' });
    expect(drawn.status).toBe(200);
    await t.worker.drain();
    expect(customMessages('o_trial_win').some((m) => m.includes('耳机试用') && m.includes('/prizes'))).toBe(
      true,
    );
    const cookie = await fanSession(t, account.appid, 'o_trial_win');
    const page = await t.app.inject({ url: `/shop/${account.appid}/prizes`, headers: { cookie } });
    expect(page.body).toContain('耳机试用');
    expect(page.body).toContain('填写收货地址');
  });
});
