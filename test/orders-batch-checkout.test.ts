import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { merchantCtx } from '../src/context.ts';
import { fanCtx, getOrder, placeOrder, placeOrdersTogether } from '../src/modules/orders/index.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { connectAccount } from './support/wechat-fan.ts';

// The spike path writes many one-line orders with one statement per table: each order must come
// out as placeOrder would have made it, and a refused batch must leave nothing behind.
let t: TestApp;
let merchantId: string;
let accountId: string;
let sku: string;
const address = { name: '王五', phone: '137 0013 7000', region: '北京市海淀区', detail: '清河中街 68 号' };
const saleAdjustment = (itemsTotal: number) => [
  { kind: 'flash_sale', label: '限量首发', amount: itemsTotal - 99_900, ref: 'fls_test' },
];

beforeAll(async () => {
  t = await createTestApp();
  const m = await t.merchant('batch-shop');
  merchantId = m.id;
  accountId = (await connectAccount(t, m.token)).id;
  const product = (
    await t.call(m.token, 'POST', '/api/v1/products', {
      title: '旗舰手机',
      status: 'on_sale',
      skus: [{ spec: {}, price: 199_900, stock: 5 }],
    })
  ).body;
  sku = product.skus[0].id;
});
afterAll(() => t.close());

const fan = (openid: string) => fanCtx(t.deps, { merchantId, accountId, openid });
const stock = async () =>
  (await t.deps.db.selectFrom('skus').select('stock').where('id', '=', sku).executeTakeFirstOrThrow()).stock;

describe('orders placed together', () => {
  it('come out as placeOrder makes them: price, discount, address remembered, event and outbox', async () => {
    // One order the ordinary way, to compare with.
    const single = await placeOrder(
      fan('o_single'),
      { items: [{ sku_id: sku, quantity: 1 }], payment_method: 'wechat', source: 'flash_sale', address },
      { adjust: async (_tx, priced) => saleAdjustment(priced.items_total) },
    );
    const ctx = fan('o_batch_0');
    const placed = await placeOrdersTogether(
      ctx,
      ['o_batch_0', 'o_batch_1'].map((openid) => ({
        buyer: { accountId, openid },
        sku_id: sku,
        quantity: 1,
        address,
      })),
      { source: 'flash_sale', adjust: (priced) => saleAdjustment(priced.items_total) },
    );
    expect(placed).toHaveLength(2);
    expect(placed.map((p) => p.total)).toEqual([99_900, 99_900]);
    const reader = merchantCtx(t.deps, merchantId);
    for (const [i, p] of placed.entries()) {
      const order = await getOrder(reader, p.id);
      const strip = ({ id: _id, order_id: _o, ...rest }: Record<string, unknown>) => rest;
      expect(order).toMatchObject({
        openid: `o_batch_${i}`,
        status: 'pending_payment',
        source: 'flash_sale',
        total: single.total,
        discount: single.discount,
        items_total: single.items_total,
        address: single.address,
        adjustments: single.adjustments,
      });
      expect(order.items.map(strip)).toEqual(single.items.map(strip));
      const events = await t.deps.db
        .selectFrom('order_events')
        .select(['to_status', 'actor'])
        .where('order_id', '=', p.id)
        .execute();
      expect(events).toEqual([{ to_status: 'pending_payment', actor: `fan:o_batch_${i}` }]);
      const jobs = await t.deps.db
        .selectFrom('jobs')
        .select('type')
        .where('idempotency_key', 'like', `event:order.placed:%:${p.id}`)
        .execute();
      const singleJobs = await t.deps.db
        .selectFrom('jobs')
        .select('type')
        .where('idempotency_key', 'like', `event:order.placed:%:${single.id}`)
        .execute();
      expect(jobs.map((j) => j.type).sort()).toEqual(singleJobs.map((j) => j.type).sort());
      expect(jobs.length).toBeGreaterThan(0);
    }
    const book = await t.deps.db
      .selectFrom('addresses')
      .select(['openid', 'phone'])
      .where('merchant_id', '=', merchantId)
      .where('openid', 'in', ['o_batch_0', 'o_batch_1'])
      .execute();
    expect(book).toHaveLength(2);
    expect(book.every((a) => a.phone === '13700137000')).toBe(true);
    expect(await stock()).toBe(2);

    // The same buyer again with the same address: the book is touched, not grown.
    await placeOrdersTogether(
      ctx,
      [{ buyer: { accountId, openid: 'o_batch_0' }, sku_id: sku, quantity: 1, address }],
      { source: 'flash_sale', adjust: (priced) => saleAdjustment(priced.items_total) },
    );
    const again = await t.deps.db
      .selectFrom('addresses')
      .select('id')
      .where('merchant_id', '=', merchantId)
      .where('openid', '=', 'o_batch_0')
      .execute();
    expect(again).toHaveLength(1);
  });

  it('is all or nothing: a batch the stock cannot cover writes no order and takes no stock', async () => {
    const left = await stock();
    const before = await t.deps.db
      .selectFrom('orders')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('merchant_id', '=', merchantId)
      .executeTakeFirstOrThrow();
    await expect(
      placeOrdersTogether(
        fan('o_many_0'),
        Array.from({ length: left + 1 }, (_, i) => ({
          buyer: { accountId, openid: `o_many_${i}` },
          sku_id: sku,
          quantity: 1,
          address,
        })),
        { source: 'flash_sale', adjust: () => [] },
      ),
    ).rejects.toMatchObject({ code: 'out_of_stock' });
    const after = await t.deps.db
      .selectFrom('orders')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('merchant_id', '=', merchantId)
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
    expect(await stock()).toBe(left);
  });

  it('refuses a saved address that is not the buyer’s own', async () => {
    const someoneElses = await t.deps.db
      .selectFrom('addresses')
      .select('id')
      .where('merchant_id', '=', merchantId)
      .where('openid', '=', 'o_batch_1')
      .executeTakeFirstOrThrow();
    await expect(
      placeOrdersTogether(
        fan('o_thief'),
        [{ buyer: { accountId, openid: 'o_thief' }, sku_id: sku, quantity: 1, address_id: someoneElses.id }],
        { source: 'flash_sale', adjust: () => [] },
      ),
    ).rejects.toMatchObject({ status: 404 });
  });
});
