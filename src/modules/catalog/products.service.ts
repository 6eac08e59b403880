import type { Ctx } from '../../context.ts';
import type { Db } from '../../database.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { badRequest, notFound } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { ProductKind, ProductStatus, ProductsTable, SkusTable } from './catalog.schema.ts';
import { productChanged } from './search.service.ts';

export interface SkuInput {
  id?: string;
  spec: Record<string, string>;
  price: number;
  original_price?: number;
  stock: number;
}

export interface ProductInput {
  kind?: ProductKind;
  title: string;
  subtitle?: string;
  description?: string;
  category?: string;
  tags?: string[];
  images?: string[];
  status?: ProductStatus;
  guide_install?: string | null;
  guide_maintenance?: string | null;
  city?: string | null;
  valid_from?: number | null;
  valid_until?: number | null;
  store_ids?: string[];
  skus: SkuInput[];
}

export interface SkuView {
  id: string;
  spec: Record<string, string>;
  price: number;
  original_price: number;
  stock: number;
}

export type ProductView = Omit<ProductsTable, 'tags' | 'images'> & {
  tags: string[];
  images: string[];
  skus: SkuView[];
  store_ids: string[];
  rating: number | null;
};

const NOT_FOUND = { zh: '商品', en: 'Product' };

function validate(input: ProductInput): void {
  if (input.skus.length === 0)
    throw badRequest('sku_required', '至少需要一个规格（SKU）', 'A product needs at least one SKU');
  for (const sku of input.skus) {
    if (!Number.isSafeInteger(sku.price) || sku.price < 0)
      throw badRequest(
        'invalid_price',
        '价格必须是非负整数（分）',
        'Price must be a non-negative integer of fen',
      );
    if (!Number.isSafeInteger(sku.stock) || sku.stock < 0)
      throw badRequest('invalid_stock', '库存必须是非负整数', 'Stock must be a non-negative integer');
  }
  const specs = new Set(input.skus.map((s) => specText(s.spec)));
  if (specs.size !== input.skus.length)
    throw badRequest('duplicate_sku', '规格组合重复', 'Two SKUs have the same spec');
  if (input.kind === 'deal' && !input.city)
    throw badRequest('city_required', '团购券需要指定城市', 'A deal needs a city');
  if (input.valid_from && input.valid_until && input.valid_until <= input.valid_from) {
    throw badRequest('invalid_window', '有效期结束时间必须晚于开始时间', 'Validity must end after it starts');
  }
}

export function specText(spec: Record<string, string>): string {
  return Object.entries(spec)
    .map(([k, v]) => `${k}:${v}`)
    .join(' / ');
}

function rollup(skus: readonly SkuInput[]) {
  const cheapest = skus.reduce((a, b) => (b.price < a.price ? b : a));
  return {
    price: cheapest.price,
    original_price: cheapest.original_price ?? cheapest.price,
    stock: skus.reduce((sum, s) => sum + s.stock, 0),
  };
}

/** The product columns an operator edits, with their defaults. */
function editableColumns(input: ProductInput) {
  return {
    kind: input.kind ?? 'goods',
    title: input.title,
    subtitle: input.subtitle ?? '',
    description: input.description ?? '',
    category: input.category ?? '',
    tags: JSON.stringify(input.tags ?? []),
    images: JSON.stringify(input.images ?? []),
    status: input.status ?? 'draft',
    guide_install: input.guide_install ?? null,
    guide_maintenance: input.guide_maintenance ?? null,
    city: input.city ?? null,
    valid_from: input.valid_from ?? null,
    valid_until: input.valid_until ?? null,
  } as const;
}

export async function createProduct(ctx: Ctx, input: ProductInput): Promise<ProductView> {
  requireRole(ctx, 'operator');
  validate(input);
  const id = newId('prd', ctx.now);
  await inTransaction(ctx.db, async (trx) => {
    await checkStores(trx, ctx.merchantId, input.store_ids ?? []);
    await trx
      .insertInto('products')
      .values({
        id,
        merchant_id: ctx.merchantId,
        ...editableColumns(input),
        ...rollup(input.skus),
        sales: 0,
        rating_sum: 0,
        rating_count: 0,
        created_at: ctx.now,
        updated_at: ctx.now,
      })
      .execute();
    await writeSkus(trx, ctx, id, input.skus);
    await writeStores(trx, ctx.merchantId, id, input.store_ids ?? []);
  });
  const product = await getProduct(ctx, id);
  productChanged(ctx.merchantId, product);
  return product;
}

async function checkStores(db: Db, merchantId: string, storeIds: string[]): Promise<void> {
  if (storeIds.length === 0) return;
  const found = await db
    .selectFrom('stores')
    .select('id')
    .where('merchant_id', '=', merchantId)
    .where('id', 'in', storeIds)
    .execute();
  if (found.length !== new Set(storeIds).size) throw notFound({ zh: '门店', en: 'Store' });
}

async function writeStores(db: Db, merchantId: string, productId: string, storeIds: string[]): Promise<void> {
  await db.deleteFrom('product_stores').where('product_id', '=', productId).execute();
  if (storeIds.length) {
    await db
      .insertInto('product_stores')
      .values(
        [...new Set(storeIds)].map((store_id) => ({
          product_id: productId,
          store_id,
          merchant_id: merchantId,
        })),
      )
      .execute();
  }
}

