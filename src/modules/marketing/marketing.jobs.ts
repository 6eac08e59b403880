import { type Ctx, merchantCtx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { PermanentJobError } from '../../platform/jobs/worker.ts';
import { WeChatApiError } from '../../wechat/api-client.ts';
import { apiClientFor, getAccount } from '../accounts/index.ts';
import { getStore } from '../catalog/index.ts';
import { getOrder, ORDER_EVENTS } from '../orders/index.ts';
import { registerCouponChannelJobs } from './coupon-channels.jobs.ts';
import { releaseCoupon } from './coupons.service.ts';
import { sendSaleReminders } from './flash-reminder.ts';
import { FLASH_REMINDER_JOB, passPaid, returnUnit } from './flash-sales.service.ts';
import { expireOrderVouchers, voidRefundedVouchers } from './voucher-policy.service.ts';
import { issueVouchers, orderVouchers, VOUCHER_EXPIRY_JOB, VOUCHER_NOTICE_JOB } from './vouchers.service.ts';

/** A fan who unfollowed or is outside the 48-hour window cannot be messaged: no retry. */
function permanentIfUnreachable(error: unknown): never {
  if (
    error instanceof WeChatApiError &&
    (error.isOutOfWindow || error.isUnsubscribed || error.isUnauthorized)
  )
    throw new PermanentJobError(error.message);
  throw error;
}

const spaced = (code: string) => code.replace(/(\d{4})(?=\d)/g, '$1 ');

/**
 * Marketing hears about orders through their events (orders never imports marketing): a paid
 * deal issues vouchers (messaging tells the fan), a cancelled or refunded order gives its
 * coupon back, a refunded order voids its vouchers, an expiring voucher follows its deal's policy.
 */
export function registerMarketingJobs(deps: AppDeps): void {
  const ctxOf = (merchantId: string | null): Ctx => {
    if (!merchantId) throw new PermanentJobError('job without merchant');
    return merchantCtx(deps, merchantId);
  };
  registerCouponChannelJobs(deps, ctxOf);
  const orderOf = async (merchantId: string, orderId: unknown) => {
    const ctx = ctxOf(merchantId);
    const order = await getOrder(ctx, String(orderId)).catch(() => null);
    if (!order) throw new PermanentJobError(`order ${String(orderId)} is gone`);
    return { ctx, order };
  };

  for (const name of [ORDER_EVENTS.cancelled, ORDER_EVENTS.refunded]) {
    deps.events.subscribe(name, 'marketing.release_coupon', async (event) => {
      const { ctx, order } = await orderOf(event.merchantId, event.payload.orderId);
      if (order.discount > 0) await releaseCoupon(ctx, order.id, order.total);
    });
  }

  deps.events.subscribe(ORDER_EVENTS.paid, 'marketing.issue_vouchers', async (event) => {
    const { ctx, order } = await orderOf(event.merchantId, event.payload.orderId);
    if (await issueVouchers(ctx, order.id)) deps.wakeJobs();
  });

  // A pickup order's code goes to the fan in chat too, so the counter needs no page open.
  deps.events.subscribe(ORDER_EVENTS.paid, 'marketing.pickup_notice', async (event) => {
    const { ctx, order } = await orderOf(event.merchantId, event.payload.orderId);
    if (!order.pickup_code || !order.pickup_store_id) return;
    const [store, account] = await Promise.all([
      getStore(ctx, order.pickup_store_id).catch(() => null),
      getAccount(ctx, order.account_id).catch(() => null),
    ]);
    if (!account) throw new PermanentJobError(`account ${order.account_id} is gone`);
    const link = `${deps.config.publicUrl}/shop/${account.appid}/orders/${order.id}`;
    await apiClientFor(deps, account)
      .sendCustomMessage(order.openid, {
        msgtype: 'text',
        text: {
          content: `订单已支付，请到「${store?.name ?? '门店'}」${store?.address ? `（${store.address}）` : ''}出示提货码提货：\n${spaced(order.pickup_code)}\n<a href="${link}">查看提货二维码</a>`,
        },
      })
      .catch(permanentIfUnreachable);
  });

  deps.events.subscribe(ORDER_EVENTS.cancelled, 'marketing.return_flash_unit', async (event) => {
    await returnUnit(ctxOf(event.merchantId), String(event.payload.orderId));
  });

  deps.events.subscribe(ORDER_EVENTS.paid, 'marketing.flash_paid', async (event) => {
    await passPaid(ctxOf(event.merchantId), String(event.payload.orderId));
  });

  deps.jobHandlers.set(FLASH_REMINDER_JOB, async (job) => {
    await sendSaleReminders(
      deps,
      ctxOf(job.merchantId),
      String(job.payload.saleId),
      String(job.payload.after ?? ''),
    );
  });

  deps.events.subscribe(ORDER_EVENTS.refunded, 'marketing.void_vouchers', async (event) => {
    await voidRefundedVouchers(ctxOf(event.merchantId), String(event.payload.orderId));
  });

  // Notices queued before messaging took them over (issued vouchers now publish an event).
  deps.jobHandlers.set(VOUCHER_NOTICE_JOB, async (job) => {
    const ctx = ctxOf(job.merchantId);
    const order = await getOrder(ctx, String(job.payload.orderId));
    const vouchers = await orderVouchers(ctx, order.id);
    if (vouchers.length === 0) return;
    const account = await getAccount(ctx, order.account_id).catch(() => null);
    if (!account) throw new PermanentJobError(`account ${order.account_id} is gone`);
    const link = `${deps.config.publicUrl}/shop/${account.appid}/orders/${order.id}`;
    const lines = vouchers.map((v) => `${v.title}：${spaced(v.code)}`).join('\n');
    await apiClientFor(deps, account)
      .sendCustomMessage(order.openid, {
        msgtype: 'text',
        text: {
          content: `您的团购券已到账，到店出示券码即可使用：\n${lines}\n<a href="${link}">查看二维码</a>`,
        },
      })
      .catch(permanentIfUnreachable);
  });

  deps.jobHandlers.set(VOUCHER_EXPIRY_JOB, async (job) => {
    const ctx = ctxOf(job.merchantId);
    if ((await expireOrderVouchers(ctx, String(job.payload.orderId))) === 'refunding') deps.wakeJobs();
  });
}
