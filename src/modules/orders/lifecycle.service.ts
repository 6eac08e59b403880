import type { Ctx } from '../../context.ts';
import type { Db } from '../../database.ts';
import { actorLabel, requireRole } from '../../platform/auth/roles.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { type AppError, badRequest, conflict } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { addSales, returnStock } from '../catalog/index.ts';
import { buyerOf } from './buyer.ts';
import { ORDER_EVENTS } from './order-events.ts';
import type { OrderStatus, OrdersTable } from './orders.schema.ts';
import { getOrder, type OrderView } from './queries.service.ts';
import { shipmentMade } from './reviews.service.ts';

export { ORDER_EVENTS };

/** The transitions an order may take; anything else is refused. */
const TRANSITIONS: Record<OrderStatus, OrderStatus[]> = {
  pending_payment: ['paid', 'cancelled', 'shipped'],
  // A pickup order is completed when the store hands the goods over.
  paid: ['shipped', 'refunding', 'completed'],
  shipped: ['completed', 'refunding'],
  completed: ['refunding'],
  refunding: ['refunded'],
  cancelled: [],
  refunded: [],
};

export { invalidTransition, transactional };

export async function publishOrderEvent(
  ctx: Ctx,
  name: (typeof ORDER_EVENTS)[keyof typeof ORDER_EVENTS],
  orderId: string,
  extra: Record<string, string> = {},
): Promise<void> {
  await ctx.deps.events.publish(
    ctx.db,
    { name, merchantId: ctx.merchantId, key: orderId, payload: { orderId, ...extra } },
    ctx.now,
  );
}

async function recordEvent(
  ctx: Ctx,
  orderId: string,
  from: OrderStatus | null,
  to: OrderStatus,
  note: string | null,
) {
  await ctx.db
    .insertInto('order_events')
    .values({
      id: newId('oev', ctx.now),
      order_id: orderId,
      merchant_id: ctx.merchantId,
      from_status: from,
      to_status: to,
      actor: actorLabel(ctx.actor),
      note,
      created_at: ctx.now,
    })
    .execute();
}

/** Records the first state of a new order (in the transaction that creates it). */
export const recordPlaced = (ctx: Ctx, orderId: string) =>
  recordEvent(ctx, orderId, null, 'pending_payment', null);

/**
 * Moves an order from one of `from` to `to`, or reports that it could not: the status check is
 * in the UPDATE itself, so two concurrent transitions can never both apply.
 */
export async function transition(
  ctx: Ctx,
  orderId: string,
  from: OrderStatus[],
  to: OrderStatus,
  patch: Partial<OrdersTable> = {},
  note: string | null = null,
): Promise<OrderStatus | null> {
  const allowed = from.filter((status) => TRANSITIONS[status].includes(to));
  if (allowed.length === 0) return null;
  const current = await ctx.db
    .selectFrom('orders')
    .select('status')
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', orderId)
    .executeTakeFirst();
  if (!current || !allowed.includes(current.status)) return null;
  const result = await ctx.db
    .updateTable('orders')
    .set({ ...patch, status: to, updated_at: ctx.now })
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', orderId)
    .where('status', '=', current.status)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) return null;
  await recordEvent(ctx, orderId, current.status, to, note);
  return current.status;
}

function invalidTransition(to: OrderStatus): AppError {
  return conflict(
    'invalid_transition',
    `订单当前状态不能变为「${to}」`,
    `The order cannot move to ${to} from its current state`,
  );
}

/** Runs `work` in a transaction with a context bound to it. */
const transactional = <T>(ctx: Ctx, work: (trx: Ctx) => Promise<T>) =>
  inTransaction(ctx.db, (db: Db) => work({ ...ctx, db }));

/** Cancels an unpaid order and gives its stock back; payments closes the WeChat payment on the event. */
export async function cancelOrder(
  ctx: Ctx,
  id: string,
  reason: 'unpaid_timeout' | 'buyer' | 'merchant',
): Promise<boolean> {
  return transactional(ctx, async (trx) => {
    const from = await transition(
      trx,
      id,
      ['pending_payment'],
      'cancelled',
      { cancelled_at: trx.now, cancel_reason: reason },
      reason,
    );
    if (!from) return false;
    const items = await trx.db
      .selectFrom('order_items')
      .select(['sku_id', 'quantity'])
      .where('order_id', '=', id)
      .execute();
    for (const item of items) await returnStock(trx.db, trx.merchantId, item.sku_id, item.quantity, trx.now);
    await publishOrderEvent(trx, ORDER_EVENTS.cancelled, id);
    return true;
  });
}

/** An operator or agent cancels an unpaid order. */
export async function merchantCancel(ctx: Ctx, id: string): Promise<OrderView> {
  requireRole(ctx, 'operator', 'agent');
  await getOrder(ctx, id);
  if (!(await cancelOrder(ctx, id, 'merchant')))
    throw badRequest('invalid_transition', '只能取消未支付的订单', 'Only unpaid orders can be cancelled');
  return getOrder(ctx, id);
}

