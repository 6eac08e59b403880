import type { Ctx } from '../../context.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { chinaDay } from './china-time.ts';

/**
 * Reserves up to `n` of the account's template allowance for today (China calendar, as WeChat
 * counts it); returns how many it got. A conditional update, so two workers never overdraw.
 */
export async function reserveDaily(ctx: Ctx, accountId: string, limit: number, n: number): Promise<number> {
  const day = chinaDay(ctx.deps.clock.now());
  return inTransaction(ctx.db, async (trx) => {
    await trx
      .insertInto('notice_daily')
      .values({ account_id: accountId, day, merchant_id: ctx.merchantId, used: 0 })
      .onConflict((oc) => oc.columns(['account_id', 'day']).doNothing())
      .execute();
    const row = await trx
      .selectFrom('notice_daily')
      .select('used')
      .where('account_id', '=', accountId)
      .where('day', '=', day)
      .executeTakeFirstOrThrow();
    const grant = Math.max(0, Math.min(n, limit - row.used));
    if (grant === 0) return 0;
    const taken = await trx
      .updateTable('notice_daily')
      .set((eb) => ({ used: eb('used', '+', grant) }))
      .where('account_id', '=', accountId)
      .where('day', '=', day)
      .where('used', '=', row.used)
      .executeTakeFirst();
    return Number(taken.numUpdatedRows) === 1 ? grant : 0;
  });
}

/**
 * Gives back allowance reserved for notices that never reached WeChat (not called, WeChat busy,
 * or settled as never sent after a crash): WeChat counts the calls it took, so must we.
 */
export async function refundDaily(ctx: Ctx, accountId: string, n: number): Promise<void> {
  if (n <= 0) return;
  await ctx.db
    .updateTable('notice_daily')
    .set((eb) => ({ used: eb('used', '-', n) }))
    .where('account_id', '=', accountId)
    .where('day', '=', chinaDay(ctx.deps.clock.now()))
    .where('used', '>=', n)
    .execute();
}
