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
 * some groups. The tiers are disjoint, so their queries can be chained without de-duplicating.
 */
export type Tier = 'strong' | 'all' | 'some';
export const TIERS: readonly Tier[] = ['strong', 'all', 'some'];

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
