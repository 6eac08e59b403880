import { type Kysely, PostgresAdapter, sql } from 'kysely';
import { entryFor, INDEX_COLUMNS, type IndexSource } from '../search-engine.ts';
import { postgresSearch } from '../search-postgres.ts';
import { sqliteSearch } from '../search-sqlite.ts';

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema of their own time
type AnyDb = Kysely<any>;

const BACKFILL_BATCH = 500;

/**
 * Product search in the database's own full-text engine, fed with jieba's terms: FTS5 on
 * SQLite, tsvector + GIN on PostgreSQL. Replaces the in-memory index every process used to
 * build for itself; existing products are indexed here.
 */
export async function up(db: AnyDb): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  if (postgres) {
    await sql`create table product_search (
      product_id text primary key references products(id) on delete cascade,
      merchant_id text not null,
      kind text not null,
      rank bigint not null,
      terms tsvector not null
    )`.execute(db);
    await sql`create index product_search_rank on product_search (merchant_id, rank desc, product_id)`.execute(
      db,
    );
    // Reads must not scan a pending list: each write is one product, GIN can take it at once.
    await sql`create index product_search_terms on product_search using gin (terms) with (fastupdate = off)`.execute(
      db,
    );
    // Enough common words in the statistics that the planner can tell a word held by 30,000
    // products (walk the rank index, stop early) from one held by none (ask GIN).
    await sql`alter table product_search alter column terms set statistics 1000`.execute(db);
  } else {
    await sql`create table search_merchants (
      merchant_id text primary key references merchants(id) on delete cascade,
      key integer not null unique
    )`.execute(db);
    await sql`create table product_search (
      product_id text primary key references products(id) on delete cascade,
      merchant_id text not null,
      seq integer not null,
      doc integer unique
    )`.execute(db);
    await sql`create index product_search_seq on product_search (merchant_id, seq)`.execute(db);
    await sql`create virtual table product_search_fts using fts5(
      strong, weak, kind,
      content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 0'
    )`.execute(db);
    // A product's search row leaves with it; the FTS row is keyed by the doc it had.
    await sql`create trigger product_search_gone after delete on product_search
      when old.doc is not null
      begin delete from product_search_fts where rowid = old.doc; end`.execute(db);
  }

  const engine = postgres ? postgresSearch : sqliteSearch;
  let after = '';
  for (;;) {
    const rows = (await db
      .selectFrom('products')
      .select([...INDEX_COLUMNS])
      .where('id', '>', after)
      .orderBy('id')
      .limit(BACKFILL_BATCH)
      .execute()) as IndexSource[];
    if (rows.length === 0) break;
    for (const row of rows) await engine.write(db, entryFor(row));
    after = rows.at(-1)!.id;
  }
  if (postgres) await sql`analyze product_search`.execute(db);
}

export async function down(db: AnyDb): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await sql`drop table product_search`.execute(db);
  if (!postgres) {
    await sql`drop table product_search_fts`.execute(db);
    await sql`drop table search_merchants`.execute(db);
  }
}
