import { CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, engine, type TestApp } from '../../../test/support/test-app.ts';
import { redeemStatement } from './vouchers.service.ts';

// The clerk's redeem on both engines: refused outside the voucher's dates and for another
// merchant's clerk, whatever the code; on PostgreSQL, found by its code even with no statistics.
let t: TestApp;
const DAY = 86_400_000;

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

/** A merchant with one store and a clerk token bound to it. */
async function shopWithClerk(slug: string) {
  const m = await t.merchant(slug);
  const store = (
    await t.call(m.token, 'POST', '/api/v1/stores', {
      name: `${slug} 店`,
      address: '南京西路 1 号',
      city: '上海',
      latitude: 31.23,
      longitude: 121.47,
    })
  ).body.id as string;
  const clerk = (await t.call(m.token, 'POST', '/api/v1/tokens', { name: '店员', role: 'clerk' })).body;
  expect((await t.call(m.token, 'PUT', `/api/v1/clerks/${clerk.id}/store`, { store_id: store })).status).toBe(
    200,
  );
  return { merchantId: m.id, owner: m.token, store, clerk: clerk.token as string };
}

/** Vouchers as a paid deal issues them (rows arranged directly: issuing is tested elsewhere). */
async function vouchers(
  shop: { merchantId: string; store: string },
  from: number,
  dates: Array<{ code: string; validFrom: number; validUntil: number | null }>,
) {
  const now = t.clock.now();
  await t.deps.db
    .insertInto('vouchers')
    .values(
      dates.map((d, i) => ({
        id: `vch_${shop.merchantId}_${from + i}`,
        merchant_id: shop.merchantId,
        code: d.code,
        order_id: `ord_${shop.merchantId}_${from + i}`,
        order_item_id: `oit_${shop.merchantId}_${from + i}`,
        unit: 1,
        product_id: 'prd_deal',
        title: '单人咖啡套餐',
        account_id: 'acc_x',
        openid: `o_${from + i}`,
        price: 1_900,
        store_ids: JSON.stringify([shop.store]),
        valid_from: d.validFrom,
        valid_until: d.validUntil,
        status: 'valid' as const,
        redeemed_at: null,
        redeemed_store_id: null,
        redeemed_by: null,
        created_at: now,
      })),
    )
    .execute();
}

const redeemEvents = async (merchantId: string) =>
  (
    await t.deps.db
      .selectFrom('voucher_events')
      .select('voucher_id')
      .where('merchant_id', '=', merchantId)
      .where('action', '=', 'redeem')
      .execute()
  ).map((e) => e.voucher_id);

describe('redeeming a voucher', () => {
  it('only while it is valid: not before its first day, not after its last', async () => {
    const shop = await shopWithClerk('dates-shop');
    const now = t.clock.now();
    await vouchers(shop, 0, [
      { code: '200000000001', validFrom: now + DAY, validUntil: now + 10 * DAY },
      { code: '200000000002', validFrom: now - 10 * DAY, validUntil: now - 1 },
      { code: '200000000003', validFrom: now - DAY, validUntil: null },
    ]);
    const redeem = (code: string) => t.call(shop.clerk, 'POST', '/api/v1/clerk/redeem', { code });
    const early = await redeem('200000000001');
    expect([early.status, early.body.error.code]).toEqual([409, 'not_yet_valid']);
    const late = await redeem('200000000002');
    expect([late.status, late.body.error.code]).toEqual([409, 'voucher_expired']);
    const open = await redeem('2000 0000 0003');
    expect([open.status, open.body.status]).toEqual([200, 'redeemed']);
    expect(await redeemEvents(shop.merchantId)).toEqual([`vch_${shop.merchantId}_2`]);
    // The clerk page's check says the same before the tap.
    const check = (await t.call(shop.clerk, 'POST', '/api/v1/clerk/check', { code: '200000000001' })).body;
    expect([check.redeemable, check.reason]).toEqual([false, '该券尚未到使用时间']);
  });

  it("only the clerk's own merchant's voucher, even when another merchant has the same code", async () => {
    const a = await shopWithClerk('code-shop-a');
    const b = await shopWithClerk('code-shop-b');
    const now = t.clock.now();
    const dates = { validFrom: now - DAY, validUntil: now + DAY };
    await vouchers(a, 0, [{ code: '300000000001', ...dates }]);
    await vouchers(b, 0, [{ code: '300000000002', ...dates }]);
    // B's clerk scanning A's code finds nothing; A's voucher stays valid.
    const foreign = await t.call(b.clerk, 'POST', '/api/v1/clerk/redeem', { code: '300000000001' });
    expect(foreign.status).toBe(404);
    // A voucher of B with the code of A's: B's clerk redeems B's, A's stays valid.
    await vouchers(b, 1, [{ code: '300000000001', ...dates }]);
    const own = await t.call(b.clerk, 'POST', '/api/v1/clerk/redeem', { code: '300000000001' });
    expect([own.status, own.body.id]).toEqual([200, `vch_${b.merchantId}_1`]);
    const aVoucher = (await t.call(a.owner, 'GET', '/api/v1/vouchers?code=300000000001')).body;
    expect(aVoucher.status).toBe('valid');
    expect(await redeemEvents(a.merchantId)).toEqual([]);
  });
});

describe.skipIf(engine !== 'postgres')('redeeming on PostgreSQL', () => {
  it('finds the voucher by its code even before the table has statistics (no walk over the valid ones)', async () => {
    const shop = await shopWithClerk('plan-shop');
    const now = t.clock.now();
    // Freshly issued vouchers, never analysed: the state right after a big deal sells out.
    for (let start = 0; start < 5_000; start += 1_000)
      await vouchers(
        shop,
        start,
        Array.from({ length: 1_000 }, (_, k) => ({
          code: String(400_000_000_000 + start + k),
          validFrom: now - DAY,
          validUntil: now + DAY,
        })),
      );
    const statement = redeemStatement(
      { now, merchantId: shop.merchantId },
      '400000002500',
      shop.store,
      'token:plan',
    ).compile(t.deps.db);
    const explained = await t.deps.db.executeQuery(
      CompiledQuery.raw(`explain (format json) ${statement.sql}`, [...statement.parameters]),
    );
    const plan = JSON.stringify(explained.rows);
    expect(plan).toContain('vouchers_code');
    expect(plan).not.toContain('vouchers_due');
  });
});
