import { merchantCtx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { PermanentJobError } from '../../platform/jobs/worker.ts';
import { getOrder, ORDER_EVENTS } from '../orders/index.ts';
import { releaseCoupon } from './coupons.service.ts';

/**
 * Marketing hears about orders through their events (orders never imports marketing): a
 * cancelled or refunded order gives its coupon back.
 */
export function registerMarketingJobs(deps: AppDeps): void {
  const orderOf = async (merchantId: string, orderId: unknown) => {
    const ctx = merchantCtx(deps, merchantId);
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
}
