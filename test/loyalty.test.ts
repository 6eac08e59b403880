import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTrx, merchantCtx } from '../src/context.ts';
import { provisionSimulatedPay } from '../src/demo-pay.ts';
import {
  CARD_MENU_KEY,
  checkoutWithCard,
  issueCard,
  loyaltyLogTail,
  movePoints,
  moveValue,
  reconcile,
} from '../src/modules/loyalty/index.ts';
import { createApiToken } from '../src/modules/tenants/index.ts';
import { inTransaction } from '../src/platform/db/database.ts';
import { confirmPay, fanSession, shop, until } from './support/shopper.ts';
import { createTestApp, engine, type TestApp } from './support/test-app.ts';
import { connectAccount, fan } from './support/wechat-fan.ts';

let t: TestApp;
let owner: string;
let merchantId: string;
let accountId: string;
let appid: string;
let coat: { id: string; sku: string };
let gift: { id: string; sku: string };
const address = { name: '王五', phone: '13700137000', region: '杭州市西湖区', detail: '文三路 3 号' };

async function product(title: string, category: string, price: number) {
  const body = (
    await t.call(owner, 'POST', '/api/v1/products', {
      title,
      category,
      status: 'on_sale',
      skus: [{ spec: {}, price, stock: 100_000 }],
    })
  ).body;
  return { id: body.id as string, sku: body.skus[0].id as string };
}

const program = {
  name: '星享卡',
  cover_url: '',
  color: '#0f766e',
  terms: '积分一年有效',
  levels: [
    {
      key: 'basic',
      name: '普通会员',
      min_spend: 0,
      min_points: 0,
      earn_rate: 1,
      discount_pct: 0,
      free_shipping: false,
      birthday_gift: '',
      store_perks: {},
    },
    {
      key: 'silver',
      name: '银卡会员',
      min_spend: 50_000,
      min_points: 0,
      earn_rate: 2,
      discount_pct: 5,
      free_shipping: false,
      birthday_gift: '',
      store_perks: {},
    },
    {
      key: 'gold',
      name: '金卡会员',
      min_spend: 500_000,
      min_points: 0,
      earn_rate: 3,
      discount_pct: 10,
      free_shipping: true,
      birthday_gift: '生日蛋糕',
      store_perks: {},
    },
  ],
  points_per_yuan: 100,
  excluded_categories: ['礼品卡'],
  checkin_points: 5,
  review_points: 20,
  expiry_days: 365,
  issue_on_first_order: true,
  topup_rules: [
    { amount: 20_000, bonus: 1_000 },
    { amount: 50_000, bonus: 5_000 },
  ],
  status: 'active',
};

async function paid(cookie: string, openid: string, orderId: string) {
  const pay = await shop(t, cookie, appid, 'POST', `/orders/${orderId}/pay`);
  expect(pay.status, JSON.stringify(pay.body)).toBe(200);
  await confirmPay(t, pay.body.pay_params, openid);
  await until(
    async () => (await t.call(owner, 'GET', `/api/v1/orders/${orderId}`)).body,
    (o) => o.status === 'paid',
  );
  await t.worker.drain();
}

const myCard = async (cookie: string) => (await shop(t, cookie, appid, 'GET', '/loyalty/card')).body.card;

beforeAll(async () => {
  t = await createTestApp();
  const m = await t.merchant('loyalty-shop');
  merchantId = m.id;
  owner = m.token;
  const connected = await connectAccount(t, owner);
  appid = connected.appid;
  accountId = connected.id;
  await provisionSimulatedPay(t.deps, m.id, { codEnabled: false });
  coat = await product('羊毛大衣', '女装/外套', 60_000);
  gift = await product('储值礼品卡', '礼品卡', 10_000);
});
afterAll(() => t.close());

