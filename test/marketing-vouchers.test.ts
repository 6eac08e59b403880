import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionSimulatedPay } from '../src/demo-pay.ts';
import { confirmPay, fanSession, shop, until } from './support/shopper.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { connectAccount, fan } from './support/wechat-fan.ts';

let t: TestApp;
let owner: string;
let appid: string;
let deal: { id: string; sku: string };
let here = '';
let elsewhere = '';
const DAY = 86_400_000;

const clerk = async (name: string, storeId: string | null) => {
  const created = (await t.call(owner, 'POST', '/api/v1/tokens', { name, role: 'clerk' })).body;
  if (storeId) {
    const bound = await t.call(owner, 'PUT', `/api/v1/clerks/${created.id}/store`, { store_id: storeId });
    expect(bound.status).toBe(200);
  }
  return { id: created.id as string, token: created.token as string };
};

async function buyDeal(openid: string, quantity: number) {
  await fan(t, appid, openid, { type: 'subscribe' });
  const cookie = await fanSession(t, appid, openid);
  const placed = await shop(t, cookie, appid, 'POST', '/orders', {
    items: [{ sku_id: deal.sku, quantity }],
    payment_method: 'wechat',
  });
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  const pay = await shop(t, cookie, appid, 'POST', `/orders/${placed.body.id}/pay`);
  await confirmPay(t, pay.body.pay_params, openid);
  await until(
    async () => (await t.call(owner, 'GET', `/api/v1/orders/${placed.body.id}`)).body.status,
    (s) => s === 'paid',
  );
  await t.worker.drain();
  return { cookie, orderId: placed.body.id as string };
}

const codesInChat = (openid: string) =>
  t
    .simulator!.sim.fan(appid, openid)
    .transcript.filter((e) => e.via === 'custom')
    .flatMap((e) =>
      [...String(e.message.content).matchAll(/(\d{4}) (\d{4}) (\d{4})/g)].map((m) => m.slice(1).join('')),
    );

beforeAll(async () => {
  t = await createTestApp();
  const m = await t.merchant('deal-shop');
  owner = m.token;
  appid = (await connectAccount(t, owner)).appid;
  await provisionSimulatedPay(t.deps, m.id, { codEnabled: false });
  const store = async (name: string) =>
    (
      await t.call(owner, 'POST', '/api/v1/stores', {
        name,
        address: '南京西路 1 号',
        city: '上海',
        latitude: 31.23,
        longitude: 121.47,
      })
    ).body.id as string;
  here = await store('静安店');
  elsewhere = await store('徐汇店');
  const product = (
    await t.call(owner, 'POST', '/api/v1/products', {
      kind: 'deal',
      title: '双人下午茶套餐',
      city: '上海',
      status: 'on_sale',
      valid_until: t.clock.now() + 10 * DAY,
      store_ids: [here],
      skus: [{ spec: {}, price: 9_900, stock: 100 }],
    })
  ).body;
  deal = { id: product.id, sku: product.skus[0].id };
});
afterAll(() => t.close());

