import { PostgresAdapter } from 'kysely';
import type { Ctx } from '../../context.ts';
import type { Db } from '../../database.ts';
import type { AppDeps } from '../../deps.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { expiringMap } from '../../platform/cache/cache.ts';
import { badRequest, notFound } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { ProductKind } from './catalog.schema.ts';
import { entryFor, type Groups, type Hit, INDEX_COLUMNS, type SearchEngine } from './search-engine.ts';
import { postgresSearch } from './search-postgres.ts';
import { sqliteSearch } from './search-sqlite.ts';
import { addWords, terms } from './segmenter.ts';

const engine = (db: Db): SearchEngine =>
  db.getExecutor().adapter instanceof PostgresAdapter ? postgresSearch : sqliteSearch;

/**
 * Brings a product's search entry up to date with its row. Call it in the transaction that
 * writes the row, so every process sees the edit once it commits, and a rollback undoes both.
 */
export async function indexProduct(db: Db, merchantId: string, productId: string): Promise<void> {
  const row = await db
    .selectFrom('products')
    .select([...INDEX_COLUMNS])
    .where('merchant_id', '=', merchantId)
    .where('id', '=', productId)
    .executeTakeFirst();
  // A service (a paid membership) is sold on its own page, never found by search.
  if (!row || row.kind === 'service') return;
  await engine(db).write(db, entryFor({ ...row, kind: row.kind }));
}

export interface SearchResult {
  id: string;
  kind: ProductKind;
  title: string;
  subtitle: string;
  price: number;
  original_price: number;
  in_stock: boolean;
  sales: number;
  rating: number | null;
  rating_count: number;
  /** 3: every word in the title, category or tags; 2: every word somewhere; 1: some words. */
  score: number;
}

const TIER_SCORE = { strong: 3, all: 2, some: 1 } as const;

interface Plan {
  /** The query's words (not their parts), each with the merchant's synonyms for it. */
  groups: Groups;
  /** The same without the words no product holds, a missing word replaced by its parts. */
  refine(): Promise<Groups>;
}

/**
 * The query as groups of alternatives. Jieba's search mode also yields the parts of long words
 * (连衣裙 → 连衣, 衣裙); a part stands in only when the whole word is found in no product.
 */
async function plan(ctx: SearchCtx, query: string): Promise<Plan> {
  const { db, merchantId } = ctx;
  const synonyms = await synonymsOf(ctx);
  let words = terms(query);
  const lowered = query.toLowerCase();
  const unknown = [...synonyms.keys()].filter(
    (w) => lowered.includes(w) && !words.includes(w) && !/\s/.test(w),
  );
  if (unknown.length) {
    // A merchant's own word (a brand, a nickname) jieba does not know: teach it, cut again.
    addWords(unknown);
    words = terms(query);
  }
  const group = (word: string) => [word, ...(synonyms.get(word) ?? [])];
  const partsOf = (word: string) => words.filter((w) => w !== word && word.includes(w));
  const whole = words.filter((w) => !words.some((other) => other !== w && other.includes(w)));
  return {
    groups: whole.map(group),
    async refine() {
      const found = await engine(db).probe(db, merchantId, whole.map(group));
      const groups: Groups = [];
      const parts: string[] = [];
      whole.forEach((word, i) => {
        if (found[i]) groups.push(group(word));
        else parts.push(...partsOf(word));
      });
      if (parts.length) {
        const unique = [...new Set(parts)];
        const partFound = await engine(db).probe(db, merchantId, unique.map(group));
        unique.forEach((word, i) => {
          if (partFound[i]) groups.push(group(word));
        });
      }
      return groups;
    },
  };
}

/**
 * Who searches: with the app's deps (and the time), the merchant's synonyms are read once per
 * SYNONYMS_TTL_MS, not on every search (a fan's every chat message is one).
 */
type SearchCtx = Pick<Ctx, 'db' | 'merchantId'> &
  Partial<Pick<Ctx, 'now'>> & { deps?: Pick<AppDeps, 'local'> };

