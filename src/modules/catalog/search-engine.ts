import type { Db } from '../../database.ts';
import { terms } from './segmenter.ts';

/**
 * What the search index holds for one product: its jieba terms by field strength and the
 * static rank (in stock, sales) that orders matches, so a broad word stops after the first few.
 */
export interface IndexEntry {
  productId: string;
  merchantId: string;
  kind: 'goods' | 'deal';
  /** Off-shelf and draft products are taken out of the index: fans never find them. */
  onSale: boolean;
  inStock: boolean;
  sales: number;
  /** Title, category and tags: a word here says what the product is. */
  strong: string[];
  /** The subtitle: a word here only describes it. */
  weak: string[];
}

/** A query as groups of alternatives (a word and its synonyms); a product matches a group by any. */
export type Groups = string[][];

/**
 * How good a match is, best first: every group in the strong fields, every group somewhere,
 * some groups. Each tier holds the one before it, so a tier's query asks for as many more rows
 * as were already found and skips those: no NOT in the engine's query, whose cost the planner
 * cannot guess and which would walk every product when it matches nothing.
 */
export type Tier = 'strong' | 'all' | 'some';
export const TIERS: readonly Tier[] = ['strong', 'all', 'some'];

/**
 * Runs the tiers of one stock range in order until `hits` holds `limit`. `query` returns ids
 * in static-rank order, at most `take`, or null when the tier does not apply.
 */
export async function fillTiers(
  hits: Hit[],
  limit: number,
  query: (tier: Tier, take: number) => Promise<string[] | null>,
): Promise<void> {
  const inRange = new Set<string>();
  for (const tier of TIERS) {
    const left = limit - hits.length;
    if (left <= 0) return;
    const ids = await query(tier, left + inRange.size);
    if (!ids) continue;
    for (const productId of ids) {
      if (inRange.has(productId) || hits.length >= limit) continue;
      inRange.add(productId);
      hits.push({ productId, tier });
    }
  }
}

export interface Hit {
  productId: string;
  tier: Tier;
}

/** One file per dialect: each speaks its own engine (SQLite FTS5, PostgreSQL tsvector + GIN). */
export interface SearchEngine {
  write(db: Db, entry: IndexEntry): Promise<void>;
  /** For each group: does any of this merchant's indexed products match it? */
  probe(db: Db, merchantId: string, groups: Groups): Promise<boolean[]>;
  /** In stock first, then tier, then static rank; at most `limit`. */
  find(
    db: Db,
    merchantId: string,
    groups: Groups,
    options: { limit: number; kind?: 'goods' | 'deal' },
  ): Promise<Hit[]>;
}

/** Sales above this rank alike: it keeps the rank within the bits each engine gives it. */
export const SALES_CAP = 2 ** 21 - 1;

/** The product columns the index is made of. */
export interface IndexSource {
  id: string;
  merchant_id: string;
  kind: 'goods' | 'deal';
  title: string;
  subtitle: string;
  category: string;
  /** JSON array, as stored. */
  tags: string;
  status: string;
  stock: number;
  sales: number;
}

export const INDEX_COLUMNS = [
  'id',
  'merchant_id',
  'kind',
  'title',
  'subtitle',
  'category',
  'tags',
  'status',
  'stock',
  'sales',
] as const;

export function entryFor(row: IndexSource): IndexEntry {
  const tags = JSON.parse(row.tags) as string[];
  const strong = new Set([...terms(row.title), ...terms(row.category.replaceAll('/', ' '))]);
  for (const tag of tags) for (const term of terms(tag)) strong.add(term);
  return {
    productId: row.id,
    merchantId: row.merchant_id,
    kind: row.kind,
    onSale: row.status === 'on_sale',
    inStock: row.stock > 0,
    sales: row.sales,
    strong: [...strong],
    weak: terms(row.subtitle).filter((t) => !strong.has(t)),
  };
}
