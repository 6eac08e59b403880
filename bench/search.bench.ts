// Search benchmark: one merchant with BENCH_PRODUCTS generated products (several verticals and
// brands), then the same again with 4 SKUs per product; BENCH_QUERIES chat-style queries through
// Weiloop's searchProducts and, in the same process and loop, through a plain reference: an FTS5
// table over the same jieba terms, all words required, bm25, top 8. Prints one JSON line.
//   npm run bench -- search            (SQLite; DATABASE_URL=postgres://… for PostgreSQL)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { type Insertable, type Kysely, sql } from 'kysely';
import pg from 'pg';
import type { DB } from '../src/database.ts';
import { migrations } from '../src/migrations.ts';
import { searchProducts, searchTerms as terms } from '../src/modules/catalog/index.ts';
import { openDatabase } from '../src/platform/db/database.ts';
import { migrateToLatest } from '../src/platform/db/migrate.ts';
import { newId } from '../src/platform/ids.ts';
import { products, queries } from './catalog-gen.ts';

const PRODUCTS = Number(process.env.BENCH_PRODUCTS ?? 100_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 5_000);
const LIMIT = 8;
const SYNONYMS = [
  ['连衣裙', '裙子'],
  ['手机壳', '保护壳'],
  ['充电宝', '移动电源'],
  ['扫地机器人', '扫地机'],
  ['补水面膜', '保湿面膜'],
  ['纸尿裤', '尿不湿'],
];

const dir = mkdtempSync(join(tmpdir(), 'weiloop-search-'));
const url = process.env.DATABASE_URL;
// A database of its own, not a schema: other test runs on this server never see its tables.
const benchDb = `weiloop_bench_search_${process.pid}`;
const admin = url?.startsWith('postgres') ? new pg.Client({ connectionString: url }) : null;
if (admin) {
  await admin.connect();
  await admin.query(`create database ${benchDb}`);
}
const database = openDatabase<DB>(
  url?.startsWith('postgres')
    ? { kind: 'postgres', url: Object.assign(new URL(url), { pathname: `/${benchDb}` }).toString() }
    : { kind: 'sqlite', path: join(dir, 'search.db') },
);
const db = database.db;
// Yesterday's schema first, so the search migration's backfill is what indexes the catalog.
await migrateToLatest(db as Kysely<unknown>, migrations, { target: '0011_inbox' });

const now = Date.now();
const merchantId = newId('mch', now);
await db
  .insertInto('merchants')
  .values({ id: merchantId, slug: 'search-bench', name: 'bench', timezone: 'Asia/Shanghai', created_at: now })
  .execute();

// The reference: what one would build with FTS5 and jieba in an afternoon.
const reference = new DatabaseSync(join(dir, 'reference.db'));
reference.exec(`PRAGMA journal_mode = WAL; CREATE VIRTUAL TABLE ref USING fts5(title UNINDEXED, terms);`);
const refInsert = reference.prepare('INSERT INTO ref (rowid, title, terms) VALUES (?, ?, ?)');
const quote = (t: string) => `"${t.replaceAll('"', '""')}"`;

const ids: string[] = [];
const seedStarted = performance.now();
let batch: Array<Insertable<DB['products']>> = [];
const flush = async () => {
  if (batch.length) await db.insertInto('products').values(batch).execute();
  batch = [];
};
reference.exec('BEGIN');
let n = 0;
for (const p of products(PRODUCTS)) {
  const id = newId('prd', now);
  ids.push(id);
  batch.push({
    id,
    merchant_id: merchantId,
    kind: 'goods' as const,
    title: p.title,
    subtitle: p.subtitle,
    description: '',
    category: p.category,
    tags: JSON.stringify(p.tags),
    images: '[]',
    status: p.onSale ? ('on_sale' as const) : ('off_shelf' as const),
    price: p.price,
    original_price: p.price,
    stock: p.inStock ? 40 : 0,
    sales: p.sales,
    rating_sum: 0,
    rating_count: 0,
    guide_install: null,
    guide_maintenance: null,
    city: null,
    valid_from: null,
    valid_until: null,
    created_at: now,
    updated_at: now,
  });
  if (p.onSale) {
    const words = [p.title, p.subtitle, p.category.replace('/', ' '), ...p.tags].flatMap((f) => terms(f));
    refInsert.run(n, p.title, [...new Set(words)].join(' '));
  }
  n++;
  if (batch.length === 500) await flush();
}
await flush();
reference.exec('COMMIT');
const seedSeconds = (performance.now() - seedStarted) / 1000;
const refIds = new Map(ids.map((id, i) => [id, i]));

const indexStarted = performance.now();
await migrateToLatest(db as Kysely<unknown>, migrations);
const indexSeconds = (performance.now() - indexStarted) / 1000;
await db
  .insertInto('search_synonyms')
  .values(
    SYNONYMS.map((words, i) => ({
      id: newId('syn', now + i),
      merchant_id: merchantId,
      words: JSON.stringify(words),
      created_at: now,
    })),
  )
  .execute();

const refSearch = reference.prepare('SELECT rowid, title FROM ref WHERE ref MATCH ? ORDER BY rank LIMIT ?');
function referenceSearch(query: string): Array<{ rowid: number; title: string }> {
  const words = terms(query);
  if (words.length === 0) return [];
  return refSearch.all(words.map(quote).join(' AND '), LIMIT) as Array<{ rowid: number; title: string }>;
}

