import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { merchantCtx } from '../src/context.ts';
import { provisionSimulatedPay } from '../src/demo-pay.ts';
import { reconcile } from '../src/modules/loyalty/index.ts';
import { confirmPay, fanSession, shop, until } from './support/shopper.ts';
import { createTestApp, engine, type TestApp } from './support/test-app.ts';
import { connectAccount } from './support/wechat-fan.ts';

let t: TestApp;
let owner: string;
let merchantId: string;
let appid: string;
let bag: { id: string; sku: string };
const address = { name: '赵六', phone: '13600136000', region: '南京市鼓楼区', detail: '中山路 6 号' };

const level = (key: string, name: string, min_spend: number, discount_pct: number) => ({
  key,
  name,
  min_spend,
  min_points: 0,
  earn_rate: 1,
  discount_pct,
  free_shipping: false,
  birthday_gift: '',
  store_perks: {},
});

const program = {
  name: '悦享卡',
  cover_url: '',
  color: '#7c2d12',
  terms: '',
  levels: [level('basic', '普通会员', 0, 0), level('vip', '贵宾', 1_000_000, 10)],
  // 50 points make ¥1 here: the rate is the merchant's, not a constant.
  points_per_yuan: 50,
  excluded_categories: [],
  checkin_points: 0,
  review_points: 0,
  expiry_days: 0,
  issue_on_first_order: false,
  topup_rules: [],
  status: 'active',
};

const card = async (cookie: string) => (await shop(t, cookie, appid, 'GET', '/loyalty/card')).body.card;
async function member(openid: string, points: number, balance: number) {
  const cookie = await fanSession(t, appid, openid);
  const issued = (await shop(t, cookie, appid, 'POST', '/loyalty/card')).body;
  for (const [kind, delta] of [
    ['points', points],
    ['balance', balance],
  ] as const) {
    if (delta > 0)
      expect(
        (
          await t.call(owner, 'POST', `/api/v1/loyalty/cards/${issued.id}/adjustments`, {
            kind,
            delta,
            reason: '开卡赠送',
          })
        ).status,
      ).toBe(200);
  }
  return { cookie, cardId: issued.id as string };
}
const items = () => [{ sku_id: bag.sku, quantity: 1 }];

async function refunded(orderId: string) {
  expect(
    (await t.call(owner, 'POST', `/api/v1/orders/${orderId}/refund`, { reason: '质量问题' })).status,
  ).toBe(200);
  await t.worker.drain();
  await until(
    async () => {
      await t.worker.drain();
      return (await t.call(owner, 'GET', `/api/v1/orders/${orderId}`)).body;
    },
    (o) => o.status === 'refunded',
  );
  await t.worker.drain();
}

beforeAll(async () => {
  t = await createTestApp();
  const m = await t.merchant('card-checkout');
  merchantId = m.id;
  owner = m.token;
  appid = (await connectAccount(t, owner)).appid;
  await provisionSimulatedPay(t.deps, m.id, { codEnabled: false });
  const created = (
    await t.call(owner, 'POST', '/api/v1/products', {
      title: '帆布包',
      category: '配件',
      status: 'on_sale',
      skus: [{ spec: {}, price: 10_000, stock: 100_000 }],
    })
  ).body;
  bag = { id: created.id, sku: created.skus[0].id };
  expect((await t.call(owner, 'PUT', '/api/v1/loyalty/program', program)).status).toBe(200);
});
afterAll(() => t.close());

