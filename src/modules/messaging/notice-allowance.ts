import type { Ctx } from '../../context.ts';
import type { Db } from '../../database.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { chinaDay } from './china-time.ts';

/**
 * Reserves up to `n` of the account's template allowance for today (China calendar, as WeChat
 * counts it); returns how many it got (0: spent, the batch waits for tomorrow). Runs inside the
 * claim's transaction, which holds the counter's row until it commits: PostgreSQL locks it (FOR
 * UPDATE), SQLite's one writer holds the database from the insert on. So two senders never
 * overdraw and never fail each other: the conditional-update retry this replaced could give up
 * as "busy" with many senders at once, and failed their whole claim. Called outside a
 * transaction, it opens its own (the lock must outlive the read).
 */
export async function reserveDaily(
  db: Db,
  ctx: Ctx,
  accountId: string,
  limit: number,
  n: number,
): Promise<number> {
  return inTransaction(db, (trx) => reserveIn(trx, ctx, accountId, limit, n));
}

async function reserveIn(trx: Db, ctx: Ctx, accountId: string, limit: number, n: number): Promise<number> {
  const day = chinaDay(ctx.deps.clock.now());
  await trx
    .insertInto('notice_daily')
    .values({ account_id: accountId, day, merchant_id: ctx.merchantId, used: 0 })
    .onConflict((oc) => oc.columns(['account_id', 'day']).doNothing())
    .execute();
  let counter = trx
    .selectFrom('notice_daily')
    .select('used')
    .where('account_id', '=', accountId)
    .where('day', '=', day);
  if (ctx.deps.dialect === 'postgres') counter = counter.forUpdate();
  const { used } = await counter.executeTakeFirstOrThrow();
  const grant = Math.max(0, Math.min(n, limit - used));
  if (grant > 0)
    await trx
      .updateTable('notice_daily')
      .set((eb) => ({ used: eb('used', '+', grant) }))
      .where('account_id', '=', accountId)
      .where('day', '=', day)
      .execute();
  return grant;
}

/**
 * Gives back allowance reserved for notices that never reached WeChat (not called, WeChat busy,
 * or settled as never sent after a crash): WeChat counts the calls it took, so must we. Called
 * in the transaction that moves those notices out of 'sending', so that `used` is always the
 * calls taken plus the template notices in flight, whenever a sender dies.
 */
export async function refundDaily(db: Db, accountId: string, n: number, reservedAt: number): Promise<void> {
  if (n <= 0) return;
  // To the day it was reserved from: a page claimed at 23:59 and settled after midnight must not
  // lower the next day's counter.
  await db
    .updateTable('notice_daily')
    .set((eb) => ({ used: eb('used', '-', n) }))
    .where('account_id', '=', accountId)
    .where('day', '=', chinaDay(reservedAt))
    .where('used', '>=', n)
    .execute();
}