describe('member cards and points', () => {
  it('a first payment issues the card; points skip excluded categories; the level moves; points pay the next order; a refund reverses', async () => {
    expect((await t.call(owner, 'GET', '/api/v1/loyalty/program')).body.configured).toBe(false);
    const saved = await t.call(owner, 'PUT', '/api/v1/loyalty/program', program);
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);

    const cookie = await fanSession(t, appid, 'o_member');
    expect(await myCard(cookie)).toBeNull();
    const first = await shop(t, cookie, appid, 'POST', '/orders', {
      items: [
        { sku_id: coat.sku, quantity: 1 },
        { sku_id: gift.sku, quantity: 1 },
      ],
      address,
      payment_method: 'wechat',
    });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    await paid(cookie, 'o_member', first.body.id);

    const card = await myCard(cookie);
    // ¥600 coat earns 600 points at 1×; the gift card earns none; ¥700 spent makes silver (≥ ¥500).
    expect(card).toMatchObject({ source: 'first_order', points: 600, total_spend: 70_000, level: 'silver' });

    // Silver: 5% off, then 300 points take ¥3 off; the server prices it.
    const second = await shop(t, cookie, appid, 'POST', '/loyalty/orders', {
      items: [{ sku_id: coat.sku, quantity: 1 }],
      address,
      payment_method: 'wechat',
      points: 300,
    });
    expect(second.status, JSON.stringify(second.body)).toBe(201);
    expect(second.body).toMatchObject({ items_total: 60_000, discount: 3_000 + 300, total: 56_700 });
    expect((await myCard(cookie)).points).toBe(300);
    await paid(cookie, 'o_member', second.body.id);
    // Silver earns 2 points per yuan paid: 567 × 2.
    expect((await myCard(cookie)).points).toBe(300 + 1_134);

    const refund = await t.call(owner, 'POST', `/api/v1/orders/${second.body.id}/refund`, {
      reason: '不想要了',
    });
    expect(refund.status, JSON.stringify(refund.body)).toBe(200);
    await t.worker.drain();
    await until(
      async () => (await t.call(owner, 'GET', `/api/v1/orders/${second.body.id}`)).body,
      (o) => o.status === 'refunded',
    );
    await t.worker.drain();
    // The 1,134 earned are reversed, the 300 spent come back.
    const after = await myCard(cookie);
    expect(after).toMatchObject({ points: 600, total_spend: 70_000, level: 'silver' });

    const detail = (await t.call(owner, 'GET', `/api/v1/loyalty/cards/${card.id}`)).body;
    expect(detail.points.map((e: { reason: string }) => e.reason).sort()).toEqual(
      ['checkout_return', 'checkout_spend', 'order_earn', 'order_earn', 'order_reverse'].sort(),
    );
    expect(detail.levels).toHaveLength(1);
    const report = (await t.call(owner, 'GET', '/api/v1/loyalty/report')).body;
    expect(report).toMatchObject({ cards: 1, ledger_mismatch: 0 });
    expect(report.points.outstanding).toBe(600);
  });

  it('check-in once a day; adjustments are owner-only with a reason', async () => {
    const cookie = await fanSession(t, appid, 'o_checkin');
    const card = (await shop(t, cookie, appid, 'POST', '/loyalty/card')).body;
    expect(card.source).toBe('shop');
    expect((await shop(t, cookie, appid, 'POST', '/loyalty/checkin')).body).toEqual({
      points: 5,
      already: false,
    });
    expect((await shop(t, cookie, appid, 'POST', '/loyalty/checkin')).body).toEqual({
      points: 0,
      already: true,
    });
    t.clock.advance(86_400_000);
    expect((await shop(t, cookie, appid, 'POST', '/loyalty/checkin')).body.points).toBe(5);

    const path = `/api/v1/loyalty/cards/${card.id}/adjustments`;
    const sameMerchantOperator = (
      await createApiToken({ ...t.system(), merchantId }, { name: 'op', role: 'operator' })
    ).token;
    expect(
      (await t.call(sameMerchantOperator, 'POST', path, { kind: 'points', delta: 100, reason: '补偿' }))
        .status,
    ).toBe(403);
    expect((await t.call(owner, 'POST', path, { kind: 'points', delta: 100, reason: ' ' })).status).toBe(400);
    expect(
      (await t.call(owner, 'POST', path, { kind: 'points', delta: -11, reason: '测试' })).body.error.code,
    ).toBe('insufficient_points');
    const adjusted = await t.call(owner, 'POST', path, {
      kind: 'balance',
      delta: 5_000,
      reason: '门店补录储值',
    });
    expect(adjusted.body.balance).toBe(5_000);
  });

  it('points expire a year after they were earned, what was used counted against the oldest first', async () => {
    const cookie = await fanSession(t, appid, 'o_expiry');
    const card = (await shop(t, cookie, appid, 'POST', '/loyalty/card')).body;
    await shop(t, cookie, appid, 'POST', '/loyalty/checkin');
    t.clock.advance(86_400_000);
    await shop(t, cookie, appid, 'POST', '/loyalty/checkin');
    await t.call(owner, 'POST', `/api/v1/loyalty/cards/${card.id}/adjustments`, {
      kind: 'points',
      delta: -3,
      reason: '兑换小样',
    });
    expect((await myCard(cookie)).points).toBe(7);
    t.clock.advance(364 * 86_400_000 + 1000);
    await t.worker.drain();
    // The first day's 5 expire less the 3 used (the fan's year-old session is gone: read as the owner).
    const points = async () =>
      (await t.call(owner, 'GET', `/api/v1/loyalty/cards/${card.id}`)).body.card.points;
    expect(await points()).toBe(5);
    t.clock.advance(86_400_000);
    await t.worker.drain();
    expect(await points()).toBe(0);
    const detail = (await t.call(owner, 'GET', `/api/v1/loyalty/cards/${card.id}`)).body;
    expect(
      detail.points
        .filter((e: { reason: string }) => e.reason === 'expiry')
        .map((e: { delta: number }) => e.delta)
        .sort(),
    ).toEqual([-2, -5]);
    expect((await t.call(owner, 'GET', '/api/v1/loyalty/report')).body.points.expired).toBeGreaterThanOrEqual(
      7,
    );
  });

  it('a top-up through WeChat Pay credits the amount and the "充 500 送 50" bonus once, reconciled against payments', async () => {
    const cookie = await fanSession(t, appid, 'o_topup');
    await shop(t, cookie, appid, 'POST', '/loyalty/card');
    const started = await shop(t, cookie, appid, 'POST', '/loyalty/topups', { amount: 50_000 });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    expect(started.body.bonus).toBe(5_000);
    await confirmPay(t, started.body.pay_params, 'o_topup');
    await until(
      async () => {
        await t.worker.drain();
        return (await myCard(cookie)).balance;
      },
      (b) => b > 0,
    );
    await t.worker.drain();
    expect((await myCard(cookie)).balance).toBe(55_000);
    const report = (await t.call(owner, 'GET', '/api/v1/loyalty/report')).body;
    expect(report.stored_value).toMatchObject({ paid_in: 50_000, topup_mismatch: 0 });
    expect(report.stored_value.bonus).toBeGreaterThanOrEqual(5_000);
  });

  it('stored value pays an order in full; it is paid at once, and cancelling gives the balance back', async () => {
    const cookie = await fanSession(t, appid, 'o_value');
    const card = (await shop(t, cookie, appid, 'POST', '/loyalty/card')).body;
    await t.call(owner, 'POST', `/api/v1/loyalty/cards/${card.id}/adjustments`, {
      kind: 'balance',
      delta: 100_000,
      reason: '储值迁移',
    });
    const order = await shop(t, cookie, appid, 'POST', '/loyalty/orders', {
      items: [{ sku_id: coat.sku, quantity: 1 }],
      address,
      payment_method: 'wechat',
      use_balance: true,
    });
    expect(order.body).toMatchObject({ total: 0, status: 'paid' });
    expect((await myCard(cookie)).balance).toBe(40_000);
    await t.worker.drain();
    expect((await myCard(cookie)).total_spend).toBe(60_000);
  });
});

