import type { Ctx } from '../../context.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import { movePoints } from './ledger.service.ts';

export const EXPIRY_JOB = 'loyalty.expire_points';

/** Queues the card's expiry check for when these points expire (one job per card and instant). */
export async function scheduleExpiry(tx: Ctx, cardId: string, expiresAt: number | null): Promise<void> {
  if (expiresAt === null) return;
  await enqueueJob(
    tx.db,
    {
      type: EXPIRY_JOB,
      merchantId: tx.merchantId,
      key: `${cardId}:${expiresAt}`,
      payload: { cardId },
      runAt: expiresAt,
    },
    tx.now,
  );
}

/**
 * Expires what is left of the card's points whose time has come. Spending is counted against the
 * oldest (soonest-expiring) points first, in the fan's favour: due = points earned that have
 * expired − points used since, less what earlier runs already expired. Recomputed from the ledger
 * each time, so a repeated run expires nothing more.
 */
export async function expirePoints(ctx: Ctx, cardId: string): Promise<number> {
  return inTransaction(ctx.db, async (trx) => {
    const tx = { ...ctx, db: trx };
    const rows = await trx
      .selectFrom('loyalty_points_ledger')
      .select(['delta', 'reason', 'expires_at'])
      .where('merchant_id', '=', ctx.merchantId)
      .where('card_id', '=', cardId)
      .execute();
    let earnedExpired = 0;
    let used = 0;
    let alreadyExpired = 0;
    for (const r of rows) {
      const delta = Number(r.delta);
      if (r.reason === 'expiry') alreadyExpired -= delta;
      else if (delta > 0 && r.expires_at !== null && Number(r.expires_at) <= ctx.now) earnedExpired += delta;
      else if (delta < 0) used -= delta;
      else if (r.reason === 'checkout_return') used -= delta;
    }
    const due = Math.max(0, earnedExpired - Math.max(0, used)) - alreadyExpired;
    if (due <= 0) return 0;
    const applied = await movePoints(tx, {
      cardId,
      delta: -due,
      reason: 'expiry',
      ref: `expire:${ctx.now}`,
      clamp: true,
      note: `${due} 积分到期`,
    });
    return -(applied ?? 0);
  });
}
