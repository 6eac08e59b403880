import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/test-app.ts';
import { merchantCtx } from '../../context.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { chinaDay } from './china-time.ts';
import { reserveDaily } from './notice-allowance.ts';

let t: TestApp;
let merchantId: string;

beforeAll(async () => {
  t = await createTestApp();
  merchantId = (await t.merchant('notice-allowance')).id;
});
afterAll(() => t.close());

describe("a day's template allowance", () => {
  it('is shared by thirty senders reserving at once: none overdraws, none fails, all of it is used', async () => {
    const ctx = merchantCtx(t.deps, merchantId);
    // Each sender claims in its own transaction and holds it a moment, as a page's claim does.
    const grants = await Promise.all(
      Array.from({ length: 30 }, () =>
        inTransaction(ctx.db, async (trx) => {
          const got = await reserveDaily(trx, ctx, 'acc_allowance', 100, 7);
          await new Promise((r) => setTimeout(r, 5));
          return got;
        }),
      ),
    );
    expect(grants.reduce((a, b) => a + b, 0)).toBe(100);
    expect(grants.filter((g) => g > 0 && g < 7)).toHaveLength(1);
    const row = await t.deps.db
      .selectFrom('notice_daily')
      .select('used')
      .where('account_id', '=', 'acc_allowance')
      .where('day', '=', chinaDay(t.deps.clock.now()))
      .executeTakeFirstOrThrow();
    expect(row.used).toBe(100);
  });
});
