import type { Ctx } from '../../context.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { badRequest, conflict } from '../../platform/http/errors.ts';
import {
  buyerOf,
  getOrder,
  markPaid,
  type OrderAdjustment,
  type OrderView,
  type PlaceOrderInput,
  placeOrder,
} from '../orders/index.ts';
import { cardOfFan } from './cards.service.ts';
import { movePoints, moveValue } from './ledger.service.ts';
import { getProgram, levelRule } from './program.service.ts';

export interface CardUse {
  /** Points the fan offers; only what the order can take is used. */
  points?: number;
  /** Pay what is left from stored value. */
  use_balance?: boolean;
}

/**
 * Checkout with the member card: the level's discount, points (100 = ¥1 by default) and stored
 * value become server-side adjustments computed from the server's prices; points and value leave
 * the card in the order's transaction, guarded so that concurrent checkouts never overdraw it.
 * An order the balance pays in full is paid at once.
 */
export async function checkoutWithCard(ctx: Ctx, input: PlaceOrderInput, use: CardUse): Promise<OrderView> {
  const { accountId, openid } = buyerOf(ctx);
  const card = await cardOfFan(ctx, accountId, openid);
  if (!card) throw conflict('no_card', '请先领取会员卡', 'Get the member card first');
  const program = await getProgram(ctx);
  const rule = levelRule(program, card.level);
  const wanted = use.points ?? 0;
  if (!Number.isSafeInteger(wanted) || wanted < 0)
    throw badRequest('invalid_points', '积分数量无效', 'Invalid points');
  let points = 0;
  let value = 0;
  const order = await placeOrder(ctx, input, {
    async adjust(tx, priced) {
      const adjustments: OrderAdjustment[] = [];
      let left = priced.items_total + priced.shipping_fee;
      if (rule.discount_pct > 0) {
        const off = Math.floor((priced.items_total * rule.discount_pct) / 100);
        if (off > 0)
          adjustments.push({
            kind: 'member_discount',
            label: `${rule.name} ${100 - rule.discount_pct}折`,
            amount: off,
            ref: card.id,
          });
        left -= off;
      }
      if (rule.free_shipping && priced.shipping_fee > 0) {
        adjustments.push({
          kind: 'member_shipping',
          label: `${rule.name}包邮`,
          amount: priced.shipping_fee,
          ref: card.id,
        });
        left -= priced.shipping_fee;
      }
      // The card as this transaction sees it: the guard in movePoints/moveValue is what decides.
      const fresh = await cardOfFan(tx, accountId, openid);
      const offerable = Math.min(wanted, fresh?.points ?? 0);
      const pointsOff = Math.min(Math.floor((offerable * 100) / program.points_per_yuan), left);
      if (pointsOff > 0) {
        points = Math.ceil((pointsOff * program.points_per_yuan) / 100);
        adjustments.push({ kind: 'points', label: `${points} 积分抵扣`, amount: pointsOff, ref: card.id });
        left -= pointsOff;
      }
      if (use.use_balance && left > 0) {
        value = Math.min(fresh?.balance ?? 0, left);
        if (value > 0)
          adjustments.push({ kind: 'stored_value', label: '储值支付', amount: value, ref: card.id });
      }
      return adjustments;
    },
    async withinTransaction(tx, placed) {
      if (points > 0)
        await movePoints(tx, { cardId: card.id, delta: -points, reason: 'checkout_spend', ref: placed.id });
      if (value > 0)
        await moveValue(tx, { cardId: card.id, delta: -value, reason: 'checkout_pay', ref: placed.id });
    },
  });
  if (order.total > 0) return order;
  // After the order's own transaction, so order.placed precedes order.paid; were this step lost,
  // the unpaid order's auto-cancel gives the balance back.
  await inTransaction(ctx.db, (trx) => markPaid({ ...ctx, db: trx }, order.id));
  return getOrder({ ...ctx, openid }, order.id);
}
