import type { Ctx } from '../../context.ts';
import { type OrderView, type PlaceOrderInput, placeOrder } from '../orders/index.ts';
import { couponAdjustment, spendCoupon } from './coupons.service.ts';

/**
 * Checkout with a coupon: orders prices the items, marketing recomputes the discount from those
 * very prices and claims the coupon, all in the order's transaction. The HTTP body names a coupon,
 * never an amount, so a fan cannot make up a discount; a coupon used twice at once fails one order.
 */
export async function checkoutWithCoupon(
  ctx: Ctx,
  input: PlaceOrderInput,
  couponId: string | undefined,
): Promise<OrderView> {
  if (!couponId) return placeOrder(ctx, input);
  let granted: { off: number; label: string; campaignId: string } | null = null;
  return placeOrder(ctx, input, {
    async adjust(tx, priced) {
      granted = await couponAdjustment(tx, couponId, priced.lines, priced.shipping_fee);
      return [{ kind: 'coupon', label: granted.label, amount: granted.off, ref: couponId }];
    },
    async withinTransaction(tx, order) {
      if (!granted) throw new Error('coupon adjustment missing');
      await spendCoupon(tx, couponId, granted.campaignId, order, granted.off);
    },
  });
}