describe('group-buy vouchers', () => {
  it('paying issues one voucher per unit, in chat and on the order page with a QR code', async () => {
    const { cookie, orderId } = await buyDeal('o_tea', 2);
    const codes = codesInChat('o_tea');
    expect(codes).toHaveLength(2);
    const page = await t.app.inject({ url: `/shop/${appid}/orders/${orderId}`, headers: { cookie } });
    expect(page.body).toContain('待使用');
    expect(page.body.match(/<svg/g)).toHaveLength(2);
    for (const code of codes) expect(page.body).toContain(code.replace(/(\d{4})(?=\d)/g, '$1 '));
    // A retried event issues nothing twice.
    expect(
      (await t.deps.db.selectFrom('vouchers').select('id').where('order_id', '=', orderId).execute()).length,
    ).toBe(2);
  });

  it('redeems once, only at its stores, even when two clerks scan it at the same moment', async () => {
    const [code] = codesInChat('o_tea');
    const unbound = await clerk('新店员', null);
    expect((await t.call(unbound.token, 'POST', '/api/v1/clerk/redeem', { code })).body.error.code).toBe(
      'no_store',
    );
    const wrong = await clerk('徐汇店员', elsewhere);
    expect((await t.call(wrong.token, 'POST', '/api/v1/clerk/redeem', { code })).body.error.code).toBe(
      'wrong_store',
    );

    const a = await clerk('静安店员甲', here);
    const b = await clerk('静安店员乙', here);
    const check = await t.call(a.token, 'POST', '/api/v1/clerk/check', { code });
    expect(check.body).toMatchObject({
      redeemable: true,
      voucher: { title: '双人下午茶套餐', openid: 'o_tea' },
    });
    const both = await Promise.all([
      t.call(a.token, 'POST', '/api/v1/clerk/redeem', { code }),
      t.call(b.token, 'POST', '/api/v1/clerk/redeem', { code }),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(both.find((r) => r.status === 409)!.body.error.code).toBe('already_redeemed');
    const events = await t.deps.db
      .selectFrom('voucher_events')
      .selectAll()
      .where('action', '=', 'redeem')
      .execute();
    expect(events).toHaveLength(1);
  });

  it('an owner (only) reverses a redemption with a reason, audited', async () => {
    const [code] = codesInChat('o_tea');
    const voucher = (await t.call(owner, 'GET', `/api/v1/vouchers?code=${code}`)).body;
    expect(voucher.status).toBe('redeemed');
    const clerkToken = (await clerk('静安店员丙', here)).token;
    expect(
      (await t.call(clerkToken, 'POST', `/api/v1/vouchers/${voucher.id}/reverse`, { reason: 'x' })).status,
    ).toBe(403);
    const reversed = await t.call(owner, 'POST', `/api/v1/vouchers/${voucher.id}/reverse`, {
      reason: '误核销',
    });
    expect(reversed.body.status).toBe('valid');
    const detail = (await t.call(owner, 'GET', `/api/v1/vouchers/${voucher.id}`)).body;
    expect(detail.events.map((e: { action: string; reason: string | null }) => [e.action, e.reason])).toEqual(
      [
        ['redeem', null],
        ['reverse', '误核销'],
      ],
    );
    expect((await t.call(clerkToken, 'POST', '/api/v1/clerk/redeem', { code })).status).toBe(200);
    const report = (
      await t.call(
        owner,
        'GET',
        `/api/v1/vouchers/report?from=${t.clock.now() - DAY}&to=${t.clock.now() + DAY}`,
      )
    ).body;
    expect(report.redemptions).toEqual([expect.objectContaining({ store_id: here, count: 1, value: 9_900 })]);
    expect(report.outstanding.count).toBe(1);
  });

  it('expired unredeemed vouchers are refunded when the deal promises it, else they are breakage', async () => {
    expect(
      (await t.call(owner, 'PUT', `/api/v1/deals/${deal.id}/voucher-policy`, { refund_expired: true }))
        .status,
    ).toBe(200);
    const { orderId } = await buyDeal('o_late', 1);
    t.clock.advance(11 * DAY);
    await t.worker.drain();
    const order = await until(
      async () => {
        await t.worker.drain();
        return (await t.call(owner, 'GET', `/api/v1/orders/${orderId}`)).body;
      },
      (o) => o.status === 'refunded',
    );
    expect(order.status).toBe('refunded');
    // WeChat Pay's refund notice comes on its own; the voucher follows on the order.refunded event.
    const voucherOf = async () => {
      await t.worker.drain();
      const vouchers = await t.deps.db.selectFrom('vouchers').select(['order_id', 'status']).execute();
      return vouchers.find((v) => v.order_id === orderId)?.status;
    };
    expect(await until(voucherOf, (status) => status === 'refunded')).toBe('refunded');
    // The first order had one voucher redeemed: its other one expired and stays as breakage.
    const report = (await t.call(owner, 'GET', `/api/v1/vouchers/report?from=0&to=${t.clock.now()}`)).body;
    expect(report.breakage.count).toBe(1);
    expect(report.refunded.count).toBe(1);
  });
});
