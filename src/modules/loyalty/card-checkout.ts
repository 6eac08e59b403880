import type { Ctx } from '../../context.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { badRequest, conflict } from '../../platform/http/errors.ts';
import {
  buyerOf,
  type CheckoutPart,
  composeCheckout,
  getOrder,
  markPaid,
  type OrderAdjustment,
  type OrderView,
  type PlaceOrderInput,
  placeOrder,
} from '../orders/index.ts';
import { type CardView, cardOfFan } from './cards.service.ts';
import { movePoints, moveValue } from './ledger.service.ts';
import { getProgram, levelRule, type ProgramView } from './program.service.ts';

export interface CardUse {
  /** Points the fan offers; only what the order can take is used. */
  points?: number;
  /** Pay what is left from stored value. */
  use_balance?: boolean;
}

/** What a level, points and stored value take off `left` fen of this order, from the card as `card` reads. */
function cardAdjustments(
  program: ProgramView,
  card: CardView,
  priced: { items_total: number; shipping_fee: number },
  offSoFar: number,
  use: CardUse,
): { adjustments: OrderAdjustment[]; points: number; value: number } {
  const rule = levelRule(program, card.level);
  const adjustments: OrderAdjustment[] = [];
  let left = Math.max(0, priced.items_total + priced.shipping_fee - offSoFar);
  // The level's discount applies to the goods still to pay for after a coupon.
  const goodsLeft = Math.max(0, priced.items_total - offSoFar);
  if (rule.discount_pct > 0) {
    const off = Math.min(Math.floor((goodsLeft * rule.discount_pct) / 100), left);
    if (off > 0) {
      adjustments.push({
        kind: 'member_discount',
        label: `${rule.name} ${(100 - rule.discount_pct) / 10}折`,
        amount: off,
        ref: card.id,
      });
      left -= off;
    }
  }
  if (rule.free_shipping && priced.shipping_fee > 0 && left > 0) {
    const off = Math.min(priced.shipping_fee, left);
    adjustments.push({ kind: 'member_shipping', label: `${rule.name}包邮`, amount: off, ref: card.id });
    left -= off;
  }
  let points = 0;
  const offerable = Math.min(use.points ?? 0, card.points);
  const pointsOff = Math.min(Math.floor((offerable * 100) / program.points_per_yuan), left);
  if (pointsOff > 0) {
    // The fewest points that buy this many fen (never more than offered).
    points = Math.ceil((pointsOff * program.points_per_yuan) / 100);
    adjustments.push({ kind: 'points', label: `${points} 积分抵扣`, amount: pointsOff, ref: card.id });
    left -= pointsOff;
  }
  let value = 0;
  if (use.use_balance && left > 0) {
    value = Math.min(card.balance, left);
    if (value > 0) adjustments.push({ kind: 'stored_value', label: '储值支付', amount: value, ref: card.id });
  }
  return { adjustments, points, value };
}

/**
 * The member card's part of a checkout: the level's discount and free shipping, then points
 * (100 = ¥1 by default) and stored value on what is left, computed from the server's prices.
 * Points and value leave the card in the order's transaction, guarded so that concurrent
 * checkouts never overdraw it. Null when the fan has no card and asked for nothing from one.
 */
export async function cardPart(ctx: Ctx, use: CardUse): Promise<CheckoutPart | null> {
  const wanted = use.points ?? 0;
  if (!Number.isSafeInteger(wanted) || wanted < 0)
    throw badRequest('invalid_points', '积分数量无效', 'Invalid points');
  const { accountId, openid } = buyerOf(ctx);
  const card = await cardOfFan(ctx, accountId, openid);
  if (!card) {
    if (wanted > 0 || use.use_balance)
      throw conflict('no_card', '请先领取会员卡', 'Get the member card first');
    return null;
  }
  const program = await getProgram(ctx);
  let taken = { points: 0, value: 0 };
  return {
    async adjust(tx, priced, offSoFar) {
      // The card as this transaction sees it; the guard in movePoints/moveValue is what decides.
      const fresh = (await cardOfFan(tx, accountId, openid)) ?? card;
      const result = cardAdjustments(program, fresh, priced, offSoFar, use);
      taken = { points: result.points, value: result.value };
      return result.adjustments;
    },
    async withinTransaction(tx, placed) {
      if (taken.points > 0)
        await movePoints(tx, {
          cardId: card.id,
          delta: -taken.points,
          reason: 'checkout_spend',
          ref: placed.id,
        });
      if (taken.value > 0)
        await moveValue(tx, { cardId: card.id, delta: -taken.value, reason: 'checkout_pay', ref: placed.id });
    },
  };
}

/**
 * An order the card (and any coupon) covered in full has nothing to pay through WeChat: it is paid
 * at once. After the order's own transaction, so order.placed precedes order.paid; were this step
 * lost, the unpaid order's auto-cancel gives the points and balance back.
 */
export async function settleCoveredOrder(ctx: Ctx, order: OrderView): Promise<OrderView> {
  if (order.total > 0 || order.status !== 'pending_payment' || order.payment_method !== 'wechat')
    return order;
  await inTransaction(ctx.db, (trx) => markPaid({ ...ctx, db: trx }, order.id));
  return getOrder({ ...ctx, openid: order.openid }, order.id);
}

/** Checkout with the member card alone. */
export async function checkoutWithCard(ctx: Ctx, input: PlaceOrderInput, use: CardUse): Promise<OrderView> {
  const part = await cardPart(ctx, use);
  if (!part) throw conflict('no_card', '请先领取会员卡', 'Get the member card first');
  return settleCoveredOrder(ctx, await placeOrder(ctx, input, composeCheckout([part])));
}
