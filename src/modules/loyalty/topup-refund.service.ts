import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { found } from '../../platform/db/paging.ts';
import { conflict } from '../../platform/http/errors.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import { getCharge, refundCharge } from '../payments/index.ts';
import { moveValue } from './ledger.service.ts';
import type { LoyaltyTopupsTable } from './loyalty.schema.ts';
import { TOPUP_PURPOSE } from './topup.service.ts';

export const TOPUP_REFUND_JOB = 'loyalty.topup_refund';
const TOPUP = { zh: '充值记录', en: 'Top-up' };

const topupView = (r: LoyaltyTopupsTable) => ({
  ...r,
  amount: Number(r.amount),
  bonus: Number(r.bonus),
  created_at: Number(r.created_at),
  credited_at: r.credited_at === null ? null : Number(r.credited_at),
  refund_amount: r.refund_amount === null ? null : Number(r.refund_amount),
  bonus_back: r.bonus_back === null ? null : Number(r.bonus_back),
  refunded_at: r.refunded_at === null ? null : Number(r.refunded_at),
});

/**
 * What refunding a top-up takes from a card holding `balance`: the bonus goes back first (it was
 * given for the top-up), then what is left of the paid amount is refunded. What was spent is not.
 */
export function refundSplit(balance: number, amount: number, bonus: number) {
  const take = Math.min(balance, amount + bonus);
  const bonusBack = Math.min(bonus, take);
  return { refund: Math.min(amount, take - bonusBack), bonusBack };
}

/**
 * An operator refunds the unspent part of a top-up: the card is debited (refund and bonus) in one
 * transaction with the job that sends the money back through WeChat Pay, so the balance can never
 * be spent twice and a crash loses no refund. Done when payments says the money went back.
 */
export async function refundTopUp(ctx: Ctx, topupId: string) {
  requireRole(ctx, 'operator');
  return inTransaction(ctx.db, async (trx) => {
    const tx = { ...ctx, db: trx };
    const topup = found(
      await trx
        .selectFrom('loyalty_topups')
        .selectAll()
        .where('merchant_id', '=', ctx.merchantId)
        .where('id', '=', topupId)
        .executeTakeFirst(),
      TOPUP,
    );
    if (topup.status !== 'credited')
      throw conflict(
        'not_refundable',
        '该充值未到账或已退款',
        'This top-up is not credited or already refunded',
      );
    let lock = trx.selectFrom('loyalty_cards').select('balance').where('id', '=', topup.card_id);
    if (ctx.dialect === 'postgres') lock = lock.forUpdate();
    const { balance } = await lock.executeTakeFirstOrThrow();
    const { refund, bonusBack } = refundSplit(Number(balance), Number(topup.amount), Number(topup.bonus));
    if (refund <= 0)
      throw conflict(
        'nothing_to_refund',
        '储值已用完，没有可退的金额',
        'The stored value is spent: nothing to refund',
      );
    await moveValue(tx, { cardId: topup.card_id, delta: -refund, reason: 'topup_refund', ref: topup.id });
    if (bonusBack > 0)
      await moveValue(tx, {
        cardId: topup.card_id,
        delta: -bonusBack,
        reason: 'topup_refund',
        ref: `${topup.id}:bonus`,
        note: '退款收回赠送金额',
      });
    const changed = await trx
      .updateTable('loyalty_topups')
      .set({ status: 'refunding', refund_amount: refund, bonus_back: bonusBack })
      .where('id', '=', topup.id)
      .where('status', '=', 'credited')
      .executeTakeFirst();
    if (Number(changed.numUpdatedRows) === 0)
      throw conflict('not_refundable', '该充值已在退款中', 'This top-up is already being refunded');
    await enqueueJob(
      trx,
      { type: TOPUP_REFUND_JOB, merchantId: ctx.merchantId, key: topup.id, payload: { topupId: topup.id } },
      ctx.now,
    );
    return topupView({ ...topup, status: 'refunding', refund_amount: refund, bonus_back: bonusBack });
  });
}

/** The job: asks payments to send the refund back (idempotent per top-up). */
export async function sendTopUpRefund(ctx: Ctx, topupId: string): Promise<void> {
  const topup = await ctx.db
    .selectFrom('loyalty_topups')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', topupId)
    .executeTakeFirst();
  if (topup?.status !== 'refunding' || !topup.charge_id) return;
  await refundCharge(ctx, topup.charge_id, topup.id, Number(topup.refund_amount));
}

/** Payments says a charge's refund went back: a top-up's is marked refunded. */
export async function topUpRefunded(ctx: Ctx, chargeId: string, ref: string): Promise<void> {
  const charge = await getCharge(ctx, chargeId);
  if (charge.purpose !== TOPUP_PURPOSE) return;
  await ctx.db
    .updateTable('loyalty_topups')
    .set({ status: 'refunded', refunded_at: ctx.now })
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', ref)
    .where('status', '=', 'refunding')
    .execute();
}

/** Top-ups, newest first, for the console (per card or all). */
export async function listTopUps(ctx: Ctx, filter: { card_id?: string }) {
  requireRole(ctx, 'operator');
  let q = ctx.db.selectFrom('loyalty_topups').selectAll().where('merchant_id', '=', ctx.merchantId);
  if (filter.card_id) q = q.where('card_id', '=', filter.card_id);
  return (await q.orderBy('id', 'desc').limit(200).execute()).map(topupView);
}
