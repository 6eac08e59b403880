import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { merchantCtx } from '../src/context.ts';
import { provisionSimulatedPay } from '../src/demo-pay.ts';
import { reconcile } from '../src/modules/loyalty/index.ts';
import { createApiToken } from '../src/modules/tenants/index.ts';
import { confirmPay, fanSession, shop, until } from './support/shopper.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { connectAccount } from './support/wechat-fan.ts';

let t: TestApp;
let owner: string;
let clerk: string;
let merchantId: string;
let appid: string;
let cake: { id: string; sku: string };
const address = { name: '孙八', phone: '13400134000', region: '上海市徐汇区', detail: '漕溪路 8 号' };
const level = {
  key: 'basic',
  name: '会员',
  min_spend: 0,
  min_points: 0,
  earn_rate: 1,
  discount_pct: 0,
  free_shipping: false,
  birthday_gift: '',
  store_perks: {},
};
const program = {
  name: '甜品卡',
  cover_url: '',
  color: '#9d174d',
  terms: '',
  levels: [level],
  points_per_yuan: 100,
  excluded_categories: [],
  checkin_points: 0,
  review_points: 0,
  expiry_days: 0,
  issue_on_first_order: false,
  topup_rules: [{ amount: 50_000, bonus: 5_000 }],
  status: 'active',
};

const card = async (cookie: string) => (await shop(t, cookie, appid, 'GET', '/loyalty/card')).body.card;
const report = async () => (await t.call(owner, 'GET', '/api/v1/loyalty/report')).body;

async function topUp(cookie: string, openid: string, amount: number) {
  const started = await shop(t, cookie, appid, 'POST', '/loyalty/topups', { amount });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  await confirmPay(t, started.body.pay_params, openid);
  await until(
    async () => {
      await t.worker.drain();
      return (await t.call(owner, 'GET', `/api/v1/loyalty/topups`)).body;
    },
    (list) =>
      list.some(
        (x: { id: string; status: string }) => x.id === started.body.topup_id && x.status === 'credited',
      ),
  );
  return started.body.topup_id as string;
}

async function buy(cookie: string, openid: string, extra: Record<string, unknown> = {}) {
  const order = await shop(t, cookie, appid, 'POST', '/checkout', {
    items: [{ sku_id: cake.sku, quantity: 1 }],
    address,
    payment_method: 'wechat',
    ...extra,
  });
  expect(order.status, JSON.stringify(order.body)).toBe(201);
  if (order.body.status === 'pending_payment') {
    const pay = await shop(t, cookie, appid, 'POST', `/orders/${order.body.id}/pay`);
    await confirmPay(t, pay.body.pay_params, openid);
    await until(
      async () => (await t.call(owner, 'GET', `/api/v1/orders/${order.body.id}`)).body,
      (o) => o.status === 'paid',
    );
  }
  await t.worker.drain();
  return order.body;
}

beforeAll(async () => {
  t = await createTestApp();
  const m = await t.merchant('value-shop');
  merchantId = m.id;
  owner = m.token;
  clerk = (await createApiToken({ ...t.system(), merchantId }, { name: 'till', role: 'clerk' })).token;
  appid = (await connectAccount(t, owner)).appid;
  await provisionSimulatedPay(t.deps, m.id, { codEnabled: false });
  const created = (
    await t.call(owner, 'POST', '/api/v1/products', {
      title: '芝士蛋糕',
      category: '甜品',
      status: 'on_sale',
      skus: [{ spec: {}, price: 10_000, stock: 10_000 }],
    })
  ).body;
  cake = { id: created.id, sku: created.skus[0].id };
  expect((await t.call(owner, 'PUT', '/api/v1/loyalty/program', program)).status).toBe(200);
});
afterAll(() => t.close());

describe('stored value: top-up refunds and reconciliation', () => {
  it('refunds only what is unspent, takes the bonus back, and reconciles against WeChat Pay', async () => {
    const cookie = await fanSession(t, appid, 'o_saver');
    await shop(t, cookie, appid, 'POST', '/loyalty/card');
    const topup = await topUp(cookie, 'o_saver', 50_000);
    expect((await card(cookie)).balance).toBe(55_000);
    // ¥100 of cake from the balance.
    await buy(cookie, 'o_saver', { use_balance: true });
    expect((await card(cookie)).balance).toBe(45_000);

    expect((await t.call(clerk, 'POST', `/api/v1/loyalty/topups/${topup}/refund`)).status).toBe(403);
    const refund = await t.call(owner, 'POST', `/api/v1/loyalty/topups/${topup}/refund`);
    expect(refund.status, JSON.stringify(refund.body)).toBe(200);
    // The ¥50 bonus goes back first; ¥400 of the ¥500 paid is unspent and refunded.
    expect(refund.body).toMatchObject({ status: 'refunding', refund_amount: 40_000, bonus_back: 5_000 });
    expect((await card(cookie)).balance).toBe(0);
    expect((await t.call(owner, 'POST', `/api/v1/loyalty/topups/${topup}/refund`)).body.error.code).toBe(
      'not_refundable',
    );
    const done = await until(
      async () => {
        await t.worker.drain();
        t.simulator?.sim.flush?.();
        return (await t.call(owner, 'GET', '/api/v1/loyalty/topups')).body.find(
          (x: { id: string }) => x.id === topup,
        );
      },
      (x) => x.status === 'refunded',
      8_000,
    );
    expect(done.status).toBe('refunded');
    const r = await report();
    expect(r.stored_value).toMatchObject({
      paid_in: 50_000,
      refunded_out: 40_000,
      refunded: 45_000,
      topup_mismatch: 0,
      float: 0,
    });
    expect(r.ledger_mismatch).toBe(0);
  });

  it('a spent top-up has nothing to refund', async () => {
    const cookie = await fanSession(t, appid, 'o_spender');
    await shop(t, cookie, appid, 'POST', '/loyalty/card');
    const topup = await topUp(cookie, 'o_spender', 10_000);
    await buy(cookie, 'o_spender', { use_balance: true });
    expect((await card(cookie)).balance).toBe(0);
    expect((await t.call(owner, 'POST', `/api/v1/loyalty/topups/${topup}/refund`)).body.error.code).toBe(
      'nothing_to_refund',
    );
    expect(await reconcile(merchantCtx(t.deps, merchantId))).toBe(0);
  });
});

describe('members and others', () => {
  it('measures spend per buyer of cardholders against everyone else', async () => {
    const before = (await report()).members_vs_others;
    const member = await fanSession(t, appid, 'o_regular');
    await shop(t, member, appid, 'POST', '/loyalty/card');
    for (let i = 0; i < 3; i++) await buy(member, 'o_regular');
    const stranger = await fanSession(t, appid, 'o_passerby');
    await buy(stranger, 'o_passerby');
    const after = (await report()).members_vs_others;
    expect(after.members.buyers - before.members.buyers).toBe(1);
    expect(after.members.spend - before.members.spend).toBe(30_000);
    expect(after.others.buyers - before.others.buyers).toBe(1);
    expect(after.others.spend - before.others.spend).toBe(10_000);
    expect(after.complete).toBe(true);
    expect(after.ratio).toBeGreaterThan(1);
  });
});
