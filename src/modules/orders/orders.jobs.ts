import type { AppDeps } from '../../deps.ts';
import { PermanentJobError } from '../../platform/jobs/worker.ts';
import { formatFen } from '../../platform/money.ts';
import { WeChatApiError } from '../../wechat/api-client.ts';
import { PayApiError } from '../../wechat/pay/pay-client.ts';
import { apiClientFor } from '../accounts/accounts.service.ts';
import { payClientFor, paymentSettings, refundPayment, syncPayment } from '../payments/payments.service.ts';
import {
  CANCEL_UNPAID_JOB,
  CLOSE_PAYMENT_JOB,
  cancelOrder,
  getOrder,
  ORDER_NOTICE_JOB,
  REFUND_JOB,
  REMIND_UNPAID_JOB,
} from './orders.service.ts';

/** Messages a fan may not receive (unfollowed, outside the window, account lacks the API) are not retried. */
function permanentIfUnreachable(error: unknown): never {
  if (
    error instanceof WeChatApiError &&
    (error.isOutOfWindow || error.isUnsubscribed || error.isUnauthorized)
  ) {
    throw new PermanentJobError(error.message);
  }
  throw error;
}

export function registerOrderJobs(deps: AppDeps): void {
  const orderCtx = (merchantId: string) => ({
    db: deps.db,
    dialect: deps.dialect,
    merchantId,
    now: deps.clock.now(),
    actor: 'system',
  });
  const orderOf = async (job: { merchantId: string | null; payload: Record<string, unknown> }) => {
    if (!job.merchantId) throw new PermanentJobError('job without merchant');
    const order = await getOrder(orderCtx(job.merchantId), String(job.payload.orderId)).catch(() => null);
    if (!order) throw new PermanentJobError(`order ${String(job.payload.orderId)} is gone`);
    return order;
  };
  const accountOf = async (accountId: string) => {
    const account = await deps.db
      .selectFrom('official_accounts')
      .selectAll()
      .where('id', '=', accountId)
      .executeTakeFirst();
    if (!account) throw new PermanentJobError(`account ${accountId} is gone`);
    return account;
  };

  // Ten minutes after an unpaid order: a nudge in chat, with the order's link.
  deps.jobHandlers.set(REMIND_UNPAID_JOB, async (job) => {
    const order = await orderOf(job);
    if (order.status !== 'pending_payment') return;
    // The fan may have paid and the notice be late: ask WeChat Pay first.
    if ((await syncPayment(deps, order.merchant_id, order.id).catch(() => 'ignored')) === 'paid') return;
    const account = await accountOf(order.account_id);
    const link = `${deps.config.publicUrl}/shop/${account.appid}/orders/${order.id}`;
    await apiClientFor(deps, account)
      .sendCustomMessage(order.openid, {
        msgtype: 'text',
        text: {
          content: `您的订单（${order.items[0]?.title ?? ''} 等，${formatFen(order.total)}）还未支付，稍后将自动取消。<a href="${link}">立即支付</a>`,
        },
      })
      .catch(permanentIfUnreachable);
    await deps.db
      .updateTable('orders')
      .set({ reminded_at: deps.clock.now() })
      .where('id', '=', order.id)
      .execute();
  });

  // Then the order is cancelled and its stock released, unless WeChat Pay says it was paid.
  deps.jobHandlers.set(CANCEL_UNPAID_JOB, async (job) => {
    const order = await orderOf(job);
    if (order.status !== 'pending_payment') return;
    const outcome = await syncPayment(deps, order.merchant_id, order.id).catch((error) => {
      if (error instanceof PayApiError && error.code === 'ORDER_NOT_EXIST') return 'ignored';
      if ((error as { code?: string }).code === 'payments_not_configured') return 'ignored';
      throw error;
    });
    if (outcome === 'paid') return;
    await cancelOrder(orderCtx(order.merchant_id), order.id, 'unpaid_timeout');
  });

  deps.jobHandlers.set(CLOSE_PAYMENT_JOB, async (job) => {
    const order = await orderOf(job);
    const payment = await deps.db
      .selectFrom('payments')
      .select(['status'])
      .where('order_id', '=', order.id)
      .executeTakeFirst();
    if (payment?.status !== 'created') return;
    const client = await payClientFor(deps, order.merchant_id);
    try {
      await client.close(order.id);
      await deps.db
        .updateTable('payments')
        .set({ status: 'closed' })
        .where('order_id', '=', order.id)
        .where('status', '=', 'created')
        .execute();
    } catch (error) {
      // Paid at the last moment: the notice (or the query) will refund it.
      if (error instanceof PayApiError && error.code === 'ORDERPAID') {
        await syncPayment(deps, order.merchant_id, order.id);
        return;
      }
      throw error;
    }
  });

  deps.jobHandlers.set(REFUND_JOB, async (job) => {
    const order = await orderOf(job);
    await refundPayment(deps, order.merchant_id, order.id, String(job.payload.reason ?? 'refund'));
  });

  // Template notices on paid and shipped, through the order's service account.
  deps.jobHandlers.set(ORDER_NOTICE_JOB, async (job) => {
    const order = await orderOf(job);
    const account = await accountOf(order.account_id);
    if (account.type !== 'service') return;
    const settings = await paymentSettings(deps, order.merchant_id);
    const event = String(job.payload.event);
    const templateId = event === 'paid' ? settings?.template_paid : settings?.template_shipped;
    if (!templateId) return;
    const title = `${order.items[0]?.title ?? ''}${order.items.length > 1 ? ` 等${order.items.length}件` : ''}`;
    const data =
      event === 'paid'
        ? {
            first: { value: '您的订单已支付成功' },
            keyword1: { value: order.id },
            keyword2: { value: title },
            keyword3: { value: formatFen(order.total) },
            remark: { value: '我们会尽快为您发货。' },
          }
        : {
            first: { value: '您的订单已发货' },
            keyword1: { value: order.id },
            keyword2: { value: order.carrier ?? '' },
            keyword3: { value: order.tracking_no ?? '' },
            remark: { value: '收到后直接回复本公众号说说感受，即可完成评价。' },
          };
    await apiClientFor(deps, account)
      .sendTemplate({
        openid: order.openid,
        templateId,
        url: `${deps.config.publicUrl}/shop/${account.appid}/orders/${order.id}`,
        data,
      })
      .catch(permanentIfUnreachable);
  });
}
