import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fanSession, shop } from '../../../test/support/shopper.ts';
import { createTestApp, type TestApp } from '../../../test/support/test-app.ts';
import { connectAccount, fan, say } from '../../../test/support/wechat-fan.ts';
import { merchantCtx } from '../../context.ts';
import { provisionSimulatedPay } from '../../demo-pay.ts';
import { zoneOffsetMs } from '../../platform/db/day-buckets.ts';
import { createApiToken } from '../tenants/index.ts';
import { backfillOrders, orderChanged } from './order-rollups.service.ts';
import { rollupTail } from './rollups.service.ts';

let t: TestApp;
let token: string;
let merchantId: string;

beforeAll(async () => {
  t = await createTestApp();
  const m = await t.merchant('dashboard-shop');
  token = m.token;
  merchantId = m.id;
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
  await t.worker.drain();
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

  it('keeps the order rollups in line with each order: cancelled with its reason, once however often heard', async () => {
    const day = 86_400_000;
    const url = `/api/v1/analytics/overview?from=${t.clock.now() - day}&to=${t.clock.now() + day}`;
    const orders = (await t.call(token, 'GET', '/api/v1/orders')).body;
    const pending = (orders.items ?? orders).find(
      (o: { status: string; payment_method: string }) =>
        o.status === 'pending_payment' && o.payment_method === 'wechat',
    );
    expect((await t.call(token, 'POST', `/api/v1/orders/${pending.id}/cancel`)).status).toBe(200);
    await t.worker.drain();
    const after = (await t.call(token, 'GET', url)).body;
    expect(after.funnel).toMatchObject({ placed: 3, pending: 2, paid: 1, cancelled_unpaid: 1 });
    expect(after.funnel.cancel_reasons).toEqual({ merchant: 1 });
    // The same order heard again, and every order walked again by the backfill: nothing moves.
    await orderChanged(merchantCtx(t.deps, merchantId), pending.id);
    await t.deps.db.deleteFrom('analytics_cursors').where('name', '=', 'orders_backfill').execute();
    expect(await backfillOrders(t.deps)).toBeGreaterThanOrEqual(3);
    expect((await t.call(token, 'GET', url)).body.funnel).toEqual(after.funnel);
    // Rollups lost: the backfill rebuilds them from the orders.
    await t.deps.db.deleteFrom('analytics_order_days').execute();
    await t.deps.db.deleteFrom('analytics_order_facts').execute();
    await t.deps.db.deleteFrom('analytics_cursors').where('name', '=', 'orders_backfill').execute();
    await backfillOrders(t.deps);
    const rebuilt = (await t.call(token, 'GET', url)).body;
    expect(rebuilt.funnel).toEqual(after.funnel);
    expect(rebuilt.orders).toEqual(after.orders);
  });

  it('refuses ranges that are backwards or too long', async () => {
    expect((await t.call(token, 'GET', '/api/v1/analytics/overview?from=10&to=5')).status).toBe(400);
    expect(
      (await t.call(token, 'GET', `/api/v1/analytics/overview?from=0&to=${100 * 86_400_000}`)).body.error
        .code,
    ).toBe('range_too_long');
  });

  it('shows sales to operators and customer service only, and only for its own accounts', async () => {
    const { token: clerk } = await createApiToken(
      { ...t.system(), merchantId },
      { name: 'till', role: 'clerk' },
    );
    const range = `from=${t.clock.now() - 86_400_000}&to=${t.clock.now()}`;
    expect((await t.call(clerk, 'GET', `/api/v1/analytics/overview?${range}`)).status).toBe(403);
    expect((await t.call(clerk, 'GET', `/api/v1/orders/funnel?${range}`)).status).toBe(403);
    const other = await t.merchant('dashboard-other');
    const theirs = await connectAccount(t, other.token);
    const peek = await t.call(token, 'GET', `/api/v1/analytics/overview?${range}&account_id=${theirs.id}`);
    expect(peek.status).toBe(404);
  });

  it('knows a zone’s offset', () => {
    expect(zoneOffsetMs('Asia/Shanghai', Date.UTC(2026, 0, 1))).toBe(8 * 3_600_000);
    expect(zoneOffsetMs('America/New_York', Date.UTC(2026, 6, 1))).toBe(-4 * 3_600_000);
  });
});