/**
 * Fan-facing search: on-sale products holding the words of `query` (or their synonyms); in
 * stock first, then those holding every word, then by sales.
 *
 * `chat`: the query is a fan's chat message, whose words are mostly ones no product holds
 * ("面膜怎么用？"). Such words are dropped first (one probe), instead of running every tier
 * over them and then again without them. The result is the same either way.
 */
export async function searchProducts(
  ctx: SearchCtx,
  query: string,
  options: { limit?: number; kind?: 'goods' | 'deal'; chat?: boolean } = {},
): Promise<SearchResult[]> {
  const { groups, refine } = await plan(ctx, query);
  if (groups.length === 0) return [];
  const find = (g: Groups) =>
    engine(ctx.db).find(ctx.db, ctx.merchantId, g, { limit: options.limit ?? 8, kind: options.kind });
  let hits: Hit[];
  if (options.chat) {
    const refined = await refine();
    if (refined.length === 0) return [];
    hits = await find(refined);
  } else {
    hits = await find(groups);
    // Most queries fill the page with products holding every word. When they do not, a chat word
    // no product holds ("有没有黑色的风衣": 有没有) may be what kept them out: drop such words, retry.
    if (hits.length < (options.limit ?? 8) || hits.some((h) => h.tier === 'some')) {
      const refined = await refine();
      if (refined.length === 0) return [];
      if (refined.length !== groups.length || refined.some((g, i) => g[0] !== groups[i]![0]))
        hits = await find(refined);
    }
  }
  if (hits.length === 0) return [];
  const rows = await ctx.db
    .selectFrom('products')
    .select([
      'id',
      'merchant_id',
      'status',
      'kind',
      'title',
      'subtitle',
      'price',
      'original_price',
      'stock',
      'sales',
      'rating_sum',
      'rating_count',
    ])
    .where(
      'id',
      'in',
      hits.map((h) => h.productId),
    )
    .execute();
  // Checked here, not in SQL: with them there, SQLite would walk the merchant's products index.
  const byId = new Map(
    rows.filter((r) => r.merchant_id === ctx.merchantId && r.status === 'on_sale').map((r) => [r.id, r]),
  );
  return hits.flatMap(({ productId, tier }) => {
    const p = byId.get(productId);
    if (!p) return [];
    return [
      {
        id: p.id,
        kind: p.kind,
        title: p.title,
        subtitle: p.subtitle,
        price: p.price,
        original_price: p.original_price,
        in_stock: p.stock > 0,
        sales: p.sales,
        rating: p.rating_count ? Math.round((p.rating_sum / p.rating_count) * 10) / 10 : null,
        rating_count: p.rating_count,
        score: TIER_SCORE[tier],
      },
    ];
  });
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
  synonymCache(ctx.deps).delete(ctx.merchantId);
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
  synonymCache(ctx.deps).delete(ctx.merchantId);
}

/** Synonym edits in this app show at once; another process's within this long. */
const SYNONYMS_TTL_MS = 5_000;

const synonymCache = (deps: Pick<AppDeps, 'local'>) =>
  deps.local.slot('catalog.synonyms', () => expiringMap<Map<string, string[]>>(SYNONYMS_TTL_MS));

async function synonymsOf(ctx: SearchCtx): Promise<Map<string, string[]>> {
  if (!ctx.deps || ctx.now === undefined) return loadSynonyms(ctx.db, ctx.merchantId);
  const cache = synonymCache(ctx.deps);
  const hit = cache.get(ctx.merchantId, ctx.now);
  if (hit) return hit;
  const loaded = await loadSynonyms(ctx.db, ctx.merchantId);
  cache.set(ctx.merchantId, loaded, ctx.now);
  return loaded;
}

/** Each word to the other words of its groups: a few rows. */
async function loadSynonyms(db: Db, merchantId: string): Promise<Map<string, string[]>> {
  const groups = await db
    .selectFrom('search_synonyms')
    .select('words')
    .where('merchant_id', '=', merchantId)
    .execute();
  const map = new Map<string, string[]>();
  for (const { words } of groups) {
    const clean = (JSON.parse(words) as string[]).map((w) => w.trim().toLowerCase()).filter(Boolean);
    for (const word of clean)
      map.set(word, [...new Set([...(map.get(word) ?? []), ...clean.filter((w) => w !== word)])]);
  }
  return map;
}
