import { terms } from './segmenter.ts';

export interface IndexedProduct {
  id: string;
  kind: 'goods' | 'deal';
  title: string;
  subtitle: string;
  category: string;
  tags: string[];
  status: string;
  price: number;
  original_price: number;
  stock: number;
  sales: number;
  rating_sum: number;
  rating_count: number;
  city: string | null;
  valid_until: number | null;
  updated_at: number;
}

/** A term's postings as two parallel typed arrays: scanning thousands of them stays cache-friendly. */
class PostingList {
  docs = new Int32Array(4);
  weights = new Float32Array(4);
  length = 0;

  push(doc: number, weight: number): void {
    if (this.length === this.docs.length) {
      const docs = new Int32Array(this.length * 2);
      docs.set(this.docs);
      this.docs = docs;
      const weights = new Float32Array(this.length * 2);
      weights.set(this.weights);
      this.weights = weights;
    }
    this.docs[this.length] = doc;
    this.weights[this.length] = weight;
    this.length++;
  }
}

// Where a word appears matters: a title hit says more than a tag hit.
const FIELD_WEIGHTS = { title: 3, subtitle: 1, category: 2, tags: 2 } as const;
const SYNONYM_WEIGHT = 0.8;

export interface SearchHit {
  product: IndexedProduct;
  score: number;
}

/**
 * One merchant's products as an in-memory inverted index. Edits replace a product's postings
 * (old entry tombstoned, new one appended) instead of rebuilding; compaction runs when a fifth
 * of the entries are dead.
 */
export class SearchIndex {
  private docs: Array<IndexedProduct | null> = [];
  private byId = new Map<string, number>();
  private postings = new Map<string, PostingList>();
  private dead = 0;
  private scores = new Float64Array(0);
  /** The newest `updated_at` applied: the next refresh reads rows changed since. */
  watermark = 0;

  get size(): number {
    return this.byId.size;
  }

  /** Indexes a product; `ifChanged` skips one already indexed at this `updated_at` (a re-read row). */
  upsert(product: IndexedProduct, ifChanged = false): void {
    const current = this.byId.get(product.id);
    if (ifChanged && current !== undefined && this.docs[current]?.updated_at === product.updated_at) return;
    this.remove(product.id);
    const doc = this.docs.length;
    this.docs.push(product);
    this.byId.set(product.id, doc);
    const weights = new Map<string, number>();
    const add = (text: string, weight: number) => {
      for (const term of terms(text)) weights.set(term, (weights.get(term) ?? 0) + weight);
    };
    add(product.title, FIELD_WEIGHTS.title);
    add(product.subtitle, FIELD_WEIGHTS.subtitle);
    add(product.category.replaceAll('/', ' '), FIELD_WEIGHTS.category);
    for (const tag of product.tags) add(tag, FIELD_WEIGHTS.tags);
    for (const [term, weight] of weights) {
      let list = this.postings.get(term);
      if (!list) {
        list = new PostingList();
        this.postings.set(term, list);
      }
      list.push(doc, weight);
    }
    if (product.updated_at > this.watermark) this.watermark = product.updated_at;
    if (this.dead > 1000 && this.dead > this.docs.length / 5) this.compact();
  }

  remove(id: string): void {
    const doc = this.byId.get(id);
    if (doc === undefined) return;
    this.docs[doc] = null;
    this.byId.delete(id);
    this.dead++;
  }

  /**
   * Products matching the query's words (and their synonyms), on sale and in stock first, then by
   * relevance (field weight × rarity of the word), then by sales.
   */
  search(
    query: string,
    options: {
      limit: number;
      synonyms?: ReadonlyMap<string, readonly string[]>;
      onSaleOnly?: boolean;
      kind?: 'goods' | 'deal';
    },
  ): SearchHit[] {
    const weighted = new Map<string, number>();
    for (const term of terms(query)) {
      weighted.set(term, 1);
      for (const alt of options.synonyms?.get(term) ?? [])
        if (!weighted.has(alt)) weighted.set(alt, SYNONYM_WEIGHT);
    }
    if (weighted.size === 0) return [];
    if (this.scores.length < this.docs.length)
      this.scores = new Float64Array(Math.max(this.docs.length * 2, 1024));
    const scores = this.scores;
    const touched: number[] = [];
    const total = Math.max(this.size, 1);
    for (const [term, queryWeight] of weighted) {
      const list = this.postings.get(term);
      if (!list) continue;
      const factor = Math.log(1 + total / list.length) * queryWeight;
      const { docs, weights, length } = list;
      for (let i = 0; i < length; i++) {
        const doc = docs[i]!;
        if (scores[doc] === 0) touched.push(doc);
        scores[doc]! += weights[i]! * factor;
      }
    }
    // Keep only the best `limit` while scanning: a common word can touch thousands of products.
    const best: SearchHit[] = [];
    for (const doc of touched) {
      const product = this.docs[doc];
      const score = scores[doc]!;
      scores[doc] = 0;
      if (!product) continue;
      if (options.onSaleOnly !== false && product.status !== 'on_sale') continue;
      if (options.kind && product.kind !== options.kind) continue;
      const worst = best[best.length - 1];
      if (best.length === options.limit && worst && !outranks(product, score, worst)) continue;
      let i = best.length === options.limit ? best.length - 1 : best.length;
      while (i > 0 && outranks(product, score, best[i - 1]!)) {
        best[i] = best[i - 1]!;
        i--;
      }
      best[i] = { product, score };
    }
    return best;
  }

  private compact(): void {
    const live = this.docs.filter((d): d is IndexedProduct => d !== null);
    this.docs = [];
    this.byId.clear();
    this.postings.clear();
    this.dead = 0;
    const watermark = this.watermark;
    for (const product of live) this.upsert(product);
    this.watermark = watermark;
  }
}

/** On sale and in stock first, then relevance, then sales, then id (for a stable order). */
function outranks(product: IndexedProduct, score: number, other: SearchHit): boolean {
  const mine = (product.status === 'on_sale' ? 2 : 0) + (product.stock > 0 ? 1 : 0);
  const theirs = (other.product.status === 'on_sale' ? 2 : 0) + (other.product.stock > 0 ? 1 : 0);
  if (mine !== theirs) return mine > theirs;
  if (score !== other.score) return score > other.score;
  if (product.sales !== other.product.sales) return product.sales > other.product.sales;
  return product.id < other.product.id;
}
