// Segments benchmark: N members imported from a generated CSV through the real import job (5 of
// 200 tags each, region, skin, height), 3 orders each over the last year, then a 3-condition
// segment (tag AND region AND spent ≥ ¥300 in 90 days): count and first page p50/p99.
//   npm run bench -- segments        BENCH_MEMBERS (default 1,000,000), BENCH_QUERIES (default 40),
//                                    BENCH_DATABASE_URL=postgres://… for PostgreSQL
import { createReadStream, createWriteStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import type { Ctx } from '../src/context.ts';
import type { DB } from '../src/database.ts';
import type { AppDeps } from '../src/deps.ts';
import { migrations } from '../src/migrations.ts';
import {
  countMembers,
  createAttributeDef,
  importNextChunk,
  listMembers,
  type RuleGroup,
  startImport,
} from '../src/modules/crm/index.ts';
import { openDatabase } from '../src/platform/db/database.ts';
import { migrateToLatest } from '../src/platform/db/migrate.ts';
import { newId } from '../src/platform/ids.ts';

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 1_000_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 40);
const ORDERS_PER_MEMBER = 3;
const TAGS = 200;
const DAY = 86_400_000;
const REGIONS = [
  '北京',
  '上海',
  '广州',
  '深圳',
  '杭州',
  '南京',
  '苏州',
  '成都',
  '重庆',
  '武汉',
  '西安',
  '天津',
  '长沙',
  '郑州',
  '青岛',
  '厦门',
  '宁波',
  '合肥',
  '昆明',
  '福州',
];
const SKINS = ['干性', '油性', '混合', '中性', '敏感'];