describe('points and stored value at the H5 checkout', () => {
  it('the product page shows the card; the quote and the order agree; points and balance pay, WeChat the rest', async () => {
    const { cookie } = await member('o_mixed', 1_000, 3_000);
    const page = await t.app.inject({ url: `/shop/${appid}/products/${bag.id}`, headers: { cookie } });
    expect(page.body).toContain('id="member-checkout"');
    expect(page.body).toContain('1000 积分');
    expect(page.body).toContain('¥30.00');

    const ask = { items: items(), points: 1_000, use_balance: true };
    const quote = (await shop(t, cookie, appid, 'POST', '/checkout/quote', ask)).body;
    // 1,000 points at 50 per yuan = ¥20; then ¥30 of stored value; ¥50 left for WeChat Pay.
    expect(quote).toMatchObject({ items_total: 10_000, discount: 5_000, total: 5_000 });
    expect(quote.adjustments.map((a: { kind: string }) => a.kind)).toEqual(['points', 'stored_value']);

    // A made-up total is refused: the server's own figures decide.
    const tampered = await shop(t, cookie, appid, 'POST', '/checkout', {
      ...ask,
      address,
      payment_method: 'wechat',
      expected_total: 1,
    });
    expect(tampered.body.error.code).toBe('price_changed');
    expect(await card(cookie)).toMatchObject({ points: 1_000, balance: 3_000 });

    const order = await shop(t, cookie, appid, 'POST', '/checkout', {
      ...ask,
      address,
      payment_method: 'wechat',
      expected_total: quote.total,
    });
    expect(order.status, JSON.stringify(order.body)).toBe(201);
    expect(order.body).toMatchObject({ total: 5_000, status: 'pending_payment' });
    expect(await card(cookie)).toMatchObject({ points: 0, balance: 0 });

    const pay = await shop(t, cookie, appid, 'POST', `/orders/${order.body.id}/pay`);
    await confirmPay(t, pay.body.pay_params, 'o_mixed');
    await until(
      async () => (await t.call(owner, 'GET', `/api/v1/orders/${order.body.id}`)).body,
      (o) => o.status === 'paid',
    );
    await t.worker.drain();
    // ¥50 paid through WeChat + ¥30 of stored value: ¥80 of spend towards the level.
    const paidCard = await card(cookie);
    expect(paidCard.total_spend).toBe(8_000);

    // The refund: WeChat returns the ¥50, the card gets its points and balance back, earned points go.
    await refunded(order.body.id);
    expect(await card(cookie)).toMatchObject({ points: 1_000, balance: 3_000, total_spend: 0 });
    expect(await reconcile(merchantCtx(t.deps, merchantId))).toBe(0);
  });

  it('an order the stored value covers is paid at once; its refund returns the balance without WeChat', async () => {
    const { cookie } = await member('o_full', 0, 20_000);
    const order = await shop(t, cookie, appid, 'POST', '/checkout', {
      items: items(),
      address,
      payment_method: 'wechat',
      use_balance: true,
    });
    expect(order.body).toMatchObject({ total: 0, status: 'paid' });
    expect((await card(cookie)).balance).toBe(10_000);
    await t.worker.drain();
    await refunded(order.body.id);
    expect(await card(cookie)).toMatchObject({ balance: 20_000, total_spend: 0 });
  });

  it('a coupon comes first, then the level discount, then points on what is left', async () => {
    const campaign = await t.call(owner, 'POST', '/api/v1/coupon-campaigns', {
      name: '立减 10 元',
      kind: 'fixed',
      value: 1_000,
      total_limit: 10,
      valid_days: 7,
    });
    expect(campaign.status, JSON.stringify(campaign.body)).toBe(201);
    const { cookie } = await member('o_coupon', 100_000, 0);
    const coupon = (await shop(t, cookie, appid, 'POST', `/coupon-campaigns/${campaign.body.id}/claim`)).body;
    const quote = (
      await shop(t, cookie, appid, 'POST', '/checkout/quote', {
        items: items(),
        coupon_id: coupon.id,
        points: 100_000,
      })
    ).body;
    // ¥100 − ¥10 coupon; points cover the remaining ¥90 with 4,500 points (50 per yuan).
    expect(quote).toMatchObject({ discount: 10_000, total: 0 });
    const order = await shop(t, cookie, appid, 'POST', '/checkout', {
      items: items(),
      address,
      payment_method: 'wechat',
      coupon_id: coupon.id,
      points: 100_000,
      expected_total: 0,
    });
    expect(order.status, JSON.stringify(order.body)).toBe(201);
    expect(order.body.status).toBe('paid');
    expect((await card(cookie)).points).toBe(100_000 - 4_500);
    // The coupon is spent: a second use is refused and takes no points.
    const again = await shop(t, cookie, appid, 'POST', '/checkout', {
      items: items(),
      address,
      payment_method: 'wechat',
      coupon_id: coupon.id,
      points: 100,
    });
    expect(again.body.error.code).toBe('coupon_unusable');
    expect((await card(cookie)).points).toBe(100_000 - 4_500);
  });

  it('without a card, points or balance are refused; a plain order still goes through', async () => {
    const cookie = await fanSession(t, appid, 'o_nocard');
    const refused = await shop(t, cookie, appid, 'POST', '/checkout', {
      items: items(),
      address,
      payment_method: 'wechat',
      points: 10,
    });
    expect(refused.body.error.code).toBe('no_card');
    const plain = await shop(t, cookie, appid, 'POST', '/checkout', {
      items: items(),
      address,
      payment_method: 'wechat',
    });
    expect(plain.body).toMatchObject({ total: 10_000, discount: 0 });
    expect(
      (await shop(t, cookie, appid, 'POST', '/checkout/quote', { items: items() })).body.card,
    ).toBeNull();
  });
});

describe(`concurrent checkouts on one card (${engine})`, () => {
  it('spend points and stored value together without ever going below zero', async () => {
    const { cookie } = await member('o_rush', 2_500, 25_000);
    const results = await Promise.all(
      Array.from({ length: 12 }, () =>
        shop(t, cookie, appid, 'POST', '/checkout', {
          items: items(),
          address,
          payment_method: 'wechat',
          points: 1_000,
          use_balance: true,
        }),
      ),
    );
    const placed = results.filter((r) => r.status === 201).map((r) => r.body);
    for (const r of results) if (r.status !== 201) expect(r.body.error.code).toMatch(/insufficient|busy/);
    const off = (kind: string) =>
      placed.reduce(
        (s, o) =>
          s +
          (o.adjustments as Array<{ kind: string; amount: number }>)
            .filter((a) => a.kind === kind)
            .reduce((x, a) => x + a.amount, 0),
        0,
      );
    // 2,500 points are worth ¥50 and the balance ¥250: never more is taken, whatever the interleaving.
    expect(off('points')).toBeLessThanOrEqual(5_000);
    expect(off('stored_value')).toBeLessThanOrEqual(25_000);
    const after = await card(cookie);
    expect(after.points).toBeGreaterThanOrEqual(0);
    expect(after.balance).toBeGreaterThanOrEqual(0);
    expect(2_500 - after.points).toBe((off('points') / 100) * 50);
    expect(25_000 - after.balance).toBe(off('stored_value'));
    expect(await reconcile(merchantCtx(t.deps, merchantId))).toBe(0);
  });
});
