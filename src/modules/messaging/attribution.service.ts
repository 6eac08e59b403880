import type { Ctx } from '../../context.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { getOrder } from '../orders/index.ts';

/** An order is credited to the last send its buyer clicked within this long before. */
export const ATTRIBUTION_WINDOW_MS = 7 * 86_400_000;

export interface Visit {
  accountId: string;
  openid: string;
  /** The `wl_bc` token of the tracked link: the send. */
  token: string;
}

/**
 * The shop saw a signed-in fan arrive through a send's tracked link: one row per (send, fan),
 * and the fan's last click, which later orders are credited to. A token naming no send of this
 * merchant (typed by hand, another shop's) is ignored.
 */
export async function recordVisit(ctx: Ctx, visit: Visit): Promise<boolean> {
  const token = visit.token.slice(0, 64);
  const send = await ctx.db
    .selectFrom('broadcasts')
    .select(['id', 'account_id'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', token)
    .executeTakeFirst();
  if (!send || send.account_id !== visit.accountId) return false;
  await inTransaction(ctx.db, async (trx) => {
    await trx
      .insertInto('broadcast_visits')
      .values({
        broadcast_id: send.id,
        openid: visit.openid,
        merchant_id: ctx.merchantId,
        account_id: visit.accountId,
        first_at: ctx.now,
        last_at: ctx.now,
        visits: 1,
      })
      .onConflict((oc) =>
        oc.columns(['broadcast_id', 'openid']).doUpdateSet((eb) => ({
          last_at: ctx.now,
          visits: eb('broadcast_visits.visits', '+', 1),
        })),
      )
      .execute();
    await trx
      .insertInto('fan_last_clicks')
      .values({
        merchant_id: ctx.merchantId,
        account_id: visit.accountId,
        openid: visit.openid,
        broadcast_id: send.id,
        clicked_at: ctx.now,
      })
      .onConflict((oc) =>
        oc
          .columns(['merchant_id', 'account_id', 'openid'])
          .doUpdateSet({ broadcast_id: send.id, clicked_at: ctx.now })
          .where('fan_last_clicks.clicked_at', '<=', ctx.now),
      )
      .execute();
  });
  return true;
}

/** The send a fan's action at `at` is credited to: their last click, if within the window. */
async function creditedSend(ctx: Ctx, accountId: string, openid: string, at: number) {
  const click = await ctx.db
    .selectFrom('fan_last_clicks')
    .select(['broadcast_id', 'clicked_at'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('account_id', '=', accountId)
    .where('openid', '=', openid)
    .executeTakeFirst();
  if (!click || click.clicked_at > at || at - click.clicked_at > ATTRIBUTION_WINDOW_MS) return null;
  return click.broadcast_id;
}

/**
 * Hears an order's step (placed, paid, refunded) through orders' events and reads the order
 * through orders' service: placed within 7 days of a click credits the send; paid records the
 * revenue (credited then if the click came between placing and paying); refunded takes it back.
 */
export async function attributeOrder(ctx: Ctx, orderId: string, step: 'placed' | 'paid' | 'refunded') {
  const order = await getOrder(ctx, orderId).catch(() => null);
  if (!order) return;
  if (step === 'refunded') {
    await ctx.db
      .updateTable('broadcast_orders')
      .set({ refunded_at: ctx.now })
      .where('merchant_id', '=', ctx.merchantId)
      .where('order_id', '=', orderId)
      .execute();
    return;
  }
  const paidAt = order.paid_at ?? (step === 'paid' ? ctx.now : null);
  const existing = await ctx.db
    .selectFrom('broadcast_orders')
    .select('order_id')
    .where('merchant_id', '=', ctx.merchantId)
    .where('order_id', '=', orderId)
    .executeTakeFirst();
  if (existing) {
    if (step === 'paid')
      await ctx.db
        .updateTable('broadcast_orders')
        .set({ paid_at: paidAt, amount: order.total })
        .where('merchant_id', '=', ctx.merchantId)
        .where('order_id', '=', orderId)
        .execute();
    return;
  }
  const at = step === 'placed' ? order.created_at : (paidAt ?? ctx.now);
  const send = await creditedSend(ctx, order.account_id, order.openid, at);
  if (!send) return;
  await ctx.db
    .insertInto('broadcast_orders')
    .values({
      order_id: order.id,
      merchant_id: ctx.merchantId,
      broadcast_id: send,
      account_id: order.account_id,
      openid: order.openid,
      placed_at: order.created_at,
      paid_at: step === 'paid' ? paidAt : null,
      amount: order.total,
      refunded_at: null,
    })
    // placed and paid run as separate jobs: whichever inserts second still leaves the payment.
    .onConflict((oc) =>
      step === 'paid'
        ? oc.column('order_id').doUpdateSet({ paid_at: paidAt, amount: order.total })
        : oc.column('order_id').doNothing(),
    )
    .execute();
}
