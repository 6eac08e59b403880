import type { Ctx } from '../../context.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { newId } from '../../platform/ids.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import type { RefundResult } from '../../wechat/pay/pay-client.ts';
import { getOrder, markRefunded } from '../orders/index.ts';
import { chargeRefundSucceeded } from './charge-refunds.service.ts';
import { NoticeRejected } from './payments.service.ts';
import { refundNotifyUrl } from './refund-url.ts';
import { payClientFor } from './settings.service.ts';

export const CHECK_REFUND_JOB = 'payments.check_refund';
/** WeChat Pay usually settles a refund within minutes; past this its notice is overdue and we ask. */
const REFUND_NOTICE_GRACE_MS = 5 * 60_000;

export { refundNotifyUrl };

export async function handleRefundNotice(
  ctx: Ctx,
  headers: Record<string, string | string[] | undefined>,
  body: string,
) {
  const client = await payClientFor(ctx);
  const notice = client.openNotice<{
    out_trade_no: string;
    out_refund_no: string;
    refund_status: string;
    mchid: string;
  }>(headers, body);
  if (notice.resource.mchid !== client.mchid) throw new NoticeRejected('mchid mismatch');
  if (notice.resource.refund_status !== 'SUCCESS') return 'ignored';
  // A refund of a charge (a stored-value top-up) is no order's: its own table answers for it.
  const charge = await chargeRefundSucceeded(ctx, notice.resource.out_refund_no);
  if (charge) return charge;
  return refundSucceeded(ctx, notice.resource.out_refund_no);
}

async function refundSucceeded(ctx: Ctx, refundId: string) {
  return inTransaction(ctx.db, async (trx) => {
    const refund = await trx
      .selectFrom('refunds')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('id', '=', refundId)
      .executeTakeFirst();
    if (!refund) throw new NoticeRejected(`unknown refund ${refundId}`);
    await trx
      .updateTable('refunds')
      .set({ status: 'succeeded', succeeded_at: ctx.now })
      .where('id', '=', refund.id)
      .where('status', '!=', 'succeeded')
      .execute();
    const moved = await markRefunded(
      { ...ctx, db: trx, actor: { kind: 'system', name: 'wechat_pay' } },
      refund.order_id,
    );
    return moved ? 'refunded' : 'already';
  });
}

/** Sends the whole order amount back through WeChat Pay (run by a job: a refund request or a late payment). */
export async function refundPayment(ctx: Ctx, orderId: string, reason: string): Promise<void> {
  const payment = await ctx.db
    .selectFrom('payments')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('order_id', '=', orderId)
    .executeTakeFirst();
  if (!payment?.transaction_id) throw new Error(`order ${orderId} has no WeChat payment to refund`);
  // One refund row per order and reason: a retried job reuses it, so WeChat sees one out_refund_no.
  let refund = await ctx.db
    .selectFrom('refunds')
    .selectAll()
    .where('order_id', '=', orderId)
    .where('reason', '=', reason)
    .executeTakeFirst();
  if (!refund) {
    refund = {
      id: newId('rfd', ctx.now),
      merchant_id: ctx.merchantId,
      order_id: orderId,
      amount: payment.amount,
      reason,
      status: 'processing',
      refund_id: null,
      created_at: ctx.now,
      succeeded_at: null,
    };
    await ctx.db.insertInto('refunds').values(refund).execute();
  }
  if (refund.status === 'succeeded') return;
  const client = await payClientFor(ctx);
  const result = await client.refund({
    outTradeNo: payment.out_trade_no,
    outRefundNo: refund.id,
    refund: refund.amount,
    total: payment.amount,
    reason: reason === 'late_payment' ? '订单已取消，自动退款' : reason,
    notifyUrl: refundNotifyUrl(ctx.deps.config.publicUrl, ctx.merchantId),
  });
  await ctx.db
    .updateTable('refunds')
    .set({ refund_id: result.refund_id })
    .where('id', '=', refund.id)
    .execute();
  if (result.status === 'SUCCESS') return void (await settleRefund(ctx, refund, result));
  // The notice may never come (lost, or our endpoint was down through WeChat's retries): ask later.
  await enqueueJob(
    ctx.db,
    {
      type: CHECK_REFUND_JOB,
      merchantId: ctx.merchantId,
      key: refund.id,
      payload: { refundId: refund.id },
      runAt: ctx.now + REFUND_NOTICE_GRACE_MS,
      maxAttempts: 16,
    },
    ctx.now,
  );
}

/** Thrown while WeChat Pay still says PROCESSING, so the job asks again later (with backoff). */
export class RefundStillProcessing extends Error {}

/**
 * Asks WeChat Pay for a refund whose notice has not come: SUCCESS settles it as the notice would
 * have, CLOSED/ABNORMAL marks it failed for an operator to act on.
 */
export async function checkRefund(ctx: Ctx, refundId: string): Promise<'refunded' | 'already' | 'failed'> {
  const refund = await ctx.db
    .selectFrom('refunds')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', refundId)
    .executeTakeFirst();
  if (refund?.status !== 'processing') return 'already';
  const client = await payClientFor(ctx);
  const result = await client.queryRefund(refund.id);
  if (result.status === 'PROCESSING') throw new RefundStillProcessing(`refund ${refund.id} is processing`);
  if (result.status !== 'SUCCESS') {
    await ctx.db
      .updateTable('refunds')
      .set({ status: 'failed' })
      .where('id', '=', refund.id)
      .where('status', '=', 'processing')
      .execute();
    return 'failed';
  }
  return settleRefund(ctx, refund, result);
}

async function settleRefund(
  ctx: Ctx,
  refund: { id: string; order_id: string; reason: string },
  result: RefundResult,
): Promise<'refunded' | 'already'> {
  // A late payment on a cancelled order never went to "refunding": only the money moves back.
  const order = await getOrder(ctx, refund.order_id);
  if (order.status === 'refunding' || refund.reason === 'late_payment') {
    if (result.out_refund_no !== refund.id)
      throw new Error(`refund ${refund.id} answered as ${result.out_refund_no}`);
    return refundSucceeded(ctx, refund.id);
  }
  return 'already';
}
