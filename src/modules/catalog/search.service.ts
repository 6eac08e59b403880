import type { Ctx } from '../../context.ts';
import type { Db } from '../../database.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { badRequest, notFound } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { ProductsTable } from './catalog.schema.ts';
import { type IndexedProduct, type SearchHit, SearchIndex } from './search-index.ts';
import { addWords, terms } from './segmenter.ts';

/** How stale another process's edits may be here: the index re-reads changed rows this often. */
const REFRESH_INTERVAL_MS = 1_000;

interface MerchantSearch {
  index: SearchIndex;
  synonyms: Map<string, string[]>;
  checkedAt: number;
  loading: Promise<void> | null;
}

const merchants = new Map<string, MerchantSearch>();

type IndexSource = Omit<Pick<ProductsTable, keyof IndexedProduct>, 'tags'> & { tags: string | string[] };

function indexed(row: IndexSource): IndexedProduct {
  const { tags, ...rest } = row;
  return {
    id: rest.id,
    kind: rest.kind,
    title: rest.title,
    subtitle: rest.subtitle,
    category: rest.category,
    status: rest.status,
    price: rest.price,
    original_price: rest.original_price,
    stock: rest.stock,
    sales: rest.sales,
    rating_sum: rest.rating_sum,
    rating_count: rest.rating_count,
    city: rest.city,
    valid_until: rest.valid_until,
    updated_at: rest.updated_at,
    tags: typeof tags === 'string' ? (JSON.parse(tags) as string[]) : tags,
  };
}

const INDEX_COLUMNS = [
  'id',
  'kind',
  'title',
  'subtitle',
  'category',
  'tags',
  'status',
  'price',
  'original_price',
  'stock',
  'sales',
  'rating_sum',
  'rating_count',
  'city',
  'valid_until',
  'updated_at',
] as const;

/**
 * Transactions commit within this long of their `updated_at`: rows newer than the watermark minus
 * this are read again, so a write that committed just after the last read is never missed.
 */
const COMMIT_SKEW_MS = 2_000;

/** Applies rows changed since the index's watermark (all rows on first use), and the synonyms. */
async function refresh(db: Db, merchantId: string, state: MerchantSearch, now: number): Promise<void> {
  const since = state.index.size === 0 ? -1 : Math.min(state.index.watermark, now - COMMIT_SKEW_MS);
  const rows = await db
    .selectFrom('products')
    .select(INDEX_COLUMNS)
    .where('merchant_id', '=', merchantId)
    .where('updated_at', '>', since)
    .execute();
  for (const row of rows) state.index.upsert(indexed(row), true);
  state.synonyms = await loadSynonyms(db, merchantId);
}

function synonymMap(groups: string[][]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const group of groups) {
    const words = group.map((w) => w.trim().toLowerCase()).filter(Boolean);
    addWords(words);
    for (const word of words)
      map.set(word, [...new Set([...(map.get(word) ?? []), ...words.filter((w) => w !== word)])]);
  }
  return map;
}

async function searchState(db: Db, merchantId: string, now: number): Promise<MerchantSearch> {
  let state = merchants.get(merchantId);
  if (!state) {
    state = { index: new SearchIndex(), synonyms: new Map(), checkedAt: 0, loading: null };
    merchants.set(merchantId, state);
  }
  if (now - state.checkedAt >= REFRESH_INTERVAL_MS) {
    state.checkedAt = now;
    const current = state;
    state.loading ??= refresh(db, merchantId, current, now).finally(() => {
      current.loading = null;
    });
  }
  // The first load must finish; later refreshes run while searches use the current index.
  if (state.index.size === 0 && state.loading) await state.loading;
  return state;
}

/** Called after a product is written in this process, so its own edits show at once. */
export function productChanged(merchantId: string, product: IndexSource): void {
  merchants.get(merchantId)?.index.upsert(indexed(product));
}

export interface SearchResult {
  id: string;
  kind: 'goods' | 'deal';
  title: string;
  subtitle: string;
  price: number;
  original_price: number;
  in_stock: boolean;
  sales: number;
  rating: number | null;
  rating_count: number;
  score: number;
}

function toResult({ product, score }: SearchHit): SearchResult {
  return {
    id: product.id,
    kind: product.kind,
    title: product.title,
    subtitle: product.subtitle,
    price: product.price,
    original_price: product.original_price,
    in_stock: product.stock > 0,
    sales: product.sales,
    rating: product.rating_count ? Math.round((product.rating_sum / product.rating_count) * 10) / 10 : null,
    rating_count: product.rating_count,
    score: Math.round(score * 100) / 100,
  };
}

/** Fan-facing search: on-sale products matching the words of `query` (and their synonyms). */
export async function searchProducts(
  ctx: Pick<Ctx, 'db' | 'merchantId' | 'now'>,
  query: string,
  options: { limit?: number; kind?: 'goods' | 'deal' } = {},
): Promise<SearchResult[]> {
  const state = await searchState(ctx.db, ctx.merchantId, ctx.now);
  return state.index
    .search(query, { limit: options.limit ?? 8, synonyms: state.synonyms, kind: options.kind })
    .map(toResult);
}

export async function segmentPreview(query: string): Promise<string[]> {
  return terms(query);
}

export interface SynonymView {
  id: string;
  words: string[];
  created_at: number;
}

export async function listSynonyms(ctx: Ctx): Promise<SynonymView[]> {
  const rows = await ctx.db
    .selectFrom('search_synonyms')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .orderBy('created_at')
    .execute();
  return rows.map((r) => ({ id: r.id, words: JSON.parse(r.words) as string[], created_at: r.created_at }));
}

/** A synonym group: any of these words finds products described with the others. */
export async function addSynonyms(ctx: Ctx, words: string[]): Promise<SynonymView> {
  requireRole(ctx, 'operator');
  const clean = [...new Set(words.map((w) => w.trim()).filter(Boolean))];
  if (clean.length < 2)
    throw badRequest(
      'synonyms_need_two',
      '同义词组至少需要两个词',
      'A synonym group needs at least two words',
    );
  const row = {
    id: newId('syn', ctx.now),
    merchant_id: ctx.merchantId,
    words: JSON.stringify(clean),
    created_at: ctx.now,
  };
  await ctx.db.insertInto('search_synonyms').values(row).execute();
  await reloadSynonyms(ctx.db, ctx.merchantId);
  return { id: row.id, words: clean, created_at: row.created_at };
}

export async function deleteSynonyms(ctx: Ctx, id: string): Promise<void> {
  requireRole(ctx, 'operator');
  const result = await ctx.db
    .deleteFrom('search_synonyms')
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) throw notFound({ zh: '同义词', en: 'Synonym group' });
  await reloadSynonyms(ctx.db, ctx.merchantId);
}

/** Drops a merchant's index; the next search rebuilds it from the database. */
export function forgetSearchIndex(merchantId: string): void {
  merchants.delete(merchantId);
}

async function loadSynonyms(db: Db, merchantId: string): Promise<Map<string, string[]>> {
  const groups = await db
    .selectFrom('search_synonyms')
    .select('words')
    .where('merchant_id', '=', merchantId)
    .execute();
  return synonymMap(groups.map((g) => JSON.parse(g.words) as string[]));
}

/** This process's own synonym edits apply to the very next search. */
async function reloadSynonyms(db: Db, merchantId: string): Promise<void> {
  const state = merchants.get(merchantId);
  if (state) state.synonyms = await loadSynonyms(db, merchantId);
}
