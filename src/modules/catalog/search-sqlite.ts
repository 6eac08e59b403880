import { sql } from 'kysely';
import type { Db } from '../../database.ts';
import {
  fillTiers,
  type Groups,
  type Hit,
  SALES_CAP,
  type SearchEngine,
  type Tier,
} from './search-engine.ts';

/*
 * SQLite: an FTS5 table over jieba's terms whose rowid *is* the static rank:
 *   merchant key (20 bits) | in stock (1) | sales (21) | 2^21 − 1 − product sequence (21)
 * So one merchant's products are one rowid range, in-stock ones its upper half, and
 * `ORDER BY rowid DESC LIMIT n` walks matches best-first and stops after n: a word found in
 * 30,000 products costs what a word found in 8 does. A change of stock or sales moves the row.
 * Rowids pass 2^53, so they are computed in BigInt and never read back into JavaScript numbers.
 */

const SEQ_BITS = 21n;
const SALES_BITS = 21n;
const STOCK_SHIFT = SEQ_BITS + SALES_BITS;
const MERCHANT_SHIFT = STOCK_SHIFT + 1n;
const MAX_MERCHANT_KEY = 2 ** 20 - 1;
const MAX_SEQ = 2 ** 21 - 1;

function doc(key: number, seq: number, inStock: boolean, sales: number): bigint {
  const clamped = Math.min(Math.max(Math.trunc(sales), 0), SALES_CAP);
  return (
    (BigInt(key) << MERCHANT_SHIFT) |
    ((inStock ? 1n : 0n) << STOCK_SHIFT) |
    (BigInt(clamped) << SEQ_BITS) |
    BigInt(MAX_SEQ - seq)
  );
}

/** The rowid ranges of a merchant's in-stock and out-of-stock products, best first. */
function ranges(key: number): [[bigint, bigint], [bigint, bigint]] {
  const base = BigInt(key) << MERCHANT_SHIFT;
  const half = 1n << STOCK_SHIFT;
  return [
    [base + half, base + 2n * half - 1n],
    [base, base + half - 1n],
  ];
}

/** A term as an FTS5 string: the same tokenizer cuts it as it cut the indexed text. */
const phrase = (term: string) => `"${term.replaceAll('"', '""')}"`;
const alternatives = (group: string[]) =>
  group.length === 1 ? phrase(group[0]!) : `(${group.map(phrase).join(' OR ')})`;

function matchExpression(groups: Groups, tier: Tier, kind?: string): string | null {
  let expression: string;
  if (tier === 'strong') expression = groups.map((g) => `strong : ${alternatives(g)}`).join(' AND ');
  else if (tier === 'all') expression = groups.map(alternatives).join(' AND ');
  else if (groups.length < 2) return null;
  else expression = groups.map(alternatives).join(' OR ');
  return kind ? `kind : ${phrase(kind)} AND (${expression})` : expression;
}

async function merchantKey(db: Db, merchantId: string): Promise<number | null> {
  const { rows } = await sql<{ key: number }>`
    select key from search_merchants where merchant_id = ${merchantId}`.execute(db);
  return rows[0]?.key ?? null;
}

async function ensureMerchantKey(db: Db, merchantId: string): Promise<number> {
  const known = await merchantKey(db, merchantId);
  if (known !== null) return known;
  const { rows } = await sql<{ key: number }>`
    insert into search_merchants (merchant_id, key)
    select ${merchantId}, coalesce(max(key), 0) + 1 from search_merchants
    returning key`.execute(db);
  const key = rows[0]!.key;
  if (key > MAX_MERCHANT_KEY) throw new Error('search index: too many merchants for one SQLite file');
  return key;
}

export const sqliteSearch: SearchEngine = {
  async write(db, entry) {
    const key = await ensureMerchantKey(db, entry.merchantId);
    const { rows } = await sql<{ seq: number }>`
      select seq from product_search where product_id = ${entry.productId}`.execute(db);
    let seq = rows[0]?.seq;
    if (seq === undefined) {
      const next = await sql<{ seq: number }>`
        select coalesce(max(seq), -1) + 1 as seq from product_search
        where merchant_id = ${entry.merchantId}`.execute(db);
      seq = next.rows[0]!.seq;
      if (seq > MAX_SEQ) throw new Error('search index: too many products for one merchant');
      await sql`insert into product_search (product_id, merchant_id, seq, doc)
        values (${entry.productId}, ${entry.merchantId}, ${seq}, null)`.execute(db);
    } else {
      await sql`delete from product_search_fts
        where rowid = (select doc from product_search where product_id = ${entry.productId})`.execute(db);
    }
    if (!entry.onSale) {
      await sql`update product_search set doc = null where product_id = ${entry.productId}`.execute(db);
      return;
    }
    const rowid = doc(key, seq, entry.inStock, entry.sales);
    await sql`update product_search set doc = ${rowid} where product_id = ${entry.productId}`.execute(db);
    await sql`insert into product_search_fts (rowid, strong, weak, kind)
      values (${rowid}, ${entry.strong.join(' ')}, ${entry.weak.join(' ')}, ${entry.kind})`.execute(db);
  },

  async probe(db, merchantId, groups) {
    const key = await merchantKey(db, merchantId);
    if (key === null) return groups.map(() => false);
    const [[, hi], [lo]] = ranges(key);
    const found: boolean[] = [];
    for (const group of groups) {
      const { rows } = await sql<{ hit: number }>`
        select exists (select 1 from product_search_fts
          where product_search_fts match ${alternatives(group)} and rowid between ${lo} and ${hi}) as hit`.execute(
        db,
      );
      found.push(rows[0]?.hit === 1);
    }
    return found;
  },

  async find(db, merchantId, groups, { limit, kind }) {
    const key = await merchantKey(db, merchantId);
    if (key === null || groups.length === 0) return [];
    const hits: Hit[] = [];
    for (const [lo, hi] of ranges(key)) {
      await fillTiers(hits, limit, async (tier, take) => {
        const match = matchExpression(groups, tier, kind);
        if (!match) return null;
        const { rows } = await sql<{ id: string }>`
          select s.product_id as id
          from (select rowid as doc from product_search_fts
                where product_search_fts match ${match} and rowid between ${lo} and ${hi}
                order by rowid desc limit ${take}) as f
          join product_search s on s.doc = f.doc
          order by f.doc desc`.execute(db);
        return rows.map((r) => r.id);
      });
    }
    return hits;
  },
};
