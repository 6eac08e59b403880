import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fanSession, shop } from '../../../test/support/shopper.ts';
import { createTestApp, type TestApp } from '../../../test/support/test-app.ts';
import { connectAccount, fan, say } from '../../../test/support/wechat-fan.ts';
import { provisionSimulatedPay } from '../../demo-pay.ts';
import { zoneOffsetMs } from '../../platform/db/day-buckets.ts';
import { rollupTail } from './rollups.service.ts';

let t: TestApp;
let token: string;

beforeAll(async () => {
  t = await createTestApp();
  const m = await t.merchant('dashboard-shop');
  token = m.token;
  const account = await connectAccount(t, token);
  await provisionSimulatedPay(t.deps, m.id, { codEnabled: true });
  const counter = (
    await t.call(token, 'POST', '/api/v1/qrcodes', { account_id: account.id, name: '门店收银台' })
  ).body;
  await fan(t, account.appid, 'o_a', { type: 'scan', ticket: counter.ticket });
  await fan(t, account.appid, 'o_b', { type: 'subscribe' });
  await say(t, account.appid, 'o_a', '你好');
  await say(t, account.appid, 'o_b', '在吗');
  const product = (
    await t.call(token, 'POST', '/api/v1/products', {
      title: '连衣裙',
      status: 'on_sale',
      skus: [{ spec: {}, price: 10000, stock: 9 }],
    })
  ).body;
  const cookie = await fanSession(t, account.appid, 'o_a');
  const address = { name: '张三', phone: '13800138000', region: '南京', detail: '中山路' };
  for (const method of ['wechat', 'wechat', 'cod']) {
    await shop(t, cookie, account.appid, 'POST', '/orders', {
      items: [{ sku_id: product.skus[0].id, quantity: 1 }],
      address,
      payment_method: method,
    });
  }
  await rollupTail(t.deps)();
});
afterAll(() => t.close());

describe('dashboard', () => {
  it('counts followers by day and source, messages, orders placed vs paid, per local day', async () => {
    const day = 86_400_000;
    const from = t.clock.now() - day;
    const to = t.clock.now() + day;
    const response = await t.call(token, 'GET', `/api/v1/analytics/overview?from=${from}&to=${to}`);
    expect(response.status).toBe(200);
    const body = response.body;
    expect(body.timezone).toBe('Asia/Shanghai');
    expect(body.followers.total).toBe(2);
    expect(body.followers.by_source).toHaveLength(2);
    expect(body.followers.by_source).toContainEqual({ source: '直接关注', value: 1 });
    expect(body.followers.by_source).toContainEqual({ source: '门店收银台', value: 1 });
    const today = new Date(t.clock.now() + 8 * 3_600_000).toISOString().slice(0, 10);
    expect(body.followers.new_by_day.find((d: { day: string }) => d.day === today).value).toBe(2);
    expect(body.messages_in_by_day.find((d: { day: string }) => d.day === today).value).toBe(2);
    // Two messages with no rule: no reply configured, so nothing went out.
    expect(body.messages_out_by_day.find((d: { day: string }) => d.day === today).value).toBe(0);
    expect(body.orders.placed_by_day.find((d: { day: string }) => d.day === today).value).toBe(3);
    // Two WeChat Pay orders wait for payment; the cash-on-delivery one counts as a sale.
    expect(body.funnel).toMatchObject({ placed: 3, pending: 3, paid: 1 });
    expect(body.orders.placed_by_day).toHaveLength(3);
  });

  it('refuses ranges that are backwards or too long', async () => {
    expect((await t.call(token, 'GET', '/api/v1/analytics/overview?from=10&to=5')).status).toBe(400);
    expect(
      (await t.call(token, 'GET', `/api/v1/analytics/overview?from=0&to=${100 * 86_400_000}`)).body.error
        .code,
    ).toBe('range_too_long');
  });

  it('knows a zone’s offset', () => {
    expect(zoneOffsetMs('Asia/Shanghai', Date.UTC(2026, 0, 1))).toBe(8 * 3_600_000);
    expect(zoneOffsetMs('America/New_York', Date.UTC(2026, 6, 1))).toBe(-4 * 3_600_000);
  });
});