describe('the card in the phone and at the till', () => {
  it('shows level, points, balance and a QR a clerk can charge once within a minute', async () => {
    const cookie = await fanSession(t, appid, 'o_till');
    const page = async () => (await t.app.inject({ url: `/shop/${appid}/card`, headers: { cookie } })).body;
    expect(await page()).toContain('免费领取会员卡');
    const joined = await t.app.inject({
      method: 'POST',
      url: `/shop/${appid}/card/join`,
      headers: { cookie },
    });
    expect(joined.statusCode).toBe(303);
    const card = await myCard(cookie);
    await t.call(owner, 'POST', `/api/v1/loyalty/cards/${card.id}/adjustments`, {
      kind: 'balance',
      delta: 50_000,
      reason: '充值迁移',
    });
    const body = await page();
    expect(body).toContain('普通会员');
    expect(body).toContain('¥500.00');
    const code = (s: string) => /id="code"[^>]*>([\d ]+)</.exec(s)![1]!.replace(/ /g, '');
    const first = code(body);
    expect(code(await page())).not.toBe(first);

    const clerk = (await createApiToken({ ...t.system(), merchantId }, { name: 'till', role: 'clerk' }))
      .token;
    const charged = await t.call(clerk, 'POST', '/api/v1/loyalty/charge', {
      code: first,
      amount: 3_500,
      note: '拿铁',
    });
    expect(charged.status, JSON.stringify(charged.body)).toBe(200);
    expect(charged.body.balance).toBe(46_500);
    expect(
      (await t.call(clerk, 'POST', '/api/v1/loyalty/charge', { code: first, amount: 100 })).body.error.code,
    ).toBe('code_invalid');
    const late = code(await page());
    t.clock.advance(61_000);
    expect(
      (await t.call(clerk, 'POST', '/api/v1/loyalty/charge', { code: late, amount: 100 })).body.error.code,
    ).toBe('code_invalid');
    // Too much: refused, and the code is still good for a smaller charge.
    const fresh = code(await page());
    expect(
      (await t.call(clerk, 'POST', '/api/v1/loyalty/charge', { code: fresh, amount: 999_999 })).body.error
        .code,
    ).toBe('insufficient_balance');
    expect(
      (await t.call(clerk, 'POST', '/api/v1/loyalty/charge', { code: fresh, points: 0, amount: 500 })).body
        .balance,
    ).toBe(46_000);
    expect(await page()).toContain('门店消费');
  });
});