// Quality, outside the timings: does a hit hold every word of the query that the catalog knows?
const refHas = reference.prepare('SELECT 1 AS hit FROM ref WHERE ref MATCH ? AND rowid = ?');
const known = reference.prepare('SELECT 1 AS hit FROM ref WHERE ref MATCH ? LIMIT 1');
function contentWords(query: string): string[] {
  const words = terms(query);
  const whole = words.filter((w) => !words.some((o) => o !== w && o.includes(w)));
  return whole.filter((w) => known.get(quote(w)));
}
const holdsAll = (words: string[], rowid: number) =>
  words.length > 0 && Boolean(refHas.get(words.map(quote).join(' AND '), rowid));

const workload = queries(QUERIES);
const ctx = { db, merchantId };
const pct = (list: number[], p: number) =>
  Number(list[Math.min(list.length - 1, Math.floor(list.length * p))]!.toFixed(3));

async function measure() {
  for (const q of workload.slice(0, 500)) {
    await searchProducts(ctx, q);
    referenceSearch(q);
  }
  const ours: number[] = [];
  const floor: number[] = [];
  const slow: Array<[number, string]> = [];
  const theirs: number[] = [];
  const quality = { ours: { answered: 0, hits: 0, full: 0 }, theirs: { answered: 0, hits: 0, full: 0 } };
  for (const [i, q] of workload.entries()) {
    // Alternate which goes first, so neither always runs on a warmer cache.
    let mine: Awaited<ReturnType<typeof searchProducts>> = [];
    let ref: ReturnType<typeof referenceSearch> = [];
    const runOurs = async () => {
      const t = performance.now();
      mine = await searchProducts(ctx, q, { limit: LIMIT });
      ours.push(performance.now() - t);
      slow.push([performance.now() - t, q]);
    };
    const runRef = () => {
      const t = performance.now();
      ref = referenceSearch(q);
      theirs.push(performance.now() - t);
    };
    if (i % 2) {
      await runOurs();
      runRef();
    } else {
      runRef();
      await runOurs();
    }
    // The same run's round trip to the database doing nothing: this machine's noise floor.
    const f = performance.now();
    await sql`select 1`.execute(db);
    floor.push(performance.now() - f);
    const words = contentWords(q);
    quality.ours.answered += mine.length ? 1 : 0;
    quality.ours.hits += mine.length;
    quality.ours.full += mine.filter((h) => holdsAll(words, refIds.get(h.id)!)).length;
    quality.theirs.answered += ref.length ? 1 : 0;
    quality.theirs.hits += ref.length;
    quality.theirs.full += ref.filter((h) => holdsAll(words, h.rowid)).length;
  }
  ours.sort((a, b) => a - b);
  floor.sort((a, b) => a - b);
  theirs.sort((a, b) => a - b);
  const summary = (q: typeof quality.ours) => ({
    answered: Number((q.answered / QUERIES).toFixed(3)),
    avg_results: Number((q.hits / QUERIES).toFixed(2)),
    hits_with_every_word: Number((q.full / Math.max(q.hits, 1)).toFixed(3)),
  });
  return {
    weiloop: {
      p50_ms: pct(ours, 0.5),
      p99_ms: pct(ours, 0.99),
      max_ms: pct(ours, 1),
      ...summary(quality.ours),
    },
    reference: {
      p50_ms: pct(theirs, 0.5),
      p99_ms: pct(theirs, 0.99),
      max_ms: pct(theirs, 1),
      ...summary(quality.theirs),
    },
    select_1_round_trip: { p50_ms: pct(floor, 0.5), p99_ms: pct(floor, 0.99) },
    weiloop_slowest: slow
      .sort((a, b) => b[0] - a[0])
      .slice(0, 5)
      .map(([ms, q]) => `${q} ${ms.toFixed(1)}ms`),
    p99_ratio: Number((pct(ours, 0.99) / pct(theirs, 0.99)).toFixed(2)),
  };
}

const flat = await measure();
const sample = (await searchProducts(ctx, '我想买一条红色连衣裙')).slice(0, 3).map((h) => h.title);

// The same catalog with 4 SKUs per product: a bigger database around the same search rows.
const skuStarted = performance.now();
for (let start = 0; start < ids.length; start += 250) {
  const rows = ids.slice(start, start + 250).flatMap((productId, k) =>
    ['S', 'M', 'L', 'XL'].map((size) => ({
      id: newId('sku', now + start + k),
      merchant_id: merchantId,
      product_id: productId,
      spec: JSON.stringify({ 尺码: size }),
      price: 9900,
      original_price: 9900,
      stock: 10,
      created_at: now,
    })),
  );
  await db.insertInto('skus').values(rows).execute();
}
const skuSeconds = (performance.now() - skuStarted) / 1000;
const withSkus = await measure();

await database.close();
reference.close();
if (admin) {
  await admin.query(`drop database ${benchDb}`);
  await admin.end();
}
rmSync(dir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    bench: 'search',
    engine: database.dialect,
    products: PRODUCTS,
    queries: QUERIES,
    seed_s: Number(seedSeconds.toFixed(1)),
    index_backfill_s: Number(indexSeconds.toFixed(1)),
    sku_seed_s: Number(skuSeconds.toFixed(1)),
    products_only: flat,
    [`skus_${PRODUCTS * 4}`]: withSkus,
    sample_top3_红色连衣裙: sample,
  }),
);
