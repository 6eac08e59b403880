import { merchantCtx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { PermanentJobError } from '../../platform/jobs/worker.ts';
import { formatFen } from '../../platform/money.ts';
import { WeChatApiError } from '../../wechat/api-client.ts';
import { apiClientFor, getAccount } from '../accounts/index.ts';
import { getOrder, ORDER_EVENTS, type OrderView, orderPolicy } from '../orders/index.ts';

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

const orderLink = (publicUrl: string, appid: string, orderId: string) =>
  `${publicUrl}/shop/${appid}/orders/${orderId}`;

function noticeData(event: 'paid' | 'shipped', order: OrderView) {
  const title = `${order.items[0]?.title ?? ''}${order.items.length > 1 ? ` 等${order.items.length}件` : ''}`;
  return event === 'paid'
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
}

/**
 * The fan hears about their order in WeChat: template notices when it is paid and shipped
 * (service accounts, with the merchant's template ids), and a nudge in chat when it is unpaid.
 */
export function registerOrderNotices(deps: AppDeps): void {
  const load = async (merchantId: string, orderId: unknown) => {
    const ctx = merchantCtx(deps, merchantId);
    const order = await getOrder(ctx, String(orderId)).catch(() => null);
    if (!order) throw new PermanentJobError(`order ${String(orderId)} is gone`);
    const account = await getAccount(ctx, order.account_id).catch(() => null);
    if (!account) throw new PermanentJobError(`account ${order.account_id} is gone`);
    return { ctx, order, account };
  };

  for (const event of ['paid', 'shipped'] as const) {
    deps.events.subscribe(ORDER_EVENTS[event], 'channel.order_notice', async ({ merchantId, payload }) => {
      const { ctx, order, account } = await load(merchantId, payload.orderId);
      if (account.type !== 'service') return;
      const policy = await orderPolicy(ctx);
      const templateId = event === 'paid' ? policy.templatePaid : policy.templateShipped;
      if (!templateId) return;
      await apiClientFor(deps, account)
        .sendTemplate({
          openid: order.openid,
          templateId,
          url: orderLink(deps.config.publicUrl, account.appid, order.id),
          data: noticeData(event, order),
        })
        .catch(permanentIfUnreachable);
    });
  }

  deps.events.subscribe(
    ORDER_EVENTS.paymentReminder,
    'channel.payment_reminder',
    async ({ merchantId, payload }) => {
      const { order, account } = await load(merchantId, payload.orderId);
      if (order.status !== 'pending_payment') return;
      const link = orderLink(deps.config.publicUrl, account.appid, order.id);
      await apiClientFor(deps, account)
        .sendCustomMessage(order.openid, {
          msgtype: 'text',
          text: {
            content: `您的订单（${order.items[0]?.title ?? ''} 等，${formatFen(order.total)}）还未支付，稍后将自动取消。<a href="${link}">立即支付</a>`,
          },
        })
        .catch(permanentIfUnreachable);
    },
  );
}