describe('issuing from chat', () => {
  it("a store's QR issues the card with that store as home; the card menu issues one too; the fan is told in chat", async () => {
    const store = (
      await t.call(owner, 'POST', '/api/v1/stores', {
        name: '西湖店',
        address: '杭州市西湖区湖滨路 1 号',
        city: '杭州',
        latitude: 30.25,
        longitude: 120.16,
        opens_at: '08:00',
        closes_at: '22:00',
      })
    ).body;
    const code = await t.call(owner, 'POST', '/api/v1/loyalty/store-codes', {
      account_id: accountId,
      store_id: store.id,
    });
    expect(code.status, JSON.stringify(code.body)).toBe(201);
    const qr = (await t.call(owner, 'GET', '/api/v1/qrcodes')).body;
    const ticket = (Array.isArray(qr) ? qr : qr.items).find(
      (q: { id: string }) => q.id === code.body.qrcode_id,
    ).ticket;
    await fan(t, appid, 'o_scanner', { type: 'scan', ticket });
    await loyaltyLogTail(t.deps)();
    await t.worker.drain();
    const cookie = await fanSession(t, appid, 'o_scanner');
    expect(await myCard(cookie)).toMatchObject({
      source: 'store_qr',
      home_store_id: store.id,
      level: 'basic',
    });
    const told = t.simulator!.sim.fan(appid, 'o_scanner').transcript.filter((e) => e.via === 'custom');
    expect(JSON.stringify(told.at(-1)?.message)).toContain('/card');

    await fan(t, appid, 'o_menu', { type: 'click', key: CARD_MENU_KEY });
    await loyaltyLogTail(t.deps)();
    expect(await myCard(await fanSession(t, appid, 'o_menu'))).toMatchObject({
      source: 'menu',
      home_store_id: null,
    });
    // Scanning again issues nothing new.
    await fan(t, appid, 'o_scanner', { type: 'scan', ticket });
    await loyaltyLogTail(t.deps)();
    expect(
      (await t.call(owner, 'GET', '/api/v1/loyalty/cards?limit=200')).body.items.filter(
        (c: { openid: string }) => c.openid === 'o_scanner',
      ),
    ).toHaveLength(1);
  });
});

describe(`concurrent spends (${engine})`, () => {
  it('never overdraw a card, and the ledger sums to the balance', async () => {
    const ctx = merchantCtx(t.deps, merchantId);
    const { card } = await issueCard(ctx, { accountId, openid: 'o_hot', source: 'console' });
    await inTransaction(t.deps.db, async (trx) => {
      await movePoints(inTrx(ctx, trx), { cardId: card.id, delta: 1_000, reason: 'adjustment', ref: 'seed' });
      await moveValue(inTrx(ctx, trx), { cardId: card.id, delta: 1_000, reason: 'adjustment', ref: 'seed' });
    });
    const attempts = 60;
    const results = await Promise.allSettled(
      Array.from({ length: attempts }, (_, i) =>
        inTransaction(t.deps.db, async (trx) => {
          const tx = inTrx(ctx, trx);
          await movePoints(tx, { cardId: card.id, delta: -70, reason: 'checkout_spend', ref: `p${i}` });
          await moveValue(tx, { cardId: card.id, delta: -70, reason: 'checkout_pay', ref: `p${i}` });
        }),
      ),
    );
    const won = results.filter((r) => r.status === 'fulfilled').length;
    expect(won).toBe(14);
    const row = await t.deps.db
      .selectFrom('loyalty_cards')
      .select(['points', 'balance'])
      .where('id', '=', card.id)
      .executeTakeFirstOrThrow();
    expect(Number(row.points)).toBe(20);
    expect(Number(row.balance)).toBe(20);
    expect(await reconcile(ctx)).toBe(0);
  });

  it('concurrent checkouts with points through the shop take only what the card holds', async () => {
    const cookie = await fanSession(t, appid, 'o_burst');
    const fanCtx = merchantCtx(t.deps, merchantId, { kind: 'fan', accountId, openid: 'o_burst' });
    const card = (await shop(t, cookie, appid, 'POST', '/loyalty/card')).body;
    await t.call(owner, 'POST', `/api/v1/loyalty/cards/${card.id}/adjustments`, {
      kind: 'points',
      delta: 1_000,
      reason: '活动赠送',
    });
    const orders = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        checkoutWithCard(
          fanCtx,
          { items: [{ sku_id: gift.sku, quantity: 1 }], address, payment_method: 'wechat' },
          { points: 300 },
        ),
      ),
    );
    const placed = orders.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const spent = placed.reduce((s, o) => s + o.discount, 0);
    // Each order asks 300; a later one may get what is left; the card never goes below 0.
    expect(spent).toBe(1_000);
    expect((await myCard(cookie)).points).toBe(0);
    expect(await reconcile(merchantCtx(t.deps, merchantId))).toBe(0);
  });
});
