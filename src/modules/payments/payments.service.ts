import type { Ctx } from '../../context.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { AppError } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import type { Transaction } from '../../wechat/pay/pay-client.ts';
import { getAccount } from '../accounts/index.ts';
import { buyerOf, getOrder, markPaid } from '../orders/index.ts';
import { applyChargeTransaction } from './charges.service.ts';
import { notifyUrl, payClientFor } from './settings.service.ts';

export const REFUND_JOB = 'payments.refund';

export class NoticeRejected extends Error {}

/** Creates (or reuses) the WeChat Pay prepay for the buyer's unpaid order; returns the pay sheet parameters. */
export async function startPayment(ctx: Ctx, orderId: string) {
  const { openid } = buyerOf(ctx);
  const order = await getOrder({ ...ctx, openid }, orderId);
  if (order.status !== 'pending_payment' || order.payment_method !== 'wechat') {
    throw new AppError(409, 'not_payable', {
      zh: '该订单不需要支付',
      en: 'This order is not awaiting payment',
    });
  }
  const account = await getAccount(ctx, order.account_id);
  const client = await payClientFor(ctx);
  let payment = await ctx.db
    .selectFrom('payments')
    .selectAll()
    .where('out_trade_no', '=', order.id)
    .executeTakeFirst();
  if (!payment) {
    const { prepay_id } = await client.jsapiPrepay({
      appid: account.appid,
      description: `${account.name}-${order.items[0]?.title ?? '订单'}`,
      outTradeNo: order.id,
      notifyUrl: notifyUrl(ctx.deps.config.publicUrl, ctx.merchantId),
      total: order.total,
      openid: order.openid,
    });
    await ctx.db
      .insertInto('payments')
      .values({
        id: newId('pay', ctx.now),
        merchant_id: ctx.merchantId,
        order_id: order.id,
        out_trade_no: order.id,
        appid: account.appid,
        prepay_id,
        amount: order.total,
        status: 'created',
        transaction_id: null,
        paid_at: null,
        created_at: ctx.now,
      })
      .onConflict((oc) => oc.column('out_trade_no').doNothing())
      .execute();
    payment = await ctx.db
      .selectFrom('payments')
      .selectAll()
      .where('out_trade_no', '=', order.id)
      .executeTakeFirstOrThrow();
  }
  return {
    order_id: order.id,
    total: order.total,
    pay_params: client.payParams(payment.appid, payment.prepay_id),
  };
}

/**
 * Applies what WeChat Pay says about a transaction (from a notice or a query): checked against
 * our payment (mchid, appid, amount, order number), then the order is marked paid exactly once.
 * Money that arrives for an order cancelled meanwhile is sent back by a refund job.
 */
export async function applyTransaction(
  ctx: Ctx,
  mchid: string,
  transaction: Transaction,
): Promise<'paid' | 'already' | 'refund' | 'ignored'> {
  return inTransaction(ctx.db, async (trx) => {
    const tx: Ctx = { ...ctx, db: trx, actor: { kind: 'system', name: 'wechat_pay' } };
    const payment = await trx
      .selectFrom('payments')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('out_trade_no', '=', transaction.out_trade_no)
      .executeTakeFirst();
    if (!payment) {
      // Not an order: a charge (stored-value top-up), or nothing of ours.
      const charged = await applyChargeTransaction(tx, mchid, transaction, (why) => new NoticeRejected(why));
      if (charged === 'paid' || charged === 'already' || charged === 'ignored') return charged;
      throw new NoticeRejected(`unknown out_trade_no ${transaction.out_trade_no}`);
    }
    if (transaction.mchid !== mchid) throw new NoticeRejected('mchid mismatch');
    if (transaction.appid !== payment.appid) throw new NoticeRejected('appid mismatch');
    if (transaction.amount?.total !== payment.amount)
      throw new NoticeRejected(`amount ${transaction.amount?.total} ≠ ${payment.amount}`);
    if (transaction.trade_state !== 'SUCCESS') return 'ignored';
    if (!transaction.transaction_id) throw new NoticeRejected('no transaction_id');
    if (payment.status !== 'paid') {
      await trx
        .updateTable('payments')
        .set({ status: 'paid', transaction_id: transaction.transaction_id, paid_at: ctx.now })
        .where('id', '=', payment.id)
        .where('status', '!=', 'paid')
        .execute();
    } else if (payment.transaction_id !== transaction.transaction_id) {
      throw new NoticeRejected('a second transaction for a paid order');
    }
    const outcome = await markPaid(tx, payment.order_id);
    if (outcome === 'refund') {
      await enqueueJob(
        trx,
        {
          type: REFUND_JOB,
          key: `${payment.order_id}:late-payment`,
          merchantId: ctx.merchantId,
          payload: { orderId: payment.order_id, reason: 'late_payment' },
        },
        ctx.now,
      );
    }
    return outcome;
  });
}

/** Asks WeChat Pay about an order (the pay sheet closed before the notice came, or a notice got lost). */
export async function syncPayment(ctx: Ctx, orderId: string) {
  const client = await payClientFor(ctx);
  const transaction = await client.query(orderId);
  return applyTransaction(ctx, client.mchid, transaction);
}

export async function handlePayNotice(
  ctx: Ctx,
  headers: Record<string, string | string[] | undefined>,
  body: string,
) {
  const client = await payClientFor(ctx);
  const notice = client.openNotice<Transaction>(headers, body);
  if (notice.eventType !== 'TRANSACTION.SUCCESS') return 'ignored';
  const outcome = await applyTransaction(ctx, client.mchid, notice.resource);
  if (outcome === 'paid' || outcome === 'refund') ctx.deps.wakeJobs();
  return outcome;
}

/** Closes the WeChat payment of a cancelled order, so the fan can no longer pay it. */
export async function closePayment(ctx: Ctx, orderId: string): Promise<void> {
  const payment = await ctx.db
    .selectFrom('payments')
    .select(['status'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('order_id', '=', orderId)
    .executeTakeFirst();
  if (payment?.status !== 'created') return;
  const client = await payClientFor(ctx);
  await client.close(orderId);
  await ctx.db
    .updateTable('payments')
    .set({ status: 'closed' })
    .where('order_id', '=', orderId)
    .where('status', '=', 'created')
    .execute();
}
