import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionSimulatedPay } from '../src/demo-pay.ts';
import { confirmPay, fanSession, shop, until } from './support/shopper.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { connectAccount, fan } from './support/wechat-fan.ts';

const engine = process.env.DATABASE_URL?.startsWith('postgres') ? 'postgres' : 'sqlite';
let t: TestApp;
let owner: string;
let appid: string;
let sku: string;
let here = '';
let elsewhere = '';

const clerk = async (name: string, storeId: string) => {
  const created = (await t.call(owner, 'POST', '/api/v1/tokens', { name, role: 'clerk' })).body;
  expect(
    (await t.call(owner, 'PUT', `/api/v1/clerks/${created.id}/store`, { store_id: storeId })).status,
  ).toBe(200);
  return created.token as string;
};

async function pickupOrder(openid: string, pay = true) {
  await fan(t, appid, openid, { type: 'subscribe' });
  const cookie = await fanSession(t, appid, openid);
  const placed = await shop(t, cookie, appid, 'POST', '/orders', {
    items: [{ sku_id: sku, quantity: 2 }],
    pickup_store_id: here,
    payment_method: 'wechat',
  });
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  if (pay) {
    const payment = await shop(t, cookie, appid, 'POST', `/orders/${placed.body.id}/pay`);
    await confirmPay(t, payment.body.pay_params, openid);
    await until(
      async () => (await t.call(owner, 'GET', `/api/v1/orders/${placed.body.id}`)).body.status,
      (s) => s === 'paid',
    );
    await t.worker.drain();
  }
  return { cookie, order: placed.body };
}

beforeAll(async () => {
  t = await createTestApp();
  const m = await t.merchant('pickup-shop');
  owner = m.token;
  appid = (await connectAccount(t, owner)).appid;
  await provisionSimulatedPay(t.deps, m.id, { codEnabled: true });
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
  sku = (
    await t.call(owner, 'POST', '/api/v1/products', {
      title: '手冲咖啡豆',
      category: '食品/咖啡',
      status: 'on_sale',
      skus: [{ spec: {}, price: 6_800, stock: 100 }],
    })
  ).body.skus[0].id;
});
afterAll(() => t.close());

