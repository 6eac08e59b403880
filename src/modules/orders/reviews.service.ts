import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { expiringMap } from '../../platform/cache/cache.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { cursorPage, found, type PageRequest } from '../../platform/db/paging.ts';
import type { EventBus } from '../../platform/events/events.ts';
import { badRequest, conflict, notFound } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { shiftRating } from '../catalog/index.ts';
import { buyerOf } from './buyer.ts';
import { ORDER_EVENTS } from './order-events.ts';
import { ORDER } from './queries.service.ts';

/** A fan's free-text reply becomes a review within this long after the order ships. */
export const REVIEW_BY_REPLY_WINDOW_MS = 7 * 24 * 3_600_000;

/** Writes a review and tells others (loyalty's review points) through `order.reviewed`, in its transaction. */
type Writer = Pick<Ctx, 'db' | 'merchantId' | 'now'> & { events: EventBus };

async function addReview(
  ctx: Writer,
  input: {
    orderId: string;
    productId: string;
    openid: string;
    rating: number;
    text: string;
    source: 'shop' | 'chat';
  },
) {
  const inserted = await ctx.db
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
  await shiftRating(ctx, input.productId, input.rating, 1);
  await ctx.events.publish(
    ctx.db,
    {
      name: ORDER_EVENTS.reviewed,
      merchantId: ctx.merchantId,
      // One event per review: an order with two products is two reviews.
      key: `${input.orderId}:${input.productId}`,
      payload: { orderId: input.orderId, productId: input.productId },
    },
    ctx.now,
  );
  return true;
}

