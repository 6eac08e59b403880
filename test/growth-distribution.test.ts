import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { merchantCtx } from '../src/context.ts';
import { provisionSimulatedPay } from '../src/demo-pay.ts';
import { referralTail, requestWithdrawal } from '../src/modules/growth/index.ts';
import { createApiToken } from '../src/modules/tenants/index.ts';
import { transfersTo } from '../src/simulator/transfers.ts';
import { confirmPay, fanSession, shop, until } from './support/shopper.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { connectAccount, fan } from './support/wechat-fan.ts';

const DAY = 86_400_000;
let t: TestApp;
let owner: string;
let operator: string;
let merchantId: string;
let appid: string;
let accountId: string;
let dress: { id: string; sku: string };
let tea: { id: string; sku: string };
const address = { name: '李四', phone: '13800138000', region: '上海市徐汇区', detail: '漕溪北路 1 号' };

const settings = {
  enabled: true,
  join_mode: 'open',
  levels: 2,
  binding_days: 30,
  rebind_after_expiry: true,
  refund_window_days: 7,
  default_kind: 'percent',
  default_level1: 1000,
  default_level2: 500,
  min_withdrawal: 100,
  burst_buyers: 0,
  burst_minutes: 10,
};

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

const sessions = new Map<string, string>();
async function as(openid: string) {
  if (!sessions.has(openid)) sessions.set(openid, await fanSession(t, appid, openid));
  return sessions.get(openid)!;
}

async function join(openid: string) {
  const joined = await shop(t, await as(openid), appid, 'POST', '/distribution/join', {});
  expect(joined.status, JSON.stringify(joined.body)).toBe(201);
  return joined.body as { id: string; code: string; status: string; parent_id: string | null };
}

/** The fan opens a distributor's link (the page route binds, then forwards to the product). */
async function visit(openid: string, code: string, productId = dress.id) {
  const response = await t.app.inject({
    url: `/shop/${appid}/d/${code}?p=${productId}`,
    headers: { cookie: await as(openid) },
  });
  expect(response.statusCode).toBe(302);
  expect(response.headers.location).toBe(`/shop/${appid}/products/${productId}`);
}

async function buy(openid: string, items: Array<{ sku_id: string; quantity: number }>) {
  const cookie = await as(openid);
  const placed = await shop(t, cookie, appid, 'POST', '/orders', {
    items,
    address,
    payment_method: 'wechat',
  });
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  const pay = await shop(t, cookie, appid, 'POST', `/orders/${placed.body.id}/pay`);
  expect(pay.status, JSON.stringify(pay.body)).toBe(200);
  await confirmPay(t, pay.body.pay_params, openid);
  await until(
    async () => (await t.call(owner, 'GET', `/api/v1/orders/${placed.body.id}`)).body,
    (o) => o.status === 'paid',
  );
  await t.worker.drain();
  return placed.body.id as string;
}

const commissionsOf = async (orderId: string) =>
  (
    (await t.call(owner, 'GET', '/api/v1/growth/commissions?limit=100')).body.items as Array<{
      order_id: string;
      distributor_id: string;
      level: number;
      amount: number;
      base: number;
      status: string;
    }>
  )
    .filter((c) => c.order_id === orderId)
    .sort((a, b) => a.level - b.level);

const statementOf = async (id: string) =>
  (await t.call(owner, 'GET', `/api/v1/growth/distributors/${id}/statement`)).body;

const put = (body: Record<string, unknown>) =>
  t.call(owner, 'PUT', '/api/v1/growth/distribution/settings', { ...settings, ...body });

beforeAll(async () => {
  t = await createTestApp();
  const m = await t.merchant('distribution');
  owner = m.token;
  merchantId = m.id;
  operator = (await createApiToken({ ...t.system(), merchantId }, { name: 'op', role: 'operator' })).token;
  const connected = await connectAccount(t, owner);
  appid = connected.appid;
  accountId = connected.id;
  await provisionSimulatedPay(t.deps, m.id, { codEnabled: false });
  dress = await product('真丝连衣裙', '女装', 20_000);
  tea = await product('明前龙井', '茶叶', 10_000);
});
afterAll(() => t.close());

