import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { merchantCtx } from '../src/context.ts';
import { provisionSimulatedPay } from '../src/demo-pay.ts';
import { claimRedPacket, trialTail } from '../src/modules/growth/index.ts';
import { transfersTo } from '../src/simulator/transfers.ts';
import { confirmPay, fanSession, shop, until } from './support/shopper.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { connectAccount, say } from './support/wechat-fan.ts';

let t: TestApp;
let token: string;
let merchantId: string;
let account: { id: string; appid: string };

const campaign = async (body: Record<string, unknown>) => {
  const created = await t.call(token, 'POST', '/api/v1/growth/red-packets', {
    account_id: account.id,
    name: '新年红包',
    ...body,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id as string;
};
const packets = async (id: string) =>
  (await t.call(token, 'GET', `/api/v1/growth/red-packets/${id}/packets`)).body as Array<{
    openid: string;
    amount: number;
    status: string;
  }>;

beforeAll(async () => {
  t = await createTestApp();
  const m = await t.merchant('red-packets');
  token = m.token;
  merchantId = m.id;
  account = await connectAccount(t, token);
  await provisionSimulatedPay(t.deps, m.id);
});
afterAll(() => t.close());

describe('red packets', () => {
  it('never pays past the budget and gives each fan one packet, even when everyone claims at once', async () => {
    const id = await campaign({ budget: 2_000, amount_min: 100, amount_max: 300, trigger: 'link' });
    const ctx = merchantCtx(t.deps, merchantId);
    const claim = (openid: string) =>
      claimRedPacket(ctx, id, { accountId: account.id, openid, sourceRef: 'test' }).then(
        (p) => ({ ok: true as const, amount: Number(p.amount) }),
        (e: Error & { code?: string }) => ({ ok: false as const, code: e.code ?? e.constructor.name }),
      );
    const results = await Promise.all([
      ...Array.from({ length: 60 }, (_, i) => claim(`o_rush_${i}`)),
      // One fan tapping twenty times at once.
      ...Array.from({ length: 20 }, () => claim('o_greedy')),
    ]);
    const won = results.filter((r) => r.ok);
    const total = won.reduce((sum, r) => sum + (r.ok ? r.amount : 0), 0);
    expect(total).toBeLessThanOrEqual(2_000);
    // The budget is really used: what is left cannot pay even the smallest packet.
    expect(2_000 - total).toBeLessThan(100);
    expect(
      results
        .filter((r) => !r.ok)
        .every((r) => !r.ok && ['red_packets_gone', 'AlreadyClaimed', 'red_packets_busy'].includes(r.code)),
    ).toBe(true);

    const rows = await packets(id);
    expect(new Set(rows.map((r) => r.openid)).size).toBe(rows.length);
    expect(rows.filter((r) => r.openid === 'o_greedy').length).toBeLessThanOrEqual(1);
    const view = (await t.call(token, 'GET', `/api/v1/growth/red-packets/${id}`)).body;
    expect(view).toMatchObject({ spent: total, claims: rows.length, status: 'exhausted' });

    // Paid through WeChat Pay's transfer: the simulator holds exactly one transfer per packet.
    await t.worker.drain();
    const paid = await packets(id);
    expect(paid.every((p) => p.status === 'paid')).toBe(true);
    const sim = t.simulator!.sim;
    let transferred = 0;
    for (const p of paid) {
      const mine = transfersTo(sim, p.openid);
      expect(mine).toHaveLength(1);
      expect(mine[0]!.amount).toBe(p.amount);
      transferred += mine[0]!.amount;
    }
    expect(transferred).toBe(total);
  });

  it('a fan opens a red-packet link once; a keyword in chat earns one too', async () => {
    const link = await campaign({ budget: 1_000, amount_min: 188, amount_max: 188, trigger: 'link' });
    const cookie = await fanSession(t, account.appid, 'o_link');
    const first = await shop(t, cookie, account.appid, 'POST', `/red-packets/${link}/claim`);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body.amount).toBe(188);
    const again = await shop(t, cookie, account.appid, 'POST', `/red-packets/${link}/claim`);
    expect(again.body.error.code).toBe('already_claimed');

    const keyword = await campaign({
      budget: 1_000,
      amount_min: 100,
      amount_max: 100,
      trigger: 'keyword',
      keyword: '抢红包',
    });
    await say(t, account.appid, 'o_chat', '抢红包');
    await say(t, account.appid, 'o_chat', '抢红包 再来一个');
    await trialTail(t.deps)();
    await t.worker.drain();
    const rows = await packets(keyword);
    expect(rows).toEqual([expect.objectContaining({ openid: 'o_chat', amount: 100, status: 'paid' })]);
    // A keyword campaign is not claimable by link.
    const byLink = await shop(t, cookie, account.appid, 'POST', `/red-packets/${keyword}/claim`);
    expect(byLink.body.error.code).toBe('not_by_link');
  });

  it('refuses amounts outside WeChat’s rules and non-operators', async () => {
    const bad = await t.call(token, 'POST', '/api/v1/growth/red-packets', {
      account_id: account.id,
      name: 'x',
      budget: 1_000,
      amount_min: 500,
      amount_max: 200,
      trigger: 'link',
    });
    expect(bad.body.error.code).toBe('invalid_amounts');
    const agent = (await t.call(token, 'POST', '/api/v1/tokens', { name: '客服', role: 'agent' })).body.token;
    const refused = await t.call(agent, 'POST', '/api/v1/growth/red-packets', {
      account_id: account.id,
      name: 'x',
      budget: 1_000,
      amount_min: 100,
      amount_max: 100,
      trigger: 'link',
    });
    expect(refused.status).toBe(403);
  });
  it('after payment: a paid order of at least the minimum earns one packet, once per fan, through the real pay path', async () => {
    const product = (
      await t.call(token, 'POST', '/api/v1/products', {
        title: '蚕丝面膜',
        status: 'on_sale',
        skus: [{ spec: {}, price: 6_000, stock: 100 }],
      })
    ).body;
    const id = await campaign({
      budget: 10_000,
      amount_min: 120,
      amount_max: 120,
      trigger: 'paid',
      min_order_total: 10_000,
    });
    const address = { name: '周七', phone: '13500135000', region: '成都市武侯区', detail: '人民南路 7 号' };
    const buy = async (openid: string, quantity: number) => {
      const cookie = await fanSession(t, account.appid, openid);
      const order = await shop(t, cookie, account.appid, 'POST', '/checkout', {
        items: [{ sku_id: product.skus[0].id, quantity }],
        address,
        payment_method: 'wechat',
      });
      expect(order.status, JSON.stringify(order.body)).toBe(201);
      const pay = await shop(t, cookie, account.appid, 'POST', `/orders/${order.body.id}/pay`);
      expect((await confirmPay(t, pay.body.pay_params, openid)).status).toBe(200);
      await until(
        async () => {
          await t.worker.drain();
          return (await t.call(token, 'GET', `/api/v1/orders/${order.body.id}`)).body.status;
        },
        (status) => status === 'paid',
      );
      await t.worker.drain();
    };
    await buy('o_paid_big', 2); // ¥120: earns one
    await buy('o_paid_big', 3); // a second order: still one per fan
    await buy('o_paid_small', 1); // ¥60: under the minimum
    await t.worker.drain();
    const rows = await packets(id);
    expect(rows).toEqual([expect.objectContaining({ openid: 'o_paid_big', amount: 120, status: 'paid' })]);
    expect(transfersTo(t.simulator!.sim, 'o_paid_big').map((x) => x.amount)).toContain(120);
  });
});
