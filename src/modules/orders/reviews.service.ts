import type { Db } from '../../database.ts';
import { expiringMap } from '../../platform/cache/cache.ts';
import { badRequest, conflict, notFound } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { OrderCtx } from './orders.service.ts';

/** A fan's free-text reply becomes a review within this long after the order ships. */
export const REVIEW_BY_REPLY_WINDOW_MS = 7 * 24 * 3_600_000;

async function addReview(
  db: Db,
  ctx: { merchantId: string; now: number },
  input: {
    orderId: string;
    productId: string;
    openid: string;
    rating: number;
    text: string;
    source: 'shop' | 'chat';
  },
) {
  const inserted = await db
    .insertInto('reviews')
    .values({
      id: newId('rev', ctx.now),
      merchant_id: ctx.merchantId,
      order_id: input.orderId,
      product_id: input.productId,
      openid: input.openid,
      rating: input.rating,
      text: input.text.slice(0, 500),
      source: input.source,
      hidden: 0,
      created_at: ctx.now,
    })
    .onConflict((oc) => oc.columns(['order_id', 'product_id']).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return false;
  await db
    .updateTable('products')
    .set((eb) => ({
      rating_sum: eb('rating_sum', '+', input.rating),
      rating_count: eb('rating_count', '+', 1),
      updated_at: ctx.now,
    }))
    .where('id', '=', input.productId)
    .where('merchant_id', '=', ctx.merchantId)
    .execute();
  return true;
}

/** The buyer rates what they received (shipped or completed orders only, once per product). */
export async function reviewOrder(
  ctx: OrderCtx & { openid: string },
  orderId: string,
  input: { product_id: string; rating: number; text: string },
) {
  if (!Number.isInteger(input.rating) || input.rating < 1 || input.rating > 5)
    throw badRequest('invalid_rating', '评分为 1–5 星', 'Rating is 1–5');
  const order = await ctx.db
    .selectFrom('orders')
    .select(['status'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', orderId)
    .where('openid', '=', ctx.openid)
    .executeTakeFirst();
  if (!order) throw notFound({ zh: '订单', en: 'Order' });
  if (order.status !== 'shipped' && order.status !== 'completed')
    throw conflict('not_delivered', '收货后才能评价', 'Review after delivery');
  const item = await ctx.db
    .selectFrom('order_items')
    .select('product_id')
    .where('order_id', '=', orderId)
    .where('product_id', '=', input.product_id)
    .executeTakeFirst();
  if (!item) throw notFound({ zh: '商品', en: 'Product' });
  if (
    !(await addReview(ctx.db, ctx, {
      orderId,
      productId: input.product_id,
      openid: ctx.openid,
      rating: input.rating,
      text: input.text,
      source: 'shop',
    }))
  ) {
    throw conflict('already_reviewed', '已经评价过了', 'Already reviewed');
  }
}

const NEGATIVE = /差|不好|失望|退货|坏了|破损|慢死|垃圾|不满意/u;

/**
 * The seeds' shortcut: after delivery, a fan's free-text message in chat within 7 days becomes a
 * review of what they bought (rated 5, or 2 when it reads as a complaint). Returns the products
 * reviewed, or null when the fan has nothing waiting for a review.
 */
export async function reviewFromChat(
  db: Db,
  ctx: { merchantId: string; now: number },
  openid: string,
  text: string,
): Promise<string[] | null> {
  const trimmed = text.trim();
  if (trimmed.length < 4) return null;
  const orders = await db
    .selectFrom('orders')
    .select(['id'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('openid', '=', openid)
    .where('status', 'in', ['shipped', 'completed'])
    .where('shipped_at', '>=', ctx.now - REVIEW_BY_REPLY_WINDOW_MS)
    .orderBy('shipped_at', 'desc')
    .limit(5)
    .execute();
  for (const order of orders) {
    const items = await db
      .selectFrom('order_items')
      .leftJoin('reviews', (join) =>
        join
          .onRef('reviews.order_id', '=', 'order_items.order_id')
          .onRef('reviews.product_id', '=', 'order_items.product_id'),
      )
      .select(['order_items.product_id', 'order_items.title', 'reviews.id as review_id'])
      .where('order_items.order_id', '=', order.id)
      .execute();
    const waiting = items.filter((i) => !i.review_id);
    if (waiting.length === 0) continue;
    const rating = NEGATIVE.test(trimmed) ? 2 : 5;
    const reviewed: string[] = [];
    for (const item of waiting) {
      if (
        await addReview(db, ctx, {
          orderId: order.id,
          productId: item.product_id,
          openid,
          rating,
          text: trimmed,
          source: 'chat',
        })
      )
        reviewed.push(item.title);
    }
    return reviewed;
  }
  return null;
}

// Most chat messages come from fans with nothing to review: a per-merchant check, cached briefly,
// spares them the per-fan query.
const recentShipments = expiringMap<boolean>(10_000);

async function merchantShippedRecently(db: Db, merchantId: string, now: number): Promise<boolean> {
  const hit = recentShipments.get(merchantId, now);
  if (hit !== undefined) return hit;
  const row = await db
    .selectFrom('orders')
    .select('id')
    .where('merchant_id', '=', merchantId)
    .where('shipped_at', '>=', now - REVIEW_BY_REPLY_WINDOW_MS)
    .limit(1)
    .executeTakeFirst();
  recentShipments.set(merchantId, Boolean(row), now);
  return Boolean(row);
}

/** Lets this process's own shipments count at once. */
export function shipmentMade(merchantId: string): void {
  recentShipments.delete(merchantId);
}

/** Whether a fan has a delivered order (within the window) with something not yet reviewed. */
export async function awaitsReview(
  db: Db,
  merchantId: string,
  openid: string,
  now: number,
): Promise<boolean> {
  if (!(await merchantShippedRecently(db, merchantId, now))) return false;
  const row = await db
    .selectFrom('orders')
    .innerJoin('order_items', 'order_items.order_id', 'orders.id')
    .leftJoin('reviews', (join) =>
      join
        .onRef('reviews.order_id', '=', 'order_items.order_id')
        .onRef('reviews.product_id', '=', 'order_items.product_id'),
    )
    .select('orders.id')
    .where('orders.merchant_id', '=', merchantId)
    .where('orders.openid', '=', openid)
    .where('orders.status', 'in', ['shipped', 'completed'])
    .where('orders.shipped_at', '>=', now - REVIEW_BY_REPLY_WINDOW_MS)
    .where('reviews.id', 'is', null)
    .limit(1)
    .executeTakeFirst();
  return Boolean(row);
}

export async function listReviews(
  ctx: Pick<OrderCtx, 'db' | 'merchantId'>,
  filter: { product_id?: string; hidden?: boolean; limit: number; cursor?: string },
) {
  let query = ctx.db.selectFrom('reviews').selectAll().where('merchant_id', '=', ctx.merchantId);
  if (filter.product_id) query = query.where('product_id', '=', filter.product_id);
  if (filter.hidden !== undefined) query = query.where('hidden', '=', filter.hidden ? 1 : 0);
  if (filter.cursor) query = query.where('id', '<', filter.cursor);
  const rows = await query
    .orderBy('id', 'desc')
    .limit(filter.limit + 1)
    .execute();
  const items = rows.slice(0, filter.limit).map((r) => ({ ...r, hidden: r.hidden === 1 }));
  return { items, next_cursor: rows.length > filter.limit ? (items.at(-1)?.id ?? null) : null };
}

/** Hides (or shows again) a review; a hidden review stops counting towards the product's rating. */
export async function setReviewHidden(ctx: OrderCtx, id: string, hidden: boolean) {
  const review = await ctx.db
    .selectFrom('reviews')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!review) throw notFound({ zh: '评价', en: 'Review' });
  if ((review.hidden === 1) !== hidden) {
    const sign = hidden ? -1 : 1;
    await ctx.db
      .updateTable('reviews')
      .set({ hidden: hidden ? 1 : 0 })
      .where('id', '=', id)
      .execute();
    await ctx.db
      .updateTable('products')
      .set((eb) => ({
        rating_sum: eb('rating_sum', '+', sign * review.rating),
        rating_count: eb('rating_count', '+', sign),
        updated_at: ctx.now,
      }))
      .where('id', '=', review.product_id)
      .execute();
  }
  return { ...review, hidden };
}
