import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { parseCsv, toCsv } from '../../platform/csv.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { AppError, badRequest } from '../../platform/http/errors.ts';
import { fenToYuan, yuanToFen } from '../../platform/money.ts';
import type { ProductKind, ProductStatus } from './catalog.schema.ts';
import {
  createProduct,
  listProducts,
  type ProductInput,
  type SkuInput,
  updateProduct,
} from './products.service.ts';
import { forgetSearchIndex } from './search.service.ts';

/** One row per SKU; rows sharing product_id (or, for new products, the title) are one product. */
export const CSV_COLUMNS = [
  'product_id',
  'title',
  'kind',
  'status',
  'category',
  'tags',
  'city',
  'sku_id',
  'spec',
  'price',
  'original_price',
  'stock',
] as const;

export async function exportProductsCsv(ctx: Ctx): Promise<string> {
  const rows: Array<Array<string | number | null>> = [[...CSV_COLUMNS]];
  let cursor: string | undefined;
  do {
    const page = await listProducts(ctx, { limit: 200, cursor });
    for (const p of page.items) {
      for (const sku of p.skus) {
        const spec = Object.entries(sku.spec)
          .map(([k, v]) => `${k}:${v}`)
          .join(';');
        rows.push([
          p.id,
          p.title,
          p.kind,
          p.status,
          p.category,
          p.tags.join('|'),
          p.city,
          sku.id,
          spec,
          fenToYuan(sku.price),
          fenToYuan(sku.original_price),
          sku.stock,
        ]);
      }
    }
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return toCsv(rows);
}

class ImportLineError extends Error {
  readonly line: number;
  constructor(line: number, message: string) {
    super(message);
    this.line = line;
  }
}

export interface ImportResult {
  created: number;
  updated: number;
  errors: Array<{ line: number; message: string }>;
}

const KINDS = new Set(['goods', 'deal']);
const STATUSES = new Set(['draft', 'on_sale', 'off_shelf']);

/**
 * Imports products from CSV. Every line is checked first; if any is wrong nothing is written and
 * each error names its line, so a fixed file can simply be imported again.
 */
export async function importProductsCsv(ctx: Ctx, text: string): Promise<ImportResult> {
  requireRole(ctx, 'operator');
  const rows = parseCsv(text);
  const header = rows.shift()?.map((h) => h.trim());
  if (!header?.includes('title') || !header.includes('price')) {
    throw badRequest(
      'invalid_csv',
      'CSV 需要表头，至少包含 title 与 price 列',
      'The CSV needs a header with at least title and price',
    );
  }
  if (rows.length > 20_000)
    throw badRequest('csv_too_large', '一次最多导入 20000 行', 'At most 20,000 rows per import');
  const errors: ImportResult['errors'] = [];
  const products = new Map<string, { id: string | null; input: ProductInput; line: number }>();
  rows.forEach((cells, index) => {
    const line = index + 2;
    const get = (name: (typeof CSV_COLUMNS)[number]) => (cells[header.indexOf(name)] ?? '').trim();
    try {
      const title = get('title');
      if (!title) throw new Error('title is empty');
      const kind = get('kind') || 'goods';
      if (!KINDS.has(kind)) throw new Error(`kind must be goods or deal, got "${kind}"`);
      const status = get('status') || 'draft';
      if (!STATUSES.has(status))
        throw new Error(`status must be draft, on_sale or off_shelf, got "${status}"`);
      const stock = Number(get('stock') || '0');
      if (!Number.isSafeInteger(stock) || stock < 0)
        throw new Error(`stock must be a whole number, got "${get('stock')}"`);
      const price = yuanToFen(get('price'));
      const original = get('original_price') ? yuanToFen(get('original_price')) : price;
      const spec = Object.fromEntries(
        get('spec')
          .split(';')
          .map((pair) => pair.split(':').map((s) => s.trim()))
          .filter((pair): pair is [string, string] => pair.length === 2 && Boolean(pair[0])),
      );
      const sku: SkuInput = {
        ...(get('sku_id') ? { id: get('sku_id') } : {}),
        spec,
        price,
        original_price: original,
        stock,
      };
      const key = get('product_id') || `title:${title}`;
      const existing = products.get(key);
      if (existing) {
        existing.input.skus.push(sku);
      } else {
        products.set(key, {
          id: get('product_id') || null,
          line,
          input: {
            title,
            kind: kind as ProductKind,
            status: status as ProductStatus,
            category: get('category'),
            tags: get('tags')
              ? get('tags')
                  .split('|')
                  .map((t) => t.trim())
                  .filter(Boolean)
              : [],
            city: get('city') || null,
            skus: [sku],
          },
        });
      }
    } catch (error) {
      errors.push({
        line,
        message: error instanceof RangeError ? `price: ${error.message}` : (error as Error).message,
      });
    }
  });
  if (errors.length) return { created: 0, updated: 0, errors };
  let created = 0;
  let updated = 0;
  try {
    await inTransaction(ctx.db, async (trx) => {
      const tx = { ...ctx, db: trx };
      for (const { id, input, line } of products.values()) {
        try {
          if (id) await updateProduct(tx, id, input);
          else await createProduct(tx, input);
        } catch (error) {
          throw new ImportLineError(
            line,
            error instanceof AppError ? error.text.en : (error as Error).message,
          );
        }
        if (id) updated++;
        else created++;
      }
    });
  } catch (error) {
    // The search index saw rows that were rolled back: have it reload from the database.
    forgetSearchIndex(ctx.merchantId);
    if (error instanceof ImportLineError)
      return { created: 0, updated: 0, errors: [{ line: error.line, message: error.message }] };
    throw error;
  }
  return { created, updated, errors };
}