describe('distribution (分销)', () => {
  it('settings: owner only, never more than two levels, percents bounded', async () => {
    expect((await t.call(operator, 'PUT', '/api/v1/growth/distribution/settings', settings)).status).toBe(
      403,
    );
    expect((await put({ levels: 3 })).status).toBe(400);
    expect((await put({ default_level1: 4000, default_level2: 2000 })).body.error.code).toBe('rate_too_high');
    const saved = await put({});
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect(saved.body).toMatchObject({ enabled: true, levels: 2, join_mode: 'open' });
    expect((await t.call(operator, 'GET', '/api/v1/growth/distribution/settings')).body.levels).toBe(2);
  });

  it('link → bound → friend buys → two levels pending on the paid amount → settled after the refund window → ledger', async () => {
    const a = await join('o_anna');
    expect(a).toMatchObject({ status: 'active', parent_id: null });
    // Bob arrives through Anna's link, then becomes a distributor himself: Anna is his parent.
    await visit('o_bob', a.code);
    const b = await join('o_bob');
    expect(b.parent_id).toBe(a.id);
    // Anna opening her own link binds nobody; her own purchase earns nothing.
    await visit('o_anna', a.code);
    const own = await buy('o_anna', [{ sku_id: dress.sku, quantity: 1 }]);
    expect(await commissionsOf(own)).toEqual([]);

    // Carol comes through Bob's link and buys two dresses and a tea (¥500).
    await visit('o_carol', b.code);
    // A later link from Anna does not steal her: the first referral holds.
    await visit('o_carol', a.code);
    const order = await buy('o_carol', [
      { sku_id: dress.sku, quantity: 2 },
      { sku_id: tea.sku, quantity: 1 },
    ]);
    // Tea pays a fixed ¥3 per unit at level 1 and ¥1 at level 2; dresses the default 10 % / 5 %.
    const rule = await t.call(owner, 'POST', '/api/v1/growth/distribution/rules', {
      scope: 'category',
      ref: '茶叶',
      kind: 'fixed',
      level1: 300,
      level2: 100,
    });
    expect(rule.status, JSON.stringify(rule.body)).toBe(201);
    const [l1, l2] = await commissionsOf(order);
    expect(l1).toMatchObject({
      distributor_id: b.id,
      level: 1,
      base: 50_000,
      amount: 5_000,
      status: 'pending',
    });
    expect(l2).toMatchObject({
      distributor_id: a.id,
      level: 2,
      base: 50_000,
      amount: 2_500,
      status: 'pending',
    });

    const second = await buy('o_carol', [{ sku_id: tea.sku, quantity: 2 }]);
    expect((await commissionsOf(second)).map((c) => c.amount)).toEqual([600, 200]);
    expect((await statementOf(b.id)).pending).toBe(5_600);
    expect((await statementOf(b.id)).balance).toBe(0);

    // The window closes: the settle jobs move each commission into the ledger once.
    t.clock.advance(7 * DAY + 1);
    await t.worker.drain();
    const sb = await statementOf(b.id);
    expect(sb).toMatchObject({ pending: 0, settled: 5_600, balance: 5_600, ledger_sum: 5_600 });
    expect(sb.ledger).toHaveLength(2);
    const sa = await statementOf(a.id);
    expect(sa).toMatchObject({ settled: 2_700, balance: 2_700, ledger_sum: 2_700 });
    // The fan sees the same on their own API.
    const me = (await shop(t, await as('o_bob'), appid, 'GET', '/distribution/me')).body;
    expect(me.statement).toMatchObject({ balance: 5_600, settled: 5_600 });
    expect(me.link).toContain(`/shop/${appid}/d/${b.code}`);
  });

  it('a refund reverses pending commissions; settled ones stay', async () => {
    const list = (await t.call(owner, 'GET', '/api/v1/growth/distributors?limit=100')).body.items;
    const bob = list.find((d: { openid: string }) => d.openid === 'o_bob');
    const order = await buy('o_carol', [{ sku_id: dress.sku, quantity: 1 }]);
    expect((await commissionsOf(order)).map((c) => c.status)).toEqual(['pending', 'pending']);
    const refund = await t.call(owner, 'POST', `/api/v1/orders/${order}/refund`, { reason: '不合适' });
    expect(refund.status, JSON.stringify(refund.body)).toBe(200);
    await t.worker.drain();
    await until(
      async () => (await t.call(owner, 'GET', `/api/v1/orders/${order}`)).body,
      (o) => o.status === 'refunded',
    );
    await t.worker.drain();
    expect((await commissionsOf(order)).map((c) => c.status)).toEqual(['reversed', 'reversed']);
    t.clock.advance(8 * DAY);
    await t.worker.drain();
    expect((await commissionsOf(order)).map((c) => c.status)).toEqual(['reversed', 'reversed']);
    expect((await statementOf(bob.id)).balance).toBe(5_600);
  });

  it('cycles are refused: an upline never binds to its downline, nor moves under it', async () => {
    const list = (await t.call(owner, 'GET', '/api/v1/growth/distributors?limit=100')).body.items;
    const anna = list.find((d: { openid: string }) => d.openid === 'o_anna');
    const bob = list.find((d: { openid: string }) => d.openid === 'o_bob');
    await visit('o_anna', bob.code);
    const move = await t.call(owner, 'PUT', `/api/v1/growth/distributors/${anna.id}/parent`, {
      parent_id: bob.id,
    });
    expect(move.status).toBe(409);
    expect(move.body.error.code).toBe('cycle');
    const flags = (await t.call(owner, 'GET', '/api/v1/growth/distribution/flags')).body;
    expect(flags.filter((f: { kind: string }) => f.kind === 'cycle').length).toBeGreaterThanOrEqual(2);
    // Anna still earns nothing on her own purchases (she stays unbound).
    const own = await buy('o_anna', [{ sku_id: dress.sku, quantity: 1 }]);
    expect(await commissionsOf(own)).toEqual([]);
  });

  it('the binding window lapses; rebinding follows the setting', async () => {
    const list = (await t.call(owner, 'GET', '/api/v1/growth/distributors?limit=100')).body.items;
    const anna = list.find((d: { openid: string }) => d.openid === 'o_anna');
    const bob = list.find((d: { openid: string }) => d.openid === 'o_bob');
    await put({ binding_days: 1, rebind_after_expiry: false });
    await visit('o_dave', anna.code);
    t.clock.advance(2 * DAY);
    // Lapsed and rebinding off: Bob's link changes nothing and Dave's order pays nobody.
    await visit('o_dave', bob.code);
    expect(await commissionsOf(await buy('o_dave', [{ sku_id: dress.sku, quantity: 1 }]))).toEqual([]);
    await put({ binding_days: 1, rebind_after_expiry: true });
    await visit('o_dave', bob.code);
    const rebound = await commissionsOf(await buy('o_dave', [{ sku_id: dress.sku, quantity: 1 }]));
    expect(rebound.map((c) => c.distributor_id)).toEqual([bob.id, anna.id]);
    await put({});
  });

  it('a burst of buyers from one referrer is flagged', async () => {
    await put({ burst_buyers: 3, burst_minutes: 5 });
    const eve = await join('o_eve');
    for (const openid of ['o_x1', 'o_x2', 'o_x3']) await visit(openid, eve.code);
    const flagged = (await t.call(owner, 'GET', '/api/v1/growth/distributors?flagged=true&limit=50')).body
      .items;
    expect(flagged.map((d: { id: string }) => d.id)).toContain(eve.id);
    expect(flagged.find((d: { id: string }) => d.id === eve.id).flag_reason).toBe('burst');
    await put({});
  });

  it('a scan of the personal QR code binds the fan (channel QR through the public API)', async () => {
    const frank = await join('o_frank');
    await t.worker.drain();
    const row = (await t.call(owner, 'GET', '/api/v1/growth/distributors?limit=100')).body.items.find(
      (d: { id: string }) => d.id === frank.id,
    );
    expect(row.qr_url).toContain('showqrcode?ticket=');
    const ticket = new URL(row.qr_url).searchParams.get('ticket')!;
    await fan(t, appid, 'o_scanner', { type: 'scan', ticket });
    await referralTail(t.deps)();
    const order = await buy('o_scanner', [{ sku_id: dress.sku, quantity: 1 }]);
    expect((await commissionsOf(order))[0]).toMatchObject({ distributor_id: frank.id, amount: 2_000 });
  });

  it('by application: the owner approves (operators cannot); by package: buying it makes a distributor', async () => {
    await put({ join_mode: 'apply' });
    const pending = await join('o_grace');
    expect(pending.status).toBe('pending');
    const path = `/api/v1/growth/distributors/${pending.id}/review`;
    expect((await t.call(operator, 'POST', path, { decision: 'approve' })).status).toBe(403);
    const approved = await t.call(owner, 'POST', path, { decision: 'approve' });
    expect(approved.body.status).toBe('active');
    expect((await t.call(owner, 'POST', path, { decision: 'approve' })).status).toBe(409);

    const kit = await product('分销礼包', '礼包', 9_900);
    await put({ join_mode: 'package', package_product_id: kit.id });
    const refused = await shop(t, await as('o_henry'), appid, 'POST', '/distribution/join', {});
    expect(refused.body.error.code).toBe('join_mode');
    await buy('o_henry', [{ sku_id: kit.sku, quantity: 1 }]);
    const me = (await shop(t, await as('o_henry'), appid, 'GET', '/distribution/me')).body;
    expect(me.distributor).toMatchObject({ status: 'active', via: 'package' });
    await put({});
  });

  it('withdrawals never take more than the settled balance, even all at once; owner approves; paid by transfer', async () => {
    const list = (await t.call(owner, 'GET', '/api/v1/growth/distributors?limit=100')).body.items;
    const bob = list.find((d: { openid: string }) => d.openid === 'o_bob');
    const start = (await statementOf(bob.id)).balance as number;
    expect(start).toBe(5_600);
    const ctx = merchantCtx(t.deps, merchantId, { kind: 'fan', accountId, openid: 'o_bob' });
    const results = await Promise.allSettled(
      Array.from({ length: 25 }, () => requestWithdrawal(ctx, { accountId, openid: 'o_bob' }, 1_000)),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    expect(ok).toHaveLength(5);
    expect(
      results.every(
        (r) => r.status === 'fulfilled' || (r.reason as { code?: string }).code === 'insufficient_balance',
      ),
    ).toBe(true);
    const after = await statementOf(bob.id);
    expect(after).toMatchObject({ balance: 600, ledger_sum: 600 });

    const requested = (await t.call(owner, 'GET', '/api/v1/growth/withdrawals?status=requested&limit=50'))
      .body.items as Array<{ id: string }>;
    expect(requested).toHaveLength(5);
    expect(
      (
        await t.call(operator, 'POST', `/api/v1/growth/withdrawals/${requested[0]!.id}/review`, {
          approve: true,
        })
      ).status,
    ).toBe(403);
    const approve = await t.call(owner, 'POST', `/api/v1/growth/withdrawals/${requested[0]!.id}/review`, {
      approve: true,
    });
    expect(approve.body.status).toBe('paying');
    const reject = await t.call(owner, 'POST', `/api/v1/growth/withdrawals/${requested[1]!.id}/review`, {
      approve: false,
      reason: '信息不符',
    });
    expect(reject.body.status).toBe('rejected');
    await t.worker.drain();
    expect(
      (await t.call(owner, 'GET', `/api/v1/growth/withdrawals?distributor_id=${bob.id}&status=paid&limit=5`))
        .body.items,
    ).toHaveLength(1);
    const transfers = transfersTo(t.simulator!.sim, 'o_bob');
    expect(transfers.map((x) => x.amount)).toEqual([1_000]);
    expect(await statementOf(bob.id)).toMatchObject({ balance: 1_600, ledger_sum: 1_600 });
    // Below the minimum or more than is there: refused with a reason.
    const tooMuch = await shop(t, await as('o_bob'), appid, 'POST', '/distribution/withdrawals', {
      amount: 1_700,
    });
    expect(tooMuch.body.error.code).toBe('insufficient_balance');
    const tiny = await shop(t, await as('o_bob'), appid, 'POST', '/distribution/withdrawals', { amount: 5 });
    expect(tiny.body.error.code).toBe('invalid_amount');
  });

  it('the tree shows who brought whom; roles', async () => {
    const tree = (await t.call(operator, 'GET', '/api/v1/growth/distributors/tree')).body;
    const byOpenid = new Map(tree.nodes.map((n: { openid: string }) => [n.openid, n]));
    const anna = byOpenid.get('o_anna') as { id: string; parent_id: string | null };
    expect(anna.parent_id).toBeNull();
    expect((byOpenid.get('o_bob') as { parent_id: string }).parent_id).toBe(anna.id);
    const clerk = (await createApiToken({ ...t.system(), merchantId }, { name: 'c', role: 'clerk' })).token;
    expect((await t.call(clerk, 'GET', '/api/v1/growth/distributors')).status).toBe(403);
    expect((await t.call(clerk, 'GET', '/api/v1/growth/withdrawals')).status).toBe(403);
    expect((await t.call(clerk, 'GET', '/api/v1/growth/commissions')).status).toBe(403);
  });
});