export async function buyerCancel(ctx: Ctx, id: string): Promise<OrderView> {
  const { openid } = buyerOf(ctx);
  await getOrder({ ...ctx, openid }, id);
  if (!(await cancelOrder(ctx, id, 'buyer'))) throw invalidTransition('cancelled');
  return getOrder({ ...ctx, openid }, id);
}

/** The products of a paid order count its units as sold. */
async function countSales(ctx: Ctx, orderId: string): Promise<void> {
  const items = await ctx.db
    .selectFrom('order_items')
    .select(['product_id', 'quantity'])
    .where('order_id', '=', orderId)
    .execute();
  for (const item of items) await addSales(ctx, item.product_id, item.quantity);
}

/**
 * Marks an order paid once, whatever the number of notices or queries saying so. `refund` means
 * the order was cancelled meanwhile (the fan paid at the last second): the caller returns the money.
 * Runs in the caller's transaction.
 */
export async function markPaid(ctx: Ctx, orderId: string): Promise<'paid' | 'already' | 'refund'> {
  const from = await transition(ctx, orderId, ['pending_payment'], 'paid', { paid_at: ctx.now });
  if (from) {
    await countSales(ctx, orderId);
    await publishOrderEvent(ctx, ORDER_EVENTS.paid, orderId);
    return 'paid';
  }
  const order = await ctx.db
    .selectFrom('orders')
    .select('status')
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', orderId)
    .executeTakeFirst();
  return order?.status === 'cancelled' ? 'refund' : 'already';
}

/** The money of a refunding order is back with the buyer. Runs in the caller's transaction. */
export async function markRefunded(ctx: Ctx, orderId: string): Promise<boolean> {
  const moved = Boolean(await transition(ctx, orderId, ['refunding'], 'refunded'));
  if (moved) await publishOrderEvent(ctx, ORDER_EVENTS.refunded, orderId);
  return moved;
}

/** Still unpaid when the reminder is due: note it and let the notice sender nudge the fan. */
export async function remindUnpaid(ctx: Ctx, orderId: string): Promise<boolean> {
  return transactional(ctx, async (trx) => {
    const result = await trx.db
      .updateTable('orders')
      .set({ reminded_at: trx.now })
      .where('merchant_id', '=', trx.merchantId)
      .where('id', '=', orderId)
      .where('status', '=', 'pending_payment')
      .where('reminded_at', 'is', null)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return false;
    await publishOrderEvent(trx, ORDER_EVENTS.paymentReminder, orderId);
    return true;
  });
}

export async function shipOrder(
  ctx: Ctx,
  id: string,
  input: { carrier: string; tracking_no: string },
): Promise<OrderView> {
  requireRole(ctx, 'operator');
  const order = await getOrder(ctx, id);
  if (order.pickup_store_id)
    throw conflict('pickup_order', '到店自提订单无需发货', 'A pickup order is collected, not shipped');
  const from: OrderStatus[] = order.payment_method === 'cod' ? ['pending_payment'] : ['paid'];
  const shipped = await transactional(ctx, async (trx) => {
    const moved = await transition(trx, id, from, 'shipped', {
      shipped_at: trx.now,
      carrier: input.carrier,
      tracking_no: input.tracking_no,
    });
    if (moved) await publishOrderEvent(trx, ORDER_EVENTS.shipped, id);
    return moved;
  });
  if (!shipped) throw invalidTransition('shipped');
  shipmentMade(ctx);
  return getOrder(ctx, id);
}

export async function confirmReceipt(ctx: Ctx, id: string): Promise<OrderView> {
  const { openid } = buyerOf(ctx);
  const order = await getOrder({ ...ctx, openid }, id);
  const cod = order.payment_method === 'cod';
  const patch = { completed_at: ctx.now, ...(cod ? { paid_at: ctx.now } : {}) };
  await transactional(ctx, async (trx) => {
    if (!(await transition(trx, id, ['shipped'], 'completed', patch))) throw invalidTransition('completed');
    // Cash on delivery is paid when the parcel is received.
    if (cod) await countSales(trx, id);
  });
  return getOrder({ ...ctx, openid }, id);
}

/** Starts a refund of the whole order: WeChat Pay orders through payments (on the event), COD ones at once. */
export async function refundOrder(ctx: Ctx, id: string, reason: string): Promise<OrderView> {
  requireRole(ctx, 'operator');
  const order = await getOrder(ctx, id);
  await transactional(ctx, async (trx) => {
    const from = await transition(trx, id, ['paid', 'shipped', 'completed'], 'refunding', {}, reason);
    if (!from) throw invalidTransition('refunding');
    // Nothing went through WeChat Pay (cash on delivery, or the card's stored value paid it all).
    if (order.payment_method === 'cod' || order.total === 0) {
      await transition(
        trx,
        id,
        ['refunding'],
        'refunded',
        {},
        order.total === 0 ? 'nothing paid online' : 'cash on delivery',
      );
      await publishOrderEvent(trx, ORDER_EVENTS.refunded, id);
    } else {
      await publishOrderEvent(trx, ORDER_EVENTS.refundRequested, id, { reason: reason.slice(0, 80) });
    }
  });
  return getOrder(ctx, id);
}
