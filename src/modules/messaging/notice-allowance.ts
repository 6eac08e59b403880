import type { Ctx } from '../../context.ts';
import type { Db } from '../../database.ts';
import { chinaDay } from './china-time.ts';

/** Tries at a conditional reservation before a busy counter is taken for a full allowance. */
const RESERVE_TRIES = 20;

/**
 * Reserves up to `n` of the account's template allowance for today (China calendar, as WeChat
 * counts it); returns how many it got. A conditional update, so two workers never overdraw; one
 * that lost the race to another sender reads the counter again (0 means the allowance is spent,
 * and the batch waits for tomorrow, so a lost race must never look like it).
 */
export async function reserveDaily(
  db: Db,
  ctx: Ctx,
  accountId: string,
  limit: number,
  n: number,
): Promise<number> {
  const day = chinaDay(ctx.deps.clock.now());
  await db
    .insertInto('notice_daily')
    .values({ account_id: accountId, day, merchant_id: ctx.merchantId, used: 0 })
    .onConflict((oc) => oc.columns(['account_id', 'day']).doNothing())
    .execute();
  for (let attempt = 0; attempt < RESERVE_TRIES; attempt++) {
    const row = await db
      .selectFrom('notice_daily')
      .select('used')
      .where('account_id', '=', accountId)
      .where('day', '=', day)
      .executeTakeFirstOrThrow();
    const grant = Math.max(0, Math.min(n, limit - row.used));
    if (grant === 0) return 0;
    const taken = await db
      .updateTable('notice_daily')
      .set((eb) => ({ used: eb('used', '+', grant) }))
      .where('account_id', '=', accountId)
      .where('day', '=', day)
      .where('used', '=', row.used)
      .executeTakeFirst();
    if (Number(taken.numUpdatedRows) === 1) return grant;
  }
  throw new Error('notice allowance busy: too many senders at once');
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
