import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionSimulatedPay } from '../src/demo-pay.ts';
import { confirmPay, fanSession, shop, until } from './support/shopper.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { connectAccount } from './support/wechat-fan.ts';

let t: TestApp;
let token: string;
let appid: string;
let dress: { id: string; sku: string };
let mug: { id: string; sku: string };
const address = { name: '李四', phone: '13900139000', region: '上海市徐汇区', detail: '漕溪北路 2 号' };
const DAY = 86_400_000;

async function product(title: string, category: string, price: number) {
  const body = (
    await t.call(token, 'POST', '/api/v1/products', {
      title,
      category,
      status: 'on_sale',
      skus: [{ spec: {}, price, stock: 500 }],
    })
  ).body;
  return { id: body.id as string, sku: body.skus[0].id as string };
}

const campaign = async (body: Record<string, unknown>) => {
  const created = await t.call(token, 'POST', '/api/v1/coupon-campaigns', {
    total_limit: 100,
    valid_days: 7,
    ...body,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id as string;
};
const claim = (cookie: string, id: string) => shop(t, cookie, appid, 'POST', `/coupon-campaigns/${id}/claim`);
const order = (cookie: string, sku: string, extra: Record<string, unknown> = {}) =>
  shop(t, cookie, appid, 'POST', '/promo-orders', {
    items: [{ sku_id: sku, quantity: 1 }],
    address,
    payment_method: 'wechat',
    ...extra,
  });

beforeAll(async () => {
  t = await createTestApp();
  const m = await t.merchant('coupon-shop');
  token = m.token;
  appid = (await connectAccount(t, token)).appid;
  await provisionSimulatedPay(t.deps, m.id, { codEnabled: false });
  dress = await product('真丝连衣裙', '女装/连衣裙', 19_900);
  mug = await product('马克杯', '家居/杯子', 3_000);
});
afterAll(() => t.close());

describe('coupons', () => {
  it('the 0.1-yuan first-purchase coupon: suggested as best, recomputed by the server, paid as ¥0.10', async () => {
    const first = await campaign({
      name: '首单 1 毛',
      kind: 'first_order',
      value: 10,
      scope: 'products',
      scope_ids: [dress.id],
    });
    const fixed = await campaign({ name: '立减 5 元', kind: 'fixed', value: 500 });
    const cookie = await fanSession(t, appid, 'o_first');
    expect((await claim(cookie, first)).status).toBe(201);
    expect((await claim(cookie, fixed)).status).toBe(201);
    expect((await claim(cookie, first)).body.error.code).toBe('claim_limit');

    const options = await shop(t, cookie, appid, 'POST', '/coupons/options', {
      items: [{ sku_id: dress.sku, quantity: 1 }],
    });
    expect(options.body.map((o: { off: number }) => o.off)).toEqual([19_890, 500]);
    const best = options.body[0].coupon_id as string;

    // The client's idea of the price does not matter: a wrong expectation is refused, not honoured.
    expect((await order(cookie, dress.sku, { coupon_id: best, expected_total: 1 })).body.error.code).toBe(
      'price_changed',
    );
    const placed = await order(cookie, dress.sku, { coupon_id: best, expected_total: 10 });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    expect(placed.body).toMatchObject({ items_total: 19_900, discount: 19_890, total: 10 });
    expect(placed.body.adjustments).toEqual([
      { kind: 'coupon', label: '首单 1 毛', amount: 19_890, ref: best },
    ]);

    const pay = await shop(t, cookie, appid, 'POST', `/orders/${placed.body.id}/pay`);
    expect(pay.body.total).toBe(10);
    await confirmPay(t, pay.body.pay_params, 'o_first');
    const paid = await until(
      async () => (await t.call(token, 'GET', `/api/v1/orders/${placed.body.id}`)).body,
      (o) => o.status === 'paid',
    );
    expect(paid.total).toBe(10);

    // Used once: it is no longer offered, and a second order with it is refused.
    expect((await order(cookie, dress.sku, { coupon_id: best })).body.error.code).toBe('coupon_unusable');
    // Not a first order any more: the first-purchase price would not apply to a new claim either.
    const report = (await t.call(token, 'GET', '/api/v1/coupon-campaigns/report')).body;
    expect(report.find((r: { campaign_id: string }) => r.campaign_id === first)).toMatchObject({
      claimed: 1,
      used: 1,
      spent: 19_890,
      revenue: 10,
    });
  });

  it("scope, threshold and another fan's coupon", async () => {
    const mugsOnly = await campaign({
      name: '家居满 50 减 10',
      kind: 'threshold',
      value: 1_000,
      min_spend: 5_000,
      scope: 'categories',
      scope_ids: ['家居'],
    });
    const cookie = await fanSession(t, appid, 'o_scope');
    const mine = (await claim(cookie, mugsOnly)).body.id as string;
    expect((await order(cookie, mug.sku, { coupon_id: mine })).body.error.code).toBe('coupon_not_applicable');
    const two = await shop(t, cookie, appid, 'POST', '/promo-orders', {
      items: [{ sku_id: mug.sku, quantity: 2 }],
      address,
      payment_method: 'wechat',
      coupon_id: mine,
    });
    expect(two.body).toMatchObject({ total: 5_000, discount: 1_000 });
    const other = await fanSession(t, appid, 'o_thief');
    expect((await order(other, mug.sku, { coupon_id: mine })).status).toBe(404);
  });

  it('a cancelled order gives its coupon back; the budget caps what a campaign gives', async () => {
    const budgeted = await campaign({
      name: '预算券',
      kind: 'fixed',
      value: 500,
      budget: 600,
      per_fan_limit: 1,
    });
    const a = await fanSession(t, appid, 'o_budget_a');
    const b = await fanSession(t, appid, 'o_budget_b');
    const couponA = (await claim(a, budgeted)).body.id as string;
    const couponB = (await claim(b, budgeted)).body.id as string;
    const placed = await order(a, mug.sku, { coupon_id: couponA });
    expect(placed.body.total).toBe(2_500);
    expect((await order(b, mug.sku, { coupon_id: couponB })).body.error.code).toBe('budget_exhausted');

    await shop(t, a, appid, 'POST', `/orders/${placed.body.id}/cancel`);
    await t.worker.drain();
    const mine = (await shop(t, a, appid, 'GET', '/coupons')).body as Array<{ id: string; status: string }>;
    expect(mine.find((c) => c.id === couponA)?.status).toBe('available');
    // The budget it held is free again: B's coupon now works.
    expect((await order(b, mug.sku, { coupon_id: couponB })).body.total).toBe(2_500);
  });

  it('claims are race-safe: never over the total, never over the per-fan limit', async () => {
    const scarce = await campaign({ name: '限量 5 张', kind: 'fixed', value: 100, total_limit: 5 });
    const cookies = await Promise.all(
      Array.from({ length: 12 }, (_, i) => fanSession(t, appid, `o_race_${i}`)),
    );
    const results = await Promise.all(cookies.map((c) => claim(c, scarce)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(5);
    expect(results.filter((r) => r.status === 409).every((r) => r.body.error.code === 'coupons_gone')).toBe(
      true,
    );

    const twice = await campaign({ name: '每人 2 张', kind: 'fixed', value: 100, per_fan_limit: 2 });
    const greedy = await fanSession(t, appid, 'o_greedy');
    const burst = await Promise.all(Array.from({ length: 10 }, () => claim(greedy, twice)));
    expect(burst.filter((r) => r.status === 201)).toHaveLength(2);
    const campaignRow = (await t.call(token, 'GET', `/api/v1/coupon-campaigns/${twice}`)).body;
    expect(campaignRow.claimed).toBe(2);

    // One coupon, two simultaneous orders: one order, one refusal.
    const coupon = burst.find((r) => r.status === 201)!.body.id as string;
    const orders = await Promise.all([
      order(greedy, mug.sku, { coupon_id: coupon }),
      order(greedy, mug.sku, { coupon_id: coupon }),
    ]);
    expect(orders.map((o) => o.status).sort()).toEqual([201, 409]);
  });

  it('validity: N days after the claim', async () => {
    const short = await campaign({ name: '三天有效', kind: 'fixed', value: 100, valid_days: 3 });
    const cookie = await fanSession(t, appid, 'o_late');
    const coupon = (await claim(cookie, short)).body;
    expect(coupon.valid_until).toBe(t.clock.now() + 3 * DAY);
    t.clock.advance(3 * DAY + 1);
    expect((await order(cookie, mug.sku, { coupon_id: coupon.id })).body.error.code).toBe('coupon_unusable');
  });
});
