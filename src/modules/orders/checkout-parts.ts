import type { Ctx } from '../../context.ts';
import type { OrderAdjustment, PlaceOrderOptions, PricedOrder } from './checkout.service.ts';

/**
 * One contribution to a checkout from a module above orders (a coupon, the member card). Parts run
 * in the order given: each sees what the parts before it already took off, so a later one (points,
 * stored value) never takes more than is left. Orders knows no part by name: the shop composes.
 */
export interface CheckoutPart {
  adjust?(tx: Ctx, priced: PricedOrder, offSoFar: number): Promise<OrderAdjustment[]>;
  withinTransaction?(tx: Ctx, order: { id: string; total: number; discount: number }): Promise<void>;
}

/** Runs the parts' adjustments in turn, then their in-transaction steps, as one placeOrder option. */
export function composeCheckout(parts: readonly CheckoutPart[]): PlaceOrderOptions {
  return {
    async adjust(tx, priced) {
      const all: OrderAdjustment[] = [];
      for (const part of parts) {
        const off = all.reduce((s, a) => s + a.amount, 0);
        if (part.adjust) all.push(...(await part.adjust(tx, priced, off)));
      }
      return all;
    },
    async withinTransaction(tx, order) {
      for (const part of parts) await part.withinTransaction?.(tx, order);
    },
  };
}

/** What the parts would take off these priced lines now, without placing anything: the checkout's quote. */
export async function quoteCheckout(ctx: Ctx, priced: PricedOrder, parts: readonly CheckoutPart[]) {
  const adjustments = (await composeCheckout(parts).adjust?.(ctx, priced)) ?? [];
  const discount = adjustments.reduce((s, a) => s + a.amount, 0);
  return {
    items_total: priced.items_total,
    shipping_fee: priced.shipping_fee,
    adjustments,
    discount,
    total: Math.max(0, priced.items_total + priced.shipping_fee - discount),
  };
}
