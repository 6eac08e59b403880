import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { merchantCtx } from '../src/context.ts';
import { placeStockOrder } from '../src/modules/growth/index.ts';
import { createApiToken } from '../src/modules/tenants/index.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

let t: TestApp;
let owner: string;
let operator: string;
let merchantId: string;
let sku: string;
let productId: string;
const levels: Record<string, string> = {};
const agents: Record<string, string> = {};

async function level(name: string, rank: number, upgrade_spend: number, price: number) {
  const created = await t.call(owner, 'POST', '/api/v1/growth/agent-levels', { name, rank, upgrade_spend });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const priced = await t.call(owner, 'PUT', `/api/v1/growth/agent-levels/${created.body.id}/prices`, {
    prices: [{ sku_id: sku, price }],
  });
  expect(priced.body).toEqual([{ sku_id: sku, price }]);
  levels[name] = created.body.id;
}

async function agent(name: string, levelName: string, parent: string | null) {
  const created = await t.call(operator, 'POST', '/api/v1/growth/agents', {
    name,
    phone: '13900139000',
    level_id: levels[levelName],
    parent_id: parent ? agents[parent] : null,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  agents[name] = created.body.id;
  return created.body;
}

const order = (name: string, from: 'parent' | 'merchant', quantity: number) =>
  t.call(operator, 'POST', `/api/v1/growth/agents/${agents[name]}/stock-orders`, {
    from,
    items: [{ sku_id: sku, quantity }],
  });
const detail = async (name: string) =>
  (await t.call(operator, 'GET', `/api/v1/growth/agents/${agents[name]}`)).body;
const stockOf = async (name: string) => (await detail(name)).stock[0]?.quantity ?? 0;

beforeAll(async () => {
  t = await createTestApp();
  const m = await t.merchant('agents');
  owner = m.token;
  merchantId = m.id;
  operator = (await createApiToken({ ...t.system(), merchantId }, { name: 'op', role: 'operator' })).token;
  const product = (
    await t.call(owner, 'POST', '/api/v1/products', {
      title: '面膜礼盒',
      status: 'on_sale',
      skus: [{ spec: {}, price: 3_000, stock: 1_000 }],
    })
  ).body;
  productId = product.id;
  sku = product.skus[0].id;
});
afterAll(() => t.close());

describe('agents (层层代理)', () => {
  it('levels and wholesale prices are the owner’s; ranks are unique', async () => {
    expect(
      (
        await t.call(operator, 'POST', '/api/v1/growth/agent-levels', {
          name: 'x',
          rank: 9,
          upgrade_spend: 0,
        })
      ).status,
    ).toBe(403);
    await level('总代', 1, 0, 1_200);
    await level('省代', 2, 100_000, 1_600);
    await level('市代', 3, 0, 2_000);
    const dup = await t.call(owner, 'POST', '/api/v1/growth/agent-levels', {
      name: '重复',
      rank: 2,
      upgrade_spend: 0,
    });
    expect(dup.body.error.code).toBe('rank_taken');
    const unknown = await t.call(owner, 'PUT', `/api/v1/growth/agent-levels/${levels['总代']}/prices`, {
      prices: [{ sku_id: 'sku_nope', price: 1 }],
    });
    expect(unknown.body.error.code).toBe('unknown_sku');
    const list = (await t.call(operator, 'GET', '/api/v1/growth/agent-levels')).body;
    expect(list.map((l: { name: string }) => l.name)).toEqual(['总代', '省代', '市代']);
  });

  it('a tree where every parent is of a higher level; stock flows down at each level’s price', async () => {
    await agent('Nancy', '总代', null);
    await agent('Lily', '省代', 'Nancy');
    await agent('Mia', '市代', 'Lily');
    await agent('Zoe', '市代', 'Lily');
    const wrong = await t.call(operator, 'POST', '/api/v1/growth/agents', {
      name: 'Up',
      phone: '1',
      level_id: levels['总代'],
      parent_id: agents['Mia'],
    });
    expect(wrong.body.error.code).toBe('parent_not_higher');

    const fromMerchant = await order('Nancy', 'merchant', 100);
    expect(fromMerchant.status, JSON.stringify(fromMerchant.body)).toBe(201);
    expect(fromMerchant.body).toMatchObject({ supplier_id: null, total: 120_000 });
    expect((await t.call(owner, 'GET', `/api/v1/products/${productId}`)).body.skus[0].stock).toBe(900);
    const fromNancy = await order('Lily', 'parent', 30);
    expect(fromNancy.body).toMatchObject({ supplier_id: agents['Nancy'], total: 48_000 });
    expect(await stockOf('Nancy')).toBe(70);
    expect(await stockOf('Lily')).toBe(30);
    expect((await order('Nancy', 'parent', 1)).body.error.code).toBe('no_parent');

    const tree = (await t.call(operator, 'GET', '/api/v1/growth/agents')).body.nodes;
    const byName = new Map(tree.map((n: { name: string }) => [n.name, n]));
    expect(byName.get('Mia')).toMatchObject({ parent_id: agents['Lily'], level_name: '市代', rank: 3 });
    expect(byName.get('Nancy')).toMatchObject({ parent_id: null, stock: 70 });
  });

  it('two dealers ordering from the same parent at once never get more than the parent holds', async () => {
    const ctx = merchantCtx(t.deps, merchantId);
    const attempts = Array.from({ length: 12 }, (_, i) =>
      placeStockOrder(ctx, agents[i % 2 ? 'Mia' : 'Zoe']!, {
        from: 'parent',
        items: [{ sku_id: sku, quantity: 4 }],
      }),
    );
    const results = await Promise.allSettled(attempts);
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    // Lily holds 30: seven orders of 4 fit, the rest are refused.
    expect(ok).toBe(7);
    expect(
      results.every(
        (r) => r.status === 'fulfilled' || (r.reason as { code?: string }).code === 'supplier_out_of_stock',
      ),
    ).toBe(true);
    expect(await stockOf('Lily')).toBe(2);
    expect((await stockOf('Mia')) + (await stockOf('Zoe'))).toBe(28);
  });

  it('purchases lift a dealer to the level whose threshold they reached; they then buy from the nearest agent above', async () => {
    // Below 省代's ¥1,000 threshold Mia stays 市代; 50 more from the merchant take her past it.
    expect((await detail('Mia')).level_id).toBe(levels['市代']);
    const big = await order('Mia', 'merchant', 50);
    expect(big.body).toMatchObject({ supplier_id: null, total: 100_000 });
    // Now 省代, level with Lily: she buys from Nancy, the nearest agent above her.
    const mia = await detail('Mia');
    expect(mia.level_id).toBe(levels['省代']);
    expect(mia.parent_id).toBe(agents['Nancy']);
    expect(mia.changes[0]).toMatchObject({
      from_level_id: levels['市代'],
      to_level_id: levels['省代'],
      from_parent_id: agents['Lily'],
      to_parent_id: agents['Nancy'],
    });
    // Her next order is at 省代's price, from Nancy.
    const next = await order('Mia', 'parent', 2);
    expect(next.body).toMatchObject({ supplier_id: agents['Nancy'], total: 3_200 });
  });

  it('the owner sets levels by hand; a dealer below may never outrank their agent', async () => {
    const down = await t.call(owner, 'PUT', `/api/v1/growth/agents/${agents['Nancy']}/level`, {
      level_id: levels['市代'],
    });
    expect(down.body.error.code).toBe('children_outrank');
    expect(
      (
        await t.call(operator, 'PUT', `/api/v1/growth/agents/${agents['Zoe']}/level`, {
          level_id: levels['总代'],
        })
      ).status,
    ).toBe(403);
    const up = await t.call(owner, 'PUT', `/api/v1/growth/agents/${agents['Zoe']}/level`, {
      level_id: levels['总代'],
    });
    expect(up.body).toMatchObject({ level_id: levels['总代'], parent_id: null });
  });
});
