import type { Ctx } from '../../context.ts';
import type { Db } from '../../database.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { badRequest, notFound } from '../../platform/http/errors.ts';
import type { SkuView } from './products.service.ts';

export class OutOfStockError extends Error {}

/**
 * Takes `quantity` from a SKU's stock, or fails: the guard in the WHERE clause makes the check
 * and the decrement one atomic statement, so concurrent buyers can never drive stock below zero.
 */
export async function takeStock(
  db: Db,
  merchantId: string,
  skuId: string,
  quantity: number,
  now: number,
): Promise<void> {
  if (!Number.isSafeInteger(quantity) || quantity <= 0)
    throw badRequest('invalid_quantity', '数量必须是正整数', 'Quantity must be a positive integer');
  const result = await db
    .updateTable('skus')
    .set((eb) => ({ stock: eb('stock', '-', quantity) }))
    .where('id', '=', skuId)
    .where('merchant_id', '=', merchantId)
    .where('stock', '>=', quantity)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) throw new OutOfStockError(`not enough stock for ${skuId}`);
  await shiftProductStock(db, skuId, -quantity, now);
}

/** Gives stock back (a cancelled or unpaid order). */
export async function returnStock(
  db: Db,
  merchantId: string,
  skuId: string,
  quantity: number,
  now: number,
): Promise<void> {
  await db
    .updateTable('skus')
    .set((eb) => ({ stock: eb('stock', '+', quantity) }))
    .where('id', '=', skuId)
    .where('merchant_id', '=', merchantId)
    .execute();
  await shiftProductStock(db, skuId, quantity, now);
}

/**
 * Moves the product's stock total by the same delta as its SKU. Deltas commute, so concurrent
 * buyers on other connections can never leave a stale total behind (a recomputed sum could).
 */
async function shiftProductStock(db: Db, skuId: string, delta: number, now: number): Promise<void> {
  await db
    .updateTable('products')
    .set((eb) => ({ stock: eb('stock', '+', delta), updated_at: now }))
    .where('id', '=', (eb) => eb.selectFrom('skus').select('product_id').where('id', '=', skuId))
    .execute();
}

async function syncProductStock(db: Db, skuId: string, now: number): Promise<void> {
  const sku = await db.selectFrom('skus').select('product_id').where('id', '=', skuId).executeTakeFirst();
  if (!sku) return;
  await db
    .updateTable('products')
    .set((eb) => ({
      stock: eb
        .selectFrom('skus')
        .select((s) => s.fn.coalesce(s.fn.sum<number>('stock'), s.lit(0)).as('total'))
        .where('product_id', '=', sku.product_id),
      updated_at: now,
    }))
    .where('id', '=', sku.product_id)
    .execute();
}

export async function setStock(ctx: Ctx, skuId: string, stock: number): Promise<SkuView> {
  requireRole(ctx, 'operator');
  if (!Number.isSafeInteger(stock) || stock < 0)
    throw badRequest('invalid_stock', '库存必须是非负整数', 'Stock must be a non-negative integer');
  const result = await ctx.db
    .updateTable('skus')
    .set({ stock })
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', skuId)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) throw notFound({ zh: 'SKU', en: 'SKU' });
  await syncProductStock(ctx.db, skuId, ctx.now);
  const sku = await ctx.db.selectFrom('skus').selectAll().where('id', '=', skuId).executeTakeFirstOrThrow();
  return {
    id: sku.id,
    spec: JSON.parse(sku.spec),
    price: sku.price,
    original_price: sku.original_price,
    stock: sku.stock,
  };
}

/** What an order needs of its SKUs: price, spec, title and whether the product is on sale, read together. */
export async function skusForOrder(ctx: Pick<Ctx, 'db' | 'merchantId'>, skuIds: readonly string[]) {
  if (skuIds.length === 0) return [];
  return ctx.db
    .selectFrom('skus')
    .innerJoin('products', 'products.id', 'skus.product_id')
    .select([
      'skus.id',
      'skus.price',
      'skus.spec',
      'products.id as product_id',
      'products.title',
      'products.status',
      'products.kind',
    ])
    .where('skus.merchant_id', '=', ctx.merchantId)
    .where('skus.id', 'in', skuIds)
    .execute();
}

/**
 * Moves a product's rating totals by a review's stars (added, hidden or shown again): deltas, so
 * concurrent reviews never lose one.
 */
export async function shiftRating(
  ctx: Pick<Ctx, 'db' | 'merchantId' | 'now'>,
  productId: string,
  stars: number,
  count: 1 | -1,
): Promise<void> {
  await ctx.db
    .updateTable('products')
    .set((eb) => ({
      rating_sum: eb('rating_sum', '+', stars * count),
      rating_count: eb('rating_count', '+', count),
      updated_at: ctx.now,
    }))
    .where('id', '=', productId)
    .where('merchant_id', '=', ctx.merchantId)
    .execute();
}

/** Counts units sold (a paid order, or history brought in from another shop). */
export async function addSales(
  ctx: Pick<Ctx, 'db' | 'merchantId' | 'now'>,
  productId: string,
  units: number,
) {
  if (!Number.isSafeInteger(units) || units <= 0) return;
  await ctx.db
    .updateTable('products')
    .set((eb) => ({ sales: eb('sales', '+', units), updated_at: ctx.now }))
    .where('id', '=', productId)
    .where('merchant_id', '=', ctx.merchantId)
    .execute();
}