const url = process.env.BENCH_DATABASE_URL;
const dir = mkdtempSync(join(tmpdir(), 'weiloop-segments-'));
let schema = '';
if (url) {
  schema = `bench_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
}
const database = openDatabase<DB>(
  url ? { kind: 'postgres', url, schema } : { kind: 'sqlite', path: join(dir, 'segments.db') },
);
const db = database.db;
await migrateToLatest(db as Kysely<unknown>, migrations);
const now = Date.now();
const merchantId = newId('mch', now);
await db
  .insertInto('merchants')
  .values({
    id: merchantId,
    slug: 'segments-bench',
    name: 'bench',
    timezone: 'Asia/Shanghai',
    created_at: now,
  })
  .execute();
// The services need only these parts of the app here (no HTTP, no worker: the bench drives the job).
const deps = { wakeJobs() {} } as unknown as AppDeps;
const ctx: Ctx = { db, dialect: database.dialect, merchantId, actor: { kind: 'system' }, now, deps };
await createAttributeDef(ctx, { key: 'skin', label: '肤质', type: 'choice', options: SKINS });
await createAttributeDef(ctx, { key: 'height', label: '身高', type: 'number' });

// A deterministic generator, so runs compare.
let seed = 42;
const rand = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
};
const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;

const csvPath = join(dir, 'members.csv');
await new Promise<void>((resolve, reject) => {
  const out = createWriteStream(csvPath);
  out.on('error', reject);
  out.write('name,phone,region,gender,tags,skin,height,ext:taobao\n');
  let i = 0;
  const write = () => {
    let ok = true;
    while (i < MEMBERS && ok) {
      const tags = new Set<number>();
      while (tags.size < 5) tags.add(Math.floor(rand() * TAGS));
      const line = `会员${i},1${String(3_000_000_000 + i).padStart(10, '0')},${pick(REGIONS)},${rand() < 0.7 ? '女' : '男'},${[...tags].map((t) => `标签${t}`).join('|')},${pick(SKINS)},${150 + Math.floor(rand() * 40)},tb_${i}\n`;
      ok = out.write(line);
      i++;
    }
    if (i < MEMBERS) out.once('drain', write);
    else out.end(resolve);
  };
  write();
});

const importStarted = performance.now();
const importCpu = process.cpuUsage();
const started = await startImport(ctx, createReadStream(csvPath));
const uploadCpu = process.cpuUsage(importCpu);
if (process.env.BENCH_VERBOSE)
  process.stderr.write(
    `upload: ${(performance.now() - importStarted) / 1000}s wall, ${(uploadCpu.user + uploadCpu.system) / 1e6}s cpu\n`,
  );
while (await importNextChunk(ctx, started.id)) {}
const importSeconds = (performance.now() - importStarted) / 1000;
// The machine may be shared: CPU time says what the import itself cost.
const importCpuUsed = process.cpuUsage(importCpu);
const importCpuSeconds = (importCpuUsed.user + importCpuUsed.system) / 1e6;
const imported = await db
  .selectFrom('crm_imports')
  .selectAll()
  .where('id', '=', started.id)
  .executeTakeFirstOrThrow();

// Orders straight into CRM's order table (what order events would have written), 3 per member.
const memberIds = (
  await db.selectFrom('crm_members').select('id').where('merchant_id', '=', merchantId).execute()
).map((r) => r.id);
const ordersStarted = performance.now();
for (let start = 0; start < memberIds.length; start += 2000) {
  await db.transaction().execute(async (trx) => {
    const rows: Array<{
      order_id: string;
      merchant_id: string;
      member_id: string;
      total: number;
      refunded: number;
      paid_at: number;
      categories: string;
    }> = [];
    for (const member_id of memberIds.slice(start, start + 2000)) {
      for (let k = 0; k < ORDERS_PER_MEMBER; k++) {
        rows.push({
          order_id: newId('ord', now),
          merchant_id: merchantId,
          member_id,
          total: 1000 + Math.floor(rand() * 40_000),
          refunded: 0,
          paid_at: now - Math.floor(rand() * 365) * DAY,
          categories: '|美妆/面膜|',
        });
      }
    }
    if (database.dialect === 'postgres') {
      // One array per column: 3M orders as 500 short statements, not 3,000 VALUES lists of 7,000 parameters.
      const col = (key: keyof (typeof rows)[number]) => rows.map((r) => r[key]);
      await sql`insert into crm_member_orders (order_id, merchant_id, member_id, total, refunded, paid_at, categories)
        select * from unnest(${col('order_id')}::text[], ${col('merchant_id')}::text[], ${col('member_id')}::text[],
          ${col('total')}::int8[], ${col('refunded')}::int8[], ${col('paid_at')}::int8[], ${col('categories')}::text[])`.execute(
        trx,
      );
    } else
      for (let k = 0; k < rows.length; k += 1000)
        await trx
          .insertInto('crm_member_orders')
          .values(rows.slice(k, k + 1000))
          .execute();
  });
}
const ordersSeconds = (performance.now() - ordersStarted) / 1000;
// Fresh statistics and visibility map, as autovacuum would have left them on a live database
// (PostgreSQL 13+ vacuums insert-only tables too): index-only scans need the latter.
if (database.dialect === 'postgres') await sql`vacuum analyze`.execute(db);

const tagIds = (
  await db.selectFrom('crm_tags').select('id').where('merchant_id', '=', merchantId).execute()
).map((r) => r.id);
const rules = (i: number): RuleGroup => ({
  op: 'and',
  rules: [
    { type: 'tag', tag_id: tagIds[i % tagIds.length]! },
    { type: 'field', field: 'region', op: 'eq', value: REGIONS[i % REGIONS.length]! },
    { type: 'spent', min_fen: 30_000, days: 90 },
  ],
});
await countMembers(ctx, rules(0));
// Reference in the same run: counting every member with no condition.
const allStarted = performance.now();
await countMembers(ctx, { op: 'and', rules: [] });
const countAllMs = performance.now() - allStarted;
const counts: number[] = [];
const pages: number[] = [];
let matched = 0;
for (let i = 0; i < QUERIES; i++) {
  let t0 = performance.now();
  matched += await countMembers(ctx, rules(i));
  counts.push(performance.now() - t0);
  t0 = performance.now();
  await listMembers(ctx, { rules: rules(i), limit: 50 });
  pages.push(performance.now() - t0);
}
const pct = (list: number[], p: number) => {
  const sorted = [...list].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! * 10) / 10;
};
process.stdout.write(
  `${JSON.stringify({
    bench: 'segments',
    engine: database.dialect,
    members: memberIds.length,
    orders: memberIds.length * ORDERS_PER_MEMBER,
    tags: tagIds.length,
    count_p50_ms: pct(counts, 50),
    count_p99_ms: pct(counts, 99),
    page_p50_ms: pct(pages, 50),
    page_p99_ms: pct(pages, 99),
    avg_matched: Math.round(matched / QUERIES),
    count_all_ms: Math.round(countAllMs * 10) / 10,
    import_s: Math.round(importSeconds * 10) / 10,
    import_cpu_s: Math.round(importCpuSeconds * 10) / 10,
    import_rows_per_s: Math.round(imported.rows_ok / importSeconds),
    import_rows_ok: imported.rows_ok,
    import_rows_failed: imported.rows_failed,
    orders_seed_s: Math.round(ordersSeconds * 10) / 10,
  })}\n`,
);
await database.close();
if (url) {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`drop schema ${schema} cascade`);
  await admin.end();
}
