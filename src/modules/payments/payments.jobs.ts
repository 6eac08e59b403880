import { type Ctx, merchantCtx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import { PermanentJobError } from '../../platform/jobs/worker.ts';
import { PayApiError } from '../../wechat/pay/pay-client.ts';
import { cancelOrder, getOrder, ORDER_EVENTS, orderPolicy, remindUnpaid } from '../orders/index.ts';
import { closePayment, REFUND_JOB, syncPayment } from './payments.service.ts';
import { CHECK_REFUND_JOB, checkRefund, refundPayment } from './refunds.service.ts';

const REMIND_UNPAID_JOB = 'payments.remind_unpaid';
const CANCEL_UNPAID_JOB = 'payments.cancel_unpaid';

/** What WeChat Pay says of an order; a merchant without WeChat Pay (or an order never prepaid) is simply unpaid. */
async function paidMeanwhile(ctx: Ctx, orderId: string): Promise<boolean> {
  const outcome = await syncPayment(ctx, orderId).catch((error) => {
    if (error instanceof PayApiError && error.code === 'ORDER_NOT_EXIST') return 'ignored';
    if ((error as { code?: string }).code === 'payments_not_configured') return 'ignored';
    throw error;
  });
  return outcome === 'paid';
}

/**
 * Payments watches for the money of every WeChat Pay order: a reminder when it is late, then a
 * cancel, each only after asking WeChat Pay (the notice may be late); closes the payment of a
 * cancelled order; refunds on request or when money came for a cancelled order.
 */
export function registerPaymentJobs(deps: AppDeps): void {
  const jobCtx = (merchantId: string | null) => {
    if (!merchantId) throw new PermanentJobError('job without merchant');
    return merchantCtx(deps, merchantId);
  };
  const orderOf = async (ctx: Ctx, orderId: unknown) => {
    const order = await getOrder(ctx, String(orderId)).catch(() => null);
    if (!order) throw new PermanentJobError(`order ${String(orderId)} is gone`);
    return order;
  };

  deps.events.subscribe(ORDER_EVENTS.placed, 'payments.watch_unpaid', async (event) => {
    const ctx = merchantCtx(deps, event.merchantId);
    const order = await orderOf(ctx, event.payload.orderId);
    if (order.payment_method !== 'wechat' || order.status !== 'pending_payment') return;
    const policy = await orderPolicy(ctx);
    const job = { merchantId: ctx.merchantId, payload: { orderId: order.id }, key: order.id };
    const remindAt = order.created_at + policy.remindAfterMs;
    await enqueueJob(deps.db, { ...job, type: REMIND_UNPAID_JOB, runAt: remindAt }, ctx.now);
    await enqueueJob(
      deps.db,
      { ...job, type: CANCEL_UNPAID_JOB, runAt: remindAt + policy.cancelAfterMs },
      ctx.now,
    );
  });

  deps.jobHandlers.set(REMIND_UNPAID_JOB, async (job) => {
    const ctx = jobCtx(job.merchantId);
    const order = await orderOf(ctx, job.payload.orderId);
    if (order.status !== 'pending_payment') return;
    if (await paidMeanwhile(ctx, order.id).catch(() => false)) return;
    await remindUnpaid(ctx, order.id);
  });

  deps.jobHandlers.set(CANCEL_UNPAID_JOB, async (job) => {
    const ctx = jobCtx(job.merchantId);
    const order = await orderOf(ctx, job.payload.orderId);
    if (order.status !== 'pending_payment') return;
    if (await paidMeanwhile(ctx, order.id)) return;
    await cancelOrder(ctx, order.id, 'unpaid_timeout');
  });

  deps.events.subscribe(ORDER_EVENTS.cancelled, 'payments.close', async (event) => {
    const ctx = merchantCtx(deps, event.merchantId);
    const orderId = String(event.payload.orderId);
    try {
      await closePayment(ctx, orderId);
    } catch (error) {
      // Paid at the last moment: the query marks it paid, and the late payment is refunded.
      if (error instanceof PayApiError && error.code === 'ORDERPAID') {
        await syncPayment(ctx, orderId);
        return;
      }
      throw error;
    }
  });

  deps.events.subscribe(ORDER_EVENTS.refundRequested, 'payments.refund', async (event) => {
    const ctx = merchantCtx(deps, event.merchantId);
    await refundPayment(ctx, String(event.payload.orderId), String(event.payload.reason ?? 'refund'));
  });

  deps.jobHandlers.set(REFUND_JOB, async (job) => {
    const ctx = jobCtx(job.merchantId);
    await refundPayment(ctx, String(job.payload.orderId), String(job.payload.reason ?? 'refund'));
  });

  deps.jobHandlers.set(CHECK_REFUND_JOB, async (job) => {
    await checkRefund(jobCtx(job.merchantId), String(job.payload.refundId));
  });
}