/** The buyer rates what they received (shipped or completed orders only, once per product). */
export async function reviewOrder(
  ctx: Ctx,
  orderId: string,
  input: { product_id: string; rating: number; text: string },
) {
  const { openid } = buyerOf(ctx);
  if (!Number.isInteger(input.rating) || input.rating < 1 || input.rating > 5)
    throw badRequest('invalid_rating', '评分为 1–5 星', 'Rating is 1–5');
  const order = await ctx.db
    .selectFrom('orders')
    .select(['status'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', orderId)
    .where('openid', '=', openid)
    .executeTakeFirst();
  if (!order) throw notFound(ORDER);
  if (order.status !== 'shipped' && order.status !== 'completed')
    throw conflict('not_delivered', '收货后才能评价', 'Review after delivery');
  const item = await ctx.db
    .selectFrom('order_items')
    .select('product_id')
    .where('order_id', '=', orderId)
    .where('product_id', '=', input.product_id)
    .executeTakeFirst();
  if (!item) throw notFound({ zh: '商品', en: 'Product' });
  const added = await inTransaction(ctx.db, (trx) =>
    addReview(
      { db: trx, merchantId: ctx.merchantId, now: ctx.now, events: ctx.deps.events },
      {
        orderId,
        productId: input.product_id,
        openid,
        rating: input.rating,
        text: input.text,
        source: 'shop',
      },
    ),
  );
  if (!added) {
    throw conflict('already_reviewed', '已经评价过了', 'Already reviewed');
  }
}

const NEGATIVE = /差|不好|失望|退货|坏了|破损|慢死|垃圾|不满意/u;

/**
 * The seeds' shortcut: after delivery, a fan's free-text message in chat within 7 days becomes a
 * review of what they bought (rated 5, or 2 when it reads as a complaint). Returns the products
 * reviewed, or null when the fan has nothing waiting for a review.
 */
export async function reviewFromChat(ctx: Writer, openid: string, text: string): Promise<string[] | null> {
  const trimmed = text.trim();
  if (trimmed.length < 4) return null;
  const orders = await ctx.db
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
    const items = await ctx.db
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
        await addReview(ctx, {
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

// Most chat messages come from fans with nothing to review: a per-merchant check, cached briefly
// in this app, spares them the per-fan query.
const recentShipments = (ctx: Pick<Ctx, 'deps'>) =>
  ctx.deps.local.slot('orders.recentShipments', () => expiringMap<boolean>(10_000));

async function merchantShippedRecently(
  ctx: Pick<Ctx, 'db' | 'merchantId' | 'now' | 'deps'>,
): Promise<boolean> {
  const cache = recentShipments(ctx);
  const hit = cache.get(ctx.merchantId, ctx.now);
  if (hit !== undefined) return hit;
  const row = await ctx.db
    .selectFrom('orders')
    .select('id')
    .where('merchant_id', '=', ctx.merchantId)
    .where('shipped_at', '>=', ctx.now - REVIEW_BY_REPLY_WINDOW_MS)
    .limit(1)
    .executeTakeFirst();
  cache.set(ctx.merchantId, Boolean(row), ctx.now);
  return Boolean(row);
}

/** Lets this app's own shipments count at once. */
export function shipmentMade(ctx: Pick<Ctx, 'deps' | 'merchantId'>): void {
  recentShipments(ctx).delete(ctx.merchantId);
}

/** Whether a fan has a delivered order (within the window) with something not yet reviewed. */
export async function awaitsReview(
  ctx: Pick<Ctx, 'db' | 'merchantId' | 'now' | 'deps'>,
  openid: string,
): Promise<boolean> {
  if (!(await merchantShippedRecently(ctx))) return false;
  const row = await ctx.db
    .selectFrom('orders')
    .innerJoin('order_items', 'order_items.order_id', 'orders.id')
    .leftJoin('reviews', (join) =>
      join
        .onRef('reviews.order_id', '=', 'order_items.order_id')
        .onRef('reviews.product_id', '=', 'order_items.product_id'),
    )
    .select('orders.id')
    .where('orders.merchant_id', '=', ctx.merchantId)
    .where('orders.openid', '=', openid)
    .where('orders.status', 'in', ['shipped', 'completed'])
    .where('orders.shipped_at', '>=', ctx.now - REVIEW_BY_REPLY_WINDOW_MS)
    .where('reviews.id', 'is', null)
    .limit(1)
    .executeTakeFirst();
  return Boolean(row);
}

export async function listReviews(
  ctx: Pick<Ctx, 'db' | 'merchantId'>,
  filter: PageRequest & { product_id?: string; hidden?: boolean },
) {
  let query = ctx.db.selectFrom('reviews').selectAll().where('merchant_id', '=', ctx.merchantId);
  if (filter.product_id) query = query.where('product_id', '=', filter.product_id);
  if (filter.hidden !== undefined) query = query.where('hidden', '=', filter.hidden ? 1 : 0);
  const page = await cursorPage(query, filter);
  return { items: page.items.map((r) => ({ ...r, hidden: r.hidden === 1 })), next_cursor: page.next_cursor };
}

/** Hides (or shows again) a review; a hidden review stops counting towards the product's rating. */
export async function setReviewHidden(ctx: Ctx, id: string, hidden: boolean) {
  requireRole(ctx, 'operator');
  const review = found(
    await ctx.db
      .selectFrom('reviews')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('id', '=', id)
      .executeTakeFirst(),
    { zh: '评价', en: 'Review' },
  );
  if ((review.hidden === 1) !== hidden) {
    await ctx.db
      .updateTable('reviews')
      .set({ hidden: hidden ? 1 : 0 })
      .where('id', '=', id)
      .execute();
    await shiftRating(ctx, review.product_id, review.rating, hidden ? -1 : 1);
  }
  return { ...review, hidden };
}

/** The newest visible reviews of a product, for its page. */
export async function productReviews(ctx: Pick<Ctx, 'db' | 'merchantId'>, productId: string, limit: number) {
  return ctx.db
    .selectFrom('reviews')
    .select(['rating', 'text', 'created_at'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('product_id', '=', productId)
    .where('hidden', '=', 0)
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute();
}

/** The products of an order that already have a review. */
export async function reviewedProducts(
  ctx: Pick<Ctx, 'db' | 'merchantId'>,
  orderId: string,
): Promise<Set<string>> {
  const rows = await ctx.db
    .selectFrom('reviews')
    .select('product_id')
    .where('merchant_id', '=', ctx.merchantId)
    .where('order_id', '=', orderId)
    .execute();
  return new Set(rows.map((r) => r.product_id));
}
