import type { Ctx } from '../../context.ts';
import { actorLabel, requireRole } from '../../platform/auth/roles.ts';
import { conflict, notFound } from '../../platform/http/errors.ts';
import { transactional, transition } from './lifecycle.service.ts';
import { getOrder, type OrderView } from './queries.service.ts';

const PICKUP = { zh: '提货码', en: 'Pickup code' };
const normalise = (code: string) => code.replace(/\D/g, '').slice(0, 20);

/** The pickup order behind a code the clerk typed or scanned. */
export async function findPickup(ctx: Ctx, code: string): Promise<OrderView> {
  requireRole(ctx, 'clerk', 'operator', 'agent');
  const row = await ctx.db
    .selectFrom('orders')
    .select('id')
    .where('merchant_id', '=', ctx.merchantId)
    .where('pickup_code', '=', normalise(code))
    .executeTakeFirst();
  if (!row) throw notFound(PICKUP);
  return getOrder(ctx, row.id);
}

/** Why this order cannot be handed over at this store now, or null. */
export function pickupRefusal(order: OrderView, storeId: string) {
  if (order.collected_at !== null)
    return conflict('already_collected', '该订单已提货', 'This order was already collected');
  if (order.pickup_store_id !== storeId)
    return conflict('wrong_store', '该订单不在本店自提', 'This order is collected at another store');
  if (order.status === 'pending_payment')
    return conflict('not_paid', '订单尚未支付', 'This order is not paid yet');
  if (order.status !== 'paid')
    return conflict('order_closed', '订单已关闭或退款', 'This order is closed or refunded');
  return null;
}

/**
 * The store hands the goods over: once, only at the order's store, only while paid. The status
 * check is in the UPDATE (through `transition`), so two clerks at once get one "collected".
 */
export async function collectPickup(ctx: Ctx, code: string, storeId: string): Promise<OrderView> {
  requireRole(ctx, 'clerk', 'operator');
  const order = await findPickup(ctx, code);
  const why = pickupRefusal(order, storeId);
  if (why) throw why;
  const moved = await transactional(ctx, (trx) =>
    transition(
      trx,
      order.id,
      ['paid'],
      'completed',
      { completed_at: trx.now, collected_at: trx.now, collected_by: actorLabel(trx.actor) },
      `collected at ${storeId}`,
    ),
  );
  if (!moved) throw conflict('already_collected', '该订单已提货', 'This order was already collected');
  return getOrder(ctx, order.id);
}