describe(`store pickup (${engine})`, () => {
  it('no address needed; the code is on the order page and in chat; collected once, only at its store', async () => {
    const { cookie, order } = await pickupOrder('o_pick');
    expect(order).toMatchObject({ pickup_store_id: here, address: null, total: 13_600 });
    expect(order.pickup_code).toMatch(/^\d{10}$/);

    const page = await t.app.inject({ url: `/shop/${appid}/orders/${order.id}`, headers: { cookie } });
    expect(page.body).toContain('到店自提');
    expect(page.body).toContain('静安店');
    expect(page.body).toContain(order.pickup_code.slice(0, 4));
    expect(page.body).toContain('<svg');
    const chat = t
      .simulator!.sim.fan(appid, 'o_pick')
      .transcript.filter((e) => e.via === 'custom')
      .map((e) => String(e.message.content));
    expect(chat.some((m) => m.includes('提货码') && m.replace(/\s/g, '').includes(order.pickup_code))).toBe(
      true,
    );

    const wrong = await clerk('徐汇店员', elsewhere);
    const right = await clerk('静安店员', here);
    const other = await clerk('静安店员二', here);
    const check = await t.call(wrong, 'POST', '/api/v1/clerk/pickup/check', { code: order.pickup_code });
    expect(check.body).toMatchObject({ collectable: false, reason: '该订单不在本店自提' });
    expect(
      (await t.call(wrong, 'POST', '/api/v1/clerk/pickup/collect', { code: order.pickup_code })).body.error
        .code,
    ).toBe('wrong_store');
    expect(
      (await t.call(right, 'POST', '/api/v1/clerk/pickup/check', { code: order.pickup_code })).body,
    ).toMatchObject({ collectable: true });
    // Two clerks at the counter at the same moment: one hands it over.
    const both = await Promise.all(
      [right, other].map((tk) =>
        t.call(tk, 'POST', '/api/v1/clerk/pickup/collect', { code: order.pickup_code }),
      ),
    );
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    const done = (await t.call(owner, 'GET', `/api/v1/orders/${order.id}`)).body;
    expect(done).toMatchObject({ status: 'completed' });
    expect(done.collected_at).toBeGreaterThan(0);
    expect(done.collected_by).toMatch(/^token:/);
    expect(
      (await t.call(right, 'POST', '/api/v1/clerk/pickup/collect', { code: order.pickup_code })).body.error
        .code,
    ).toBe('already_collected');
    const after = await t.app.inject({ url: `/shop/${appid}/orders/${order.id}`, headers: { cookie } });
    expect(after.body).toContain('已提货');
  });

  it('refuses an unpaid order, a deal, cash on delivery and shipping it; agents cannot collect', async () => {
    const { order } = await pickupOrder('o_unpaid', false);
    const right = await clerk('静安店员三', here);
    expect(
      (await t.call(right, 'POST', '/api/v1/clerk/pickup/collect', { code: order.pickup_code })).body.error
        .code,
    ).toBe('not_paid');
    const cookie = await fanSession(t, appid, 'o_unpaid');
    const cod = await shop(t, cookie, appid, 'POST', '/orders', {
      items: [{ sku_id: sku, quantity: 1 }],
      pickup_store_id: here,
      payment_method: 'cod',
    });
    expect(cod.body.error.code).toBe('pickup_pays_online');
    const unknown = await shop(t, cookie, appid, 'POST', '/orders', {
      items: [{ sku_id: sku, quantity: 1 }],
      pickup_store_id: 'sto_nope',
      payment_method: 'wechat',
    });
    expect(unknown.status).toBe(404);
    const { order: paid } = await pickupOrder('o_ship');
    const shipped = await t.call(owner, 'POST', `/api/v1/orders/${paid.id}/ship`, {
      carrier: '顺丰',
      tracking_no: 'SF1',
    });
    expect(shipped.body.error.code).toBe('pickup_order');
    const agent = (await t.call(owner, 'POST', '/api/v1/tokens', { name: 'agent', role: 'agent' })).body
      .token;
    expect(
      (await t.call(agent, 'POST', '/api/v1/clerk/pickup/collect', { code: paid.pickup_code })).status,
    ).toBe(403);
    expect((await t.call(right, 'POST', '/api/v1/clerk/pickup/check', { code: '0000000000' })).status).toBe(
      404,
    );
  });

  it('the clerk page inside WeChat: wx.config signed with the account ticket, which WeChat accepts', async () => {
    const right = await clerk('静安店员四', here);
    const url = 'http://127.0.0.1:3000/clerk';
    const signed = await t.call(right, 'GET', `/api/v1/clerk/jssdk?url=${encodeURIComponent(url)}`);
    expect(signed.status, JSON.stringify(signed.body)).toBe(200);
    expect(signed.body).toMatchObject({ appId: appid, signature: expect.stringMatching(/^[0-9a-f]{40}$/) });
    const verify = async (body: Record<string, unknown>) =>
      (await t.app.inject({ method: 'POST', url: '/sim/jssdk/verify', payload: body })).json();
    expect(await verify({ ...signed.body, url })).toMatchObject({ ok: true });
    expect(await verify({ ...signed.body, url: `${url}?other=1` })).toMatchObject({ ok: false });
    expect(await verify({ ...signed.body, url, timestamp: signed.body.timestamp + 1 })).toMatchObject({
      ok: false,
    });
    const page = await t.app.inject({ url: '/clerk' });
    expect(page.headers['content-security-policy']).toContain("script-src 'self' https://res.wx.qq.com");
    const agent = (await t.call(owner, 'POST', '/api/v1/tokens', { name: 'agent2', role: 'agent' })).body
      .token;
    expect((await t.call(agent, 'GET', `/api/v1/clerk/jssdk?url=${encodeURIComponent(url)}`)).status).toBe(
      403,
    );
  });
});
