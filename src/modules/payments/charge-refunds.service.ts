import type { Ctx } from '../../context.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { badRequest } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { CHARGE_EVENTS, getCharge } from './charges.service.ts';
import { refundNotifyUrl } from './refund-url.ts';
import { payClientFor } from './settings.service.ts';

/**
 * Sends `amount` of a paid charge back through WeChat Pay, once per (charge, ref): a retried call
 * reuses the row, so WeChat sees one out_refund_no. Never more than was paid, all refunds counted.
 * When WeChat says it succeeded (now or by notice), CHARGE_EVENTS.refunded tells the caller.
 */
export async function refundCharge(ctx: Ctx, chargeId: string, ref: string, amount: number): Promise<void> {
  const charge = await getCharge(ctx, chargeId);
  if (charge.status !== 'paid') throw badRequest('not_paid', '该笔支付未完成', 'This charge was not paid');
  let refund = await ctx.db
    .selectFrom('charge_refunds')
    .selectAll()
    .where('charge_id', '=', chargeId)
    .where('ref', '=', ref)
    .executeTakeFirst();
  if (!refund) {
    const before = await ctx.db
      .selectFrom('charge_refunds')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('amount'), eb.lit(0)).as('s'))
      .where('charge_id', '=', chargeId)
      .executeTakeFirstOrThrow();
    if (!Number.isSafeInteger(amount) || amount < 1 || Number(before.s) + amount > charge.amount)
      throw badRequest('invalid_amount', '退款金额超过实付金额', 'The refund exceeds what was paid');
    refund = {
      id: newId('crf', ctx.now),
      merchant_id: ctx.merchantId,
      charge_id: chargeId,
      ref,
      amount,
      status: 'processing',
      refund_id: null,
      created_at: ctx.now,
      succeeded_at: null,
    };
    await ctx.db.insertInto('charge_refunds').values(refund).execute();
  }
  if (refund.status === 'succeeded') return;
  const result = await (await payClientFor(ctx)).refund({
    outTradeNo: charge.id,
    outRefundNo: refund.id,
    refund: Number(refund.amount),
    total: charge.amount,
    reason: '储值退款',
    notifyUrl: refundNotifyUrl(ctx.deps.config.publicUrl, ctx.merchantId),
  });
  await ctx.db
    .updateTable('charge_refunds')
    .set({ refund_id: result.refund_id })
    .where('id', '=', refund.id)
    .execute();
  if (result.status === 'SUCCESS') await chargeRefundSucceeded(ctx, refund.id);
}

/** A charge refund is done (WeChat's answer or notice): recorded once, the caller told. Null if unknown. */
export async function chargeRefundSucceeded(
  ctx: Ctx,
  refundId: string,
): Promise<'refunded' | 'already' | null> {
  return inTransaction(ctx.db, async (trx) => {
    const refund = await trx
      .selectFrom('charge_refunds')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('id', '=', refundId)
      .executeTakeFirst();
    if (!refund) return null;
    const moved = await trx
      .updateTable('charge_refunds')
      .set({ status: 'succeeded', succeeded_at: ctx.now })
      .where('id', '=', refund.id)
      .where('status', '!=', 'succeeded')
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) === 0) return 'already';
    await ctx.deps.events.publish(
      trx,
      {
        name: CHARGE_EVENTS.refunded,
        merchantId: ctx.merchantId,
        key: refund.id,
        payload: { chargeId: refund.charge_id, ref: refund.ref, amount: Number(refund.amount) },
      },
      ctx.now,
    );
    return 'refunded';
  });
}

/** Refunded money per purpose, for a caller reconciling its ledger against payments. */
export async function refundedCharges(ctx: Pick<Ctx, 'db' | 'merchantId'>, purpose: string) {
  const row = await ctx.db
    .selectFrom('charge_refunds')
    .innerJoin('charges', 'charges.id', 'charge_refunds.charge_id')
    .select((eb) => eb.fn.sum<number>('charge_refunds.amount').as('amount'))
    .where('charge_refunds.merchant_id', '=', ctx.merchantId)
    .where('charges.purpose', '=', purpose)
    .where('charge_refunds.status', '=', 'succeeded')
    .executeTakeFirstOrThrow();
  return Number(row.amount ?? 0);
}
