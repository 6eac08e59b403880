// Search benchmark: 100,000 generated Chinese SKUs (25,000 products × 4 SKUs) in one merchant;
// index build time, then keyword → top 8 latency over a mix of fan queries. Prints one JSON line.
//   npm run bench -- search          (BENCH_PRODUCTS, BENCH_QUERIES to tune)
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { DB } from '../src/database.ts';
import { migrations } from '../src/migrations.ts';
import { forgetSearchIndex, searchProducts } from '../src/modules/catalog/index.ts';
import { openDatabase } from '../src/platform/db/database.ts';
import { migrateToLatest } from '../src/platform/db/migrate.ts';
import { newId } from '../src/platform/ids.ts';

const PRODUCTS = Number(process.env.BENCH_PRODUCTS ?? 25_000);
const SKUS_PER_PRODUCT = 4;
const QUERIES = Number(process.env.BENCH_QUERIES ?? 5_000);

const colours = ['红色', '黑色', '白色', '藏青', '米色', '粉色', '墨绿', '卡其'];
const materials = ['真丝', '纯棉', '雪纺', '针织', '羊毛', '亚麻', '牛仔', '蕾丝'];
const styles = ['法式', '复古', '通勤', '休闲', '韩版', '宽松', '修身', '碎花'];
const things = [
  ['女装/连衣裙', '连衣裙'],
  ['女装/半身裙', '半身裙'],
  ['女装/衬衫', '衬衫'],
  ['女装/外套', '风衣'],
  ['女装/针织衫', '开衫'],
  ['美妆/面膜', '补水面膜'],
  ['美妆/精华', '精华液'],
  ['美妆/口红', '口红'],
  ['食品/特产', '南京板鸭'],
  ['食品/特产', '盐水鸭'],
  ['食品/零食', '牛肉干'],
  ['家居/床品', '四件套'],
  ['家电/厨房', '电饭煲'],
  ['家电/清洁', '扫地机器人'],
  ['数码/配件', '手机壳'],
  ['母婴/玩具', '积木'],
] as const;
const pick = <T>(list: readonly T[], i: number) => list[i % list.length]!;

const dir = mkdtempSync(join(tmpdir(), 'weiloop-search-'));
const database = openDatabase<DB>({ kind: 'sqlite', path: join(dir, 'search.db') });
const db = database.db;
await migrateToLatest(db as Kysely<unknown>, migrations);
const now = Date.now();
const merchantId = newId('mch', now);
await db
  .insertInto('merchants')
  .values({ id: merchantId, slug: 'search-bench', name: 'bench', timezone: 'Asia/Shanghai', created_at: now })
  .execute();

const seedStarted = performance.now();
for (let start = 0; start < PRODUCTS; start += 1000) {
  await db.transaction().execute(async (trx) => {
    const products = [];
    const skus = [];
    for (let i = start; i < Math.min(start + 1000, PRODUCTS); i++) {
      const [category, noun] = pick(things, i);
      const title = `${pick(styles, i * 7)}${pick(materials, i * 3)}${pick(colours, i)}${noun} ${2026 - (i % 3)}新款`;
      const id = newId('prd', now);
      products.push({
        id,
        merchant_id: merchantId,
        kind: 'goods' as const,
        title,
        subtitle: `${pick(styles, i)}风格 ${pick(materials, i)}`,
        description: '',
        category,
        tags: JSON.stringify([pick(colours, i), pick(styles, i * 5)]),
        images: '[]',
        status: i % 10 === 0 ? ('off_shelf' as const) : ('on_sale' as const),
        price: 1000 + (i % 500) * 100,
        original_price: 2000 + (i % 500) * 100,
        stock: i % 7 === 0 ? 0 : 40,
        sales: (i * 37) % 5000,
        rating_sum: (i % 50) * 4,
        rating_count: i % 50,
        guide_install: null,
        guide_maintenance: null,
        city: null,
        valid_from: null,
        valid_until: null,
        created_at: now,
        updated_at: now,
      });
      for (let s = 0; s < SKUS_PER_PRODUCT; s++) {
        skus.push({
          id: newId('sku', now),
          merchant_id: merchantId,
          product_id: id,
          spec: JSON.stringify({ 尺码: ['S', 'M', 'L', 'XL'][s] }),
          price: 1000 + (i % 500) * 100,
          original_price: 2000,
          stock: i % 7 === 0 ? 0 : 10,
          created_at: now,
        });
      }
    }
    await trx.insertInto('products').values(products).execute();
    for (let k = 0; k < skus.length; k += 500)
      await trx
        .insertInto('skus')
        .values(skus.slice(k, k + 500))
        .execute();
  });
}
const seedSeconds = (performance.now() - seedStarted) / 1000;

const ctx = { db, merchantId, now };
forgetSearchIndex(merchantId);
const buildStarted = performance.now();
await searchProducts(ctx, '连衣裙');
const buildMs = performance.now() - buildStarted;

const queries = [
  '连衣裙',
  '我想买一条红色连衣裙',
  '真丝衬衫',
  '补水面膜',
  '南京板鸭',
  '有没有黑色的风衣',
  '扫地机器人多少钱',
  '法式复古碎花',
  '手机壳',
  '羊毛开衫 米色',
  '不存在的东西',
  '口红',
];
for (let i = 0; i < 500; i++) await searchProducts(ctx, pick(queries, i));
const latencies: number[] = [];
let results = 0;
for (let i = 0; i < QUERIES; i++) {
  const started = performance.now();
  const hits = await searchProducts(ctx, pick(queries, i));
  latencies.push(performance.now() - started);
  results += hits.length;
}
latencies.sort((a, b) => a - b);
const pct = (p: number) =>
  Number(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]!.toFixed(3));
const sample = (await searchProducts(ctx, '我想买一条红色连衣裙')).slice(0, 3).map((h) => h.title);
await database.close();
console.log(
  JSON.stringify({
    bench: 'search',
    products: PRODUCTS,
    skus: PRODUCTS * SKUS_PER_PRODUCT,
    seed_s: Number(seedSeconds.toFixed(1)),
    index_build_ms: Math.round(buildMs),
    queries: QUERIES,
    p50_ms: pct(0.5),
    p99_ms: pct(0.99),
    max_ms: pct(1),
    avg_results: Number((results / QUERIES).toFixed(1)),
    sample_top3_红色连衣裙: sample,
  }),
);
