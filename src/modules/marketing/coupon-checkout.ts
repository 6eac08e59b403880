import type { Ctx } from '../../context.ts';
import { conflict, notFound } from '../../platform/http/errors.ts';
import { getProduct, skusForOrder } from '../catalog/index.ts';
import {
  buyerOf,
  type CheckoutPart,
  composeCheckout,
  listOrders,
  type OrderView,
  type PlaceOrderInput,
  type PricedLine,
  placeOrder,
} from '../orders/index.ts';
import { type CouponRule, couponDiscount, type RuleLine } from './coupon-rules.ts';
import { type CampaignView, COUPON, type FanCoupon, fanCoupons } from './coupons.service.ts';
import type { CouponKind } from './marketing.schema.ts';

/** The lines with their categories, for scope checks. */
async function ruleLines(ctx: Ctx, lines: readonly PricedLine[]): Promise<RuleLine[]> {
  const ids = [...new Set(lines.map((l) => l.product_id))];
  const products = await Promise.all(ids.map((id) => getProduct(ctx, id)));
  const category = new Map(products.map((p) => [p.id, p.category]));
  return lines.map((l) => ({
    product_id: l.product_id,
    category: category.get(l.product_id) ?? '',
    subtotal: l.subtotal,
  }));
}

/** A first purchase: the fan has no order that was not cancelled. */
async function isFirstOrder(ctx: Ctx, openid: string): Promise<boolean> {
  const { items } = await listOrders(ctx, { openid, limit: 20 });
  return items.every((o) => o.status === 'cancelled');
}

export interface CouponOption {
  coupon_id: string;
  name: string;
  kind: CouponKind;
  off: number;
  valid_until: number;
}

const usable = (c: FanCoupon, now: number) =>
  c.status === 'available' && c.valid_from <= now && c.valid_until > now && c.campaign.status === 'active';

const budgetLeft = (c: CampaignView) => (c.budget === 0 ? Number.POSITIVE_INFINITY : c.budget - c.spent);

/** What each of the fan's coupons takes off these priced lines, best first; the inapplicable are left out. */
export async function couponOptions(
  ctx: Ctx,
  lines: readonly PricedLine[],
  shippingFee = 0,
): Promise<CouponOption[]> {
  const { openid } = buyerOf(ctx);
  const coupons = (await fanCoupons(ctx, 'available')).filter((c) => usable(c, ctx.now));
  if (coupons.length === 0) return [];
  const [rules, first] = await Promise.all([ruleLines(ctx, lines), isFirstOrder(ctx, openid)]);
  return coupons
    .map((c) => {
      const result = couponDiscount(c.campaign, rules, shippingFee, first);
      return {
        coupon_id: c.id,
        name: c.campaign.name,
        kind: c.campaign.kind,
        off: result.off <= budgetLeft(c.campaign) ? result.off : 0,
        valid_until: c.valid_until,
      };
    })
    .filter((o) => o.off > 0)
    .sort((a, b) => b.off - a.off || a.valid_until - b.valid_until);
}

/** Prices items the way checkout will (the catalog's prices), for the suggestion before the order. */
export async function priceItems(
  ctx: Ctx,
  items: ReadonlyArray<{ sku_id: string; quantity: number }>,
): Promise<PricedLine[]> {
  const skus = await skusForOrder(ctx, [...new Set(items.map((i) => i.sku_id))]);
  const byId = new Map(skus.map((s) => [s.id, s]));
  return items.flatMap((i) => {
    const sku = byId.get(i.sku_id);
    if (!sku) return [];
    return [
      {
        sku_id: sku.id,
        product_id: sku.product_id,
        kind: sku.kind,
        price: sku.price,
        quantity: i.quantity,
        subtotal: sku.price * i.quantity,
      },
    ];
  });
}

/**
 * Inside the order's transaction: recomputes what the coupon takes off these lines (never what
 * the client said), so checkout can add it as an adjustment.
 */
export async function couponAdjustment(
  tx: Ctx,
  couponId: string,
  lines: readonly PricedLine[],
  shippingFee: number,
): Promise<{ off: number; label: string; campaignId: string }> {
  const { openid } = buyerOf(tx);
  const coupon = (await fanCoupons(tx)).find((c) => c.id === couponId);
  if (!coupon) throw notFound(COUPON);
  if (!usable(coupon, tx.now))
    throw conflict('coupon_unusable', '优惠券不可用（已使用或已过期）', 'This coupon is used or expired');
  const rule: CouponRule = coupon.campaign;
  const result = couponDiscount(
    rule,
    await ruleLines(tx, lines),
    shippingFee,
    await isFirstOrder(tx, openid),
  );
  if (result.off === 0)
    throw conflict(
      'coupon_not_applicable',
      '该优惠券不适用于本订单',
      'This coupon does not apply to this order',
    );
  return { off: result.off, label: coupon.campaign.name, campaignId: coupon.campaign_id };
}

/** Marks the coupon used by this order and charges the campaign's budget, or undoes the order. */
export async function spendCoupon(
  tx: Ctx,
  couponId: string,
  campaignId: string,
  order: { id: string; total: number },
  off: number,
): Promise<void> {
  const { openid } = buyerOf(tx);
  const used = await tx.db
    .updateTable('coupons')
    .set({ status: 'used', order_id: order.id, discount: off, used_at: tx.now })
    .where('merchant_id', '=', tx.merchantId)
    .where('id', '=', couponId)
    .where('openid', '=', openid)
    .where('status', '=', 'available')
    .executeTakeFirst();
  if (Number(used.numUpdatedRows) === 0)
    throw conflict('coupon_unusable', '优惠券已被使用', 'This coupon was already used');
  const charged = await tx.db
    .updateTable('coupon_campaigns')
    .set((eb) => ({
      used: eb('used', '+', 1),
      spent: eb('spent', '+', off),
      revenue: eb('revenue', '+', order.total),
      updated_at: tx.now,
    }))
    .where('id', '=', campaignId)
    .where((eb) => eb.or([eb('budget', '=', 0), eb(eb('spent', '+', off), '<=', eb.ref('budget'))]))
    .executeTakeFirst();
  if (Number(charged.numUpdatedRows) === 0)
    throw conflict('budget_exhausted', '活动预算已用完', "The campaign's budget is spent");
}

/**
 * The coupon's part of a checkout: marketing recomputes the discount from the very prices orders
 * computed and claims the coupon, both inside the order's transaction. Composed by the shop with
 * the member card's part (the coupon first, so points and stored value cover what is left).
 */
export function couponPart(couponId: string): CheckoutPart {
  let granted: { off: number; label: string; campaignId: string } | null = null;
  return {
    async adjust(tx, priced) {
      granted = await couponAdjustment(tx, couponId, priced.lines, priced.shipping_fee);
      return [{ kind: 'coupon', label: granted.label, amount: granted.off, ref: couponId }];
    },
    async withinTransaction(tx, order) {
      if (!granted) throw new Error('coupon adjustment missing');
      await spendCoupon(tx, couponId, granted.campaignId, order, granted.off);
    },
  };
}

/**
 * Checkout with a coupon. The HTTP body names a coupon, never an amount, so a fan cannot make up
 * a discount; a coupon used twice at once fails one order.
 */
export async function checkoutWithCoupon(
  ctx: Ctx,
  input: PlaceOrderInput,
  couponId: string | undefined,
): Promise<OrderView> {
  if (!couponId) return placeOrder(ctx, input);
  return placeOrder(ctx, input, composeCheckout([couponPart(couponId)]));
}
