import { sql } from 'kysely';
import {
  fillTiers,
  type Groups,
  type Hit,
  SALES_CAP,
  type SearchEngine,
  type Tier,
} from './search-engine.ts';

/*
 * PostgreSQL: one row per on-sale product with its jieba terms as a tsvector (strong fields
 * weighted A, the subtitle D) under a GIN index, and a static rank (in stock, sales) under a
 * B-tree with the merchant. For a broad word the planner walks the rank index and stops after
 * `limit` matches; for a rare one it asks GIN for the few rows and sorts them.
 */

const IN_STOCK = 2 ** 41;

const rank = (inStock: boolean, sales: number) =>
  (inStock ? IN_STOCK : 0) + Math.min(Math.max(Math.trunc(sales), 0), SALES_CAP);

/** A term quoted for tsvector/tsquery input: taken as one lexeme, never parsed or stemmed. */
const lexeme = (term: string) => `'${term.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;

function vector(strong: string[], weak: string[]): string {
  let position = 0;
  const entries = (terms: string[], weight: string) =>
    terms.map((t) => `${lexeme(t)}:${Math.min(++position, 16_383)}${weight}`);
  return [...entries(strong, 'A'), ...entries(weak, 'D')].join(' ');
}

const alternatives = (group: string[], weights = '') =>
  `(${group.map((t) => (weights ? `${lexeme(t)}:${weights}` : lexeme(t))).join(' | ')})`;

function tsquery(groups: Groups, tier: Tier): string | null {
  if (tier === 'strong') return groups.map((g) => alternatives(g, 'A')).join(' & ');
  if (tier === 'all') return groups.map((g) => alternatives(g)).join(' & ');
  if (groups.length < 2) return null;
  return groups.map((g) => alternatives(g)).join(' | ');
}

export const postgresSearch: SearchEngine = {
  async write(db, entry) {
    if (!entry.onSale) {
      await sql`delete from product_search where product_id = ${entry.productId}`.execute(db);
      return;
    }
    await sql`
      insert into product_search (product_id, merchant_id, kind, rank, terms)
      values (${entry.productId}, ${entry.merchantId}, ${entry.kind},
              ${rank(entry.inStock, entry.sales)}, ${vector(entry.strong, entry.weak)}::tsvector)
      on conflict (product_id) do update
        set kind = excluded.kind, rank = excluded.rank, terms = excluded.terms`.execute(db);
  },

  async probe(db, merchantId, groups) {
    if (groups.length === 0) return [];
    const checks = groups.map(
      (g) => sql`exists (select 1 from product_search
        where merchant_id = ${merchantId} and terms @@ ${alternatives(g)}::tsquery)`,
    );
    const { rows } = await sql<{ found: boolean[] }>`
      select array[${sql.join(checks)}] as found`.execute(db);
    return rows[0]?.found ?? groups.map(() => false);
  },

  async find(db, merchantId, groups, { limit, kind }) {
    if (groups.length === 0) return [];
    const hits: Hit[] = [];
    for (const inStock of [true, false]) {
      await fillTiers(hits, limit, async (tier, take) => {
        const query = tsquery(groups, tier);
        if (!query) return null;
        const { rows } = await sql<{ product_id: string }>`
          select product_id from product_search
          where merchant_id = ${merchantId}
            and ${inStock ? sql`rank >= ${IN_STOCK}` : sql`rank < ${IN_STOCK}`}
            ${kind ? sql`and kind = ${kind}` : sql``}
            and terms @@ ${query}::tsquery
          order by rank desc, product_id limit ${take}`.execute(db);
        return rows.map((r) => r.product_id);
      });
    }
    return hits;
  },
};
