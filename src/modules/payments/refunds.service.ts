import type { Ctx } from '../../context.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { newId } from '../../platform/ids.ts';
import { getOrder, markRefunded } from '../orders/index.ts';
import { chargeRefundSucceeded } from './charge-refunds.service.ts';
import { NoticeRejected } from './payments.service.ts';
import { refundNotifyUrl } from './refund-url.ts';
import { payClientFor } from './settings.service.ts';

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
  if (result.status === 'SUCCESS') {
    // A late payment on a cancelled order never went to "refunding": only the money moves back.
    const order = await getOrder(ctx, orderId);
    if (order.status === 'refunding' || reason === 'late_payment') await refundSucceeded(ctx, refund.id);
  }
}
