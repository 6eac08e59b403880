import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { merchantCtx } from '../src/context.ts';
import { provisionSimulatedPay } from '../src/demo-pay.ts';
import { logTail } from '../src/modules/crm/index.ts';
import { couponLogTail, grantCoupon } from '../src/modules/marketing/index.ts';
import { confirmPay, fanSession, shop } from './support/shopper.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { connectAccount, fan, say } from './support/wechat-fan.ts';

const engine = process.env.DATABASE_URL?.startsWith('postgres') ? 'postgres' : 'sqlite';
let t: TestApp;
let token: string;
let merchantId: string;
let account: { id: string; appid: string };
let sku: string;
const address = { name: '李四', phone: '13900139000', region: '上海市徐汇区', detail: '漕溪北路 2 号' };

const campaign = async (body: Record<string, unknown> = {}) => {
  const created = await t.call(token, 'POST', '/api/v1/coupon-campaigns', {
    name: '立减 5 元',
    kind: 'fixed',
    value: 500,
    total_limit: 100,
    valid_days: 7,
    ...body,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id as string;
};
const trigger = async (campaignId: string, body: Record<string, unknown>) => {
  const created = await t.call(token, 'POST', `/api/v1/coupon-campaigns/${campaignId}/triggers`, body);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
};
const settle = async () => {
  await couponLogTail(t.deps)();
  await t.worker.drain();
};
const couponsOf = async (openid: string, campaignId: string) =>
  (await shop(t, await fanSession(t, account.appid, openid), account.appid, 'GET', '/coupons')).body.filter(
    (c: { campaign_id: string }) => c.campaign_id === campaignId,
  );
const told = (openid: string) =>
  t
    .simulator!.sim.fan(account.appid, openid)
    .transcript.filter((e) => e.via === 'custom')
    .map((e) => JSON.stringify(e.message));
const claimed = async (id: string) =>
  (await t.call(token, 'GET', `/api/v1/coupon-campaigns/${id}`)).body.claimed;

beforeAll(async () => {
  t = await createTestApp();
  const m = await t.merchant('coupon-channels');
  token = m.token;
  merchantId = m.id;
  account = await connectAccount(t, token);
  await provisionSimulatedPay(t.deps, m.id, { codEnabled: false });
  sku = (
    await t.call(token, 'POST', '/api/v1/products', {
      title: '帆布包',
      category: '配件/包',
      status: 'on_sale',
      skus: [{ spec: {}, price: 8_000, stock: 500 }],
    })
  ).body.skus[0].id;
});
afterAll(() => t.close());

describe(`coupons issued in chat (${engine})`, () => {
  it('a keyword answers at once and issues within the limits; the fan hears the outcome once', async () => {
    const id = await campaign({ name: '关键词券', total_limit: 2 });
    await trigger(id, { kind: 'keyword', account_id: account.id, key: '领券' });
    const reply = await say(t, account.appid, 'o_kw_a', '领券');
    expect(String(reply?.content)).toContain('关键词券');
    await say(t, account.appid, 'o_kw_a', '领券');
    await say(t, account.appid, 'o_kw_b', '领券');
    await say(t, account.appid, 'o_kw_c', '领券');
    await settle();
    // Re-reading the same messages (a restart, another process) issues nothing more.
    await settle();
    expect(await couponsOf('o_kw_a', id)).toHaveLength(1);
    expect(await couponsOf('o_kw_b', id)).toHaveLength(1);
    expect(await couponsOf('o_kw_c', id)).toHaveLength(0);
    expect(await claimed(id)).toBe(2);
    const a = told('o_kw_a');
    expect(a.filter((m) => m.includes('你获得一张'))).toHaveLength(1);
    expect(a.filter((m) => m.includes('已经领过'))).toHaveLength(1);
    expect(told('o_kw_c').some((m) => m.includes('已经发完'))).toBe(true);
    const triggers = (await t.call(token, 'GET', `/api/v1/coupon-campaigns/${id}/triggers`)).body;
    expect(triggers[0]).toMatchObject({ kind: 'keyword', key: '领券', issued: 2, status: 'active' });

    // Stopped: the reply rule is off and the word issues nothing.
    expect((await t.call(token, 'DELETE', `/api/v1/coupon-triggers/${triggers[0].id}`)).status).toBe(200);
    const after = await say(t, account.appid, 'o_kw_d', '领券');
    expect(String(after?.content ?? '')).not.toContain('关键词券');
    await settle();
    expect(await couponsOf('o_kw_d', id)).toHaveLength(0);
  });

  it('a menu click and a channel QR scan issue, once per fan', async () => {
    const menu = await campaign({ name: '菜单券' });
    await trigger(menu, { kind: 'click', account_id: account.id, key: 'COUPON_5' });
    const clicked = await fan(t, account.appid, 'o_menu', { type: 'click', key: 'COUPON_5' });
    expect(String(clicked.reply?.content)).toContain('菜单券');
    await fan(t, account.appid, 'o_menu', { type: 'click', key: 'COUPON_5' });

    const scan = await campaign({ name: '扫码券' });
    const qr = await trigger(scan, { kind: 'scan', account_id: account.id });
    expect(qr.image_url).toContain('showqrcode');
    const codes = (await t.call(token, 'GET', '/api/v1/qrcodes')).body;
    const ticket = (Array.isArray(codes) ? codes : codes.items).find(
      (q: { id: string }) => q.id === qr.ref_id,
    ).ticket;
    await fan(t, account.appid, 'o_scan', { type: 'scan', ticket });
    await settle();
    expect(await couponsOf('o_menu', menu)).toHaveLength(1);
    expect(await couponsOf('o_scan', scan)).toHaveLength(1);
    expect(told('o_scan').some((m) => m.includes('扫码券'))).toBe(true);
  });

  it('after payment: orders of at least the minimum get one', async () => {
    const id = await campaign({ name: '下单返券' });
    await trigger(id, { kind: 'paid', min_total: 10_000 });
    const buy = async (openid: string, quantity: number) => {
      const cookie = await fanSession(t, account.appid, openid);
      const order = await shop(t, cookie, account.appid, 'POST', '/orders', {
        items: [{ sku_id: sku, quantity }],
        address,
        payment_method: 'wechat',
      });
      expect(order.status, JSON.stringify(order.body)).toBe(201);
      const pay = await shop(t, cookie, account.appid, 'POST', `/orders/${order.body.id}/pay`);
      await confirmPay(t, pay.body.pay_params, openid);
      await t.worker.drain();
    };
    // Told in chat through the customer-service window (the fan wrote today).
    await say(t, account.appid, 'o_paid_big', '你好');
    await buy('o_paid_big', 2);
    await buy('o_paid_small', 1);
    expect(await couponsOf('o_paid_big', id)).toHaveLength(1);
    expect(await couponsOf('o_paid_small', id)).toHaveLength(0);
    expect(told('o_paid_big').some((m) => m.includes('下单返券'))).toBe(true);
  });

  it('to a CRM segment: a snapshot of its members, each issued once, never over the total', async () => {
    for (const openid of ['o_seg_1', 'o_seg_2', 'o_seg_3']) await say(t, account.appid, openid, '你好');
    await t.worker.drain();
    await logTail(t.deps)();
    const segment = (
      await t.call(token, 'POST', '/api/v1/crm/segments', {
        name: '聊过的粉丝',
        rules: { op: 'and', rules: [{ type: 'talked', hours: 1 }] },
      })
    ).body;
    const members = (await t.call(token, 'GET', `/api/v1/crm/segments/${segment.id}`)).body.count as number;
    expect(members).toBeGreaterThanOrEqual(3);
    const id = await campaign({ name: '人群券', total_limit: members - 1 });
    const push = await t.call(token, 'POST', `/api/v1/coupon-campaigns/${id}/pushes`, {
      segment_id: segment.id,
      account_id: account.id,
    });
    expect(push.status, JSON.stringify(push.body)).toBe(201);
    expect(push.body).toMatchObject({ members, status: 'running' });
    await t.worker.drain();
    const done = (await t.call(token, 'GET', `/api/v1/coupon-campaigns/${id}/pushes`)).body[0];
    expect(done).toMatchObject({ status: 'done', issued: members - 1 });
    expect(await claimed(id)).toBe(members - 1);
  });

  it('races: many fans at once never exceed the total; one cause granted twice issues once', async () => {
    const id = await campaign({ name: '抢券', total_limit: 5, per_fan_limit: 2 });
    const ctx = merchantCtx(t.deps, merchantId);
    const fans = Array.from({ length: 20 }, (_, i) => `o_race_${i}`);
    const grants = await Promise.all(
      fans.map((openid) =>
        grantCoupon(ctx, { campaignId: id, openid, source: `test:${openid}`, accountId: null }),
      ),
    );
    expect(grants.filter((g) => g?.outcome === 'issued')).toHaveLength(5);
    expect(grants.filter((g) => g?.outcome === 'gone')).toHaveLength(15);
    const same = await campaign({ name: '同一消息', total_limit: 50, per_fan_limit: 3 });
    const twice = await Promise.all(
      Array.from({ length: 8 }, () =>
        grantCoupon(ctx, { campaignId: same, openid: 'o_same', source: 'msg:same', accountId: null }),
      ),
    );
    expect(twice.filter((g) => g?.outcome === 'issued')).toHaveLength(1);
    expect(twice.filter((g) => g === null)).toHaveLength(7);
    // Different causes for one fan stop at the per-fan limit, even at once.
    const perFan = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        grantCoupon(ctx, { campaignId: same, openid: 'o_greedy', source: `msg:g${i}`, accountId: null }),
      ),
    );
    expect(perFan.filter((g) => g?.outcome === 'issued')).toHaveLength(3);
    expect(perFan.filter((g) => g?.outcome === 'limit')).toHaveLength(3);
    expect(await claimed(id)).toBe(5);
  });

  it('a spent budget stops issuing; roles: agents and clerks cannot hand coupons out', async () => {
    const id = await campaign({ name: '预算券', budget: 500 });
    await t.deps.db.updateTable('coupon_campaigns').set({ spent: 500 }).where('id', '=', id).execute();
    const grant = await grantCoupon(merchantCtx(t.deps, merchantId), {
      campaignId: id,
      openid: 'o_budget',
      source: 'msg:budget',
      accountId: null,
    });
    expect(grant?.outcome).toBe('budget');
    for (const role of ['agent', 'clerk']) {
      const tk = (await t.call(token, 'POST', '/api/v1/tokens', { name: role, role })).body.token;
      const denied = await t.call(tk, 'POST', `/api/v1/coupon-campaigns/${id}/triggers`, {
        kind: 'keyword',
        account_id: account.id,
        key: '偷券',
      });
      expect(denied.status).toBe(403);
    }
    const bad = await t.call(token, 'POST', `/api/v1/coupon-campaigns/${id}/triggers`, {
      kind: 'keyword',
      account_id: account.id,
      key: 'a b',
    });
    expect(bad.body.error.code).toBe('invalid_key');
  });
});