/** Replaces the SKU list, keeping the ids (and so the orders' references) of SKUs that stay. */
async function writeSkus(db: Db, ctx: Ctx, productId: string, skus: SkuInput[]): Promise<void> {
  const keep = skus.map((s) => s.id).filter((id): id is string => Boolean(id));
  let removal = db.deleteFrom('skus').where('product_id', '=', productId);
  if (keep.length) removal = removal.where('id', 'not in', keep);
  await removal.execute();
  for (const sku of skus) {
    const values = {
      spec: JSON.stringify(sku.spec),
      price: sku.price,
      original_price: sku.original_price ?? sku.price,
      stock: sku.stock,
    };
    if (sku.id) {
      const updated = await db
        .updateTable('skus')
        .set(values)
        .where('id', '=', sku.id)
        .where('product_id', '=', productId)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) throw notFound({ zh: 'SKU', en: 'SKU' });
    } else {
      await db
        .insertInto('skus')
        .values({
          id: newId('sku', ctx.now),
          merchant_id: ctx.merchantId,
          product_id: productId,
          created_at: ctx.now,
          ...values,
        })
        .execute();
    }
  }
}

export async function updateProduct(
  ctx: Ctx,
  id: string,
  patch: Partial<ProductInput>,
): Promise<ProductView> {
  requireRole(ctx, 'operator');
  const current = await getProduct(ctx, id);
  const next: ProductInput = { ...current, ...patch, skus: patch.skus ?? current.skus };
  validate(next);
  await inTransaction(ctx.db, async (trx) => {
    if (patch.store_ids) await checkStores(trx, ctx.merchantId, patch.store_ids);
    await trx
      .updateTable('products')
      .set({
        ...editableColumns(next),
        ...(patch.skus ? rollup(patch.skus) : {}),
        updated_at: ctx.now,
      })
      .where('merchant_id', '=', ctx.merchantId)
      .where('id', '=', id)
      .execute();
    if (patch.skus) await writeSkus(trx, ctx, id, patch.skus);
    if (patch.store_ids) await writeStores(trx, ctx.merchantId, id, patch.store_ids);
  });
  const product = await getProduct(ctx, id);
  productChanged(ctx.merchantId, product);
  return product;
}

function toView(row: ProductsTable, skus: SkusTable[], storeIds: string[]): ProductView {
  return {
    ...row,
    tags: JSON.parse(row.tags) as string[],
    images: JSON.parse(row.images) as string[],
    skus: skus.map((s) => ({
      id: s.id,
      spec: JSON.parse(s.spec) as Record<string, string>,
      price: s.price,
      original_price: s.original_price,
      stock: s.stock,
    })),
    store_ids: storeIds,
    rating: row.rating_count ? Math.round((row.rating_sum / row.rating_count) * 10) / 10 : null,
  };
}

export async function getProduct(ctx: Pick<Ctx, 'db' | 'merchantId'>, id: string): Promise<ProductView> {
  const row = await ctx.db
    .selectFrom('products')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound(NOT_FOUND);
  const [skus, stores] = await Promise.all([
    ctx.db
      .selectFrom('skus')
      .selectAll()
      .where('product_id', '=', id)
      .orderBy('created_at')
      .orderBy('id')
      .execute(),
    ctx.db.selectFrom('product_stores').select('store_id').where('product_id', '=', id).execute(),
  ]);
  return toView(
    row,
    skus,
    stores.map((s) => s.store_id),
  );
}

export interface ProductFilter {
  status?: ProductStatus;
  kind?: ProductKind;
  category?: string;
  city?: string;
  q?: string;
  limit: number;
  cursor?: string;
}

/** A page of products (newest first), then their SKUs and stores in two bounded queries. */
export async function listProducts(
  ctx: Ctx,
  filter: ProductFilter,
): Promise<{ items: ProductView[]; next_cursor: string | null }> {
  let query = ctx.db.selectFrom('products').selectAll().where('merchant_id', '=', ctx.merchantId);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.kind) query = query.where('kind', '=', filter.kind);
  if (filter.city) query = query.where('city', '=', filter.city);
  if (filter.category) query = query.where('category', 'like', `${filter.category.replace(/[%_]/g, '')}%`);
  if (filter.q) query = query.where('title', 'like', `%${filter.q.replace(/[%_]/g, '')}%`);
  if (filter.cursor) query = query.where('id', '<', filter.cursor);
  const rows = await query
    .orderBy('id', 'desc')
    .limit(filter.limit + 1)
    .execute();
  const page = rows.slice(0, filter.limit);
  const ids = page.map((r) => r.id);
  const [skus, stores] = ids.length
    ? await Promise.all([
        ctx.db
          .selectFrom('skus')
          .selectAll()
          .where('product_id', 'in', ids)
          .orderBy('created_at')
          .orderBy('id')
          .execute(),
        ctx.db.selectFrom('product_stores').selectAll().where('product_id', 'in', ids).execute(),
      ])
    : [[], []];
  const items = page.map((row) =>
    toView(
      row,
      skus.filter((s) => s.product_id === row.id),
      stores.filter((s) => s.product_id === row.id).map((s) => s.store_id),
    ),
  );
  return { items, next_cursor: rows.length > filter.limit ? (page.at(-1)?.id ?? null) : null };
}
