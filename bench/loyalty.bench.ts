// Loyalty benchmark: 137 stores, N cards (each with 1,000 points and ¥10 stored value, written with
// their ledger rows), then 10,000 concurrent point spends and stored-value payments against 200
// hot cards through the real ledger functions (guarded UPDATE + ledger row in one transaction).
// Prints spends/s, p99, negative balances and cards whose balance differs from its ledger's sum.
//   npm run bench -- loyalty     BENCH_CARDS (default 1,000,000), BENCH_OPS (default 10,000),
//                                BENCH_CONCURRENCY (default 64), BENCH_DATABASE_URL=postgres://…
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import pg from 'pg';
import type { Ctx } from '../src/context.ts';
import type { DB } from '../src/database.ts';
import type { AppDeps } from '../src/deps.ts';
import { migrations } from '../src/migrations.ts';
import { createStore } from '../src/modules/catalog/index.ts';
import { movePoints, moveValue } from '../src/modules/loyalty/index.ts';
import { inTransaction, openDatabase } from '../src/platform/db/database.ts';
import { migrateToLatest } from '../src/platform/db/migrate.ts';
import { newId } from '../src/platform/ids.ts';

const CARDS = Number(process.env.BENCH_CARDS ?? 1_000_000);
const OPS = Number(process.env.BENCH_OPS ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const HOT = 200;
const STORES = 137;
const START_POINTS = 1_000;
const START_BALANCE = 1_000;

const url = process.env.BENCH_DATABASE_URL;
let schema = '';
if (url) {
  schema = `bench_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
}
const database = openDatabase<DB>(
  url
    ? { kind: 'postgres', url, schema }
    : { kind: 'sqlite', path: join(mkdtempSync(join(tmpdir(), 'weiloop-loyalty-')), 'loyalty.db') },
);
const db = database.db;
await migrateToLatest(db as Kysely<unknown>, migrations);
const now = Date.now();
const merchantId = newId('mch', now);
await db
  .insertInto('merchants')
  .values({
    id: merchantId,
    slug: 'loyalty-bench',
    name: 'bench',
    timezone: 'Asia/Shanghai',
    created_at: now,
  })
  .execute();
const deps = { wakeJobs() {} } as unknown as AppDeps;
const ctx: Ctx = { db, dialect: database.dialect, merchantId, actor: { kind: 'system' }, now, deps };

const stores: string[] = [];
for (let i = 0; i < STORES; i++) {
  const store = await createStore(ctx, {
    name: `门店${i}`,
    address: `测试路 ${i} 号`,
    city: '上海',
    latitude: 31.2 + i / 1000,
    longitude: 121.4 + i / 1000,
    opens_at: '08:00',
    closes_at: '22:00',
  });
  stores.push(store.id);
}

// Cards with their opening ledger rows, in batches (what issue + an adjustment would have written).
const seedStarted = performance.now();
const hot: string[] = [];
const BATCH = 500;
for (let start = 0; start < CARDS; start += BATCH) {
  await db.transaction().execute(async (trx) => {
    const cards = [];
    const points = [];
    const value = [];
    for (let i = start; i < Math.min(CARDS, start + BATCH); i++) {
      const id = newId('card', now);
      if (i < HOT) hot.push(id);
      cards.push({
        id,
        merchant_id: merchantId,
        member_id: `mem_bench_${i}`,
        account_id: 'acc_bench',
        openid: `o_${i}`,
        number: String(8_000_000_000_000_000 + i),
        home_store_id: stores[i % STORES] ?? null,
        source: 'store_qr' as const,
        level: 'basic',
        points: START_POINTS,
        balance: START_BALANCE,
        total_spend: 0,
        lifetime_points: 0,
        created_at: now,
        updated_at: now,
      });
      const row = {
        merchant_id: merchantId,
        card_id: id,
        reason: 'adjustment' as const,
        ref: 'opening',
        actor: 'bench',
        note: '',
        created_at: now,
      };
      points.push({ ...row, id: newId('lpt', now), delta: START_POINTS, expires_at: null });
      value.push({ ...row, id: newId('lsv', now), delta: START_BALANCE });
    }
    await trx.insertInto('loyalty_cards').values(cards).execute();
    await trx.insertInto('loyalty_points_ledger').values(points).execute();
    await trx.insertInto('loyalty_value_ledger').values(value).execute();
  });
}
const seedSeconds = (performance.now() - seedStarted) / 1000;

// Half point spends, half stored-value payments, 1–60 each, on random hot cards: the hot cards run
// dry part-way, so refusals under contention are part of what is measured.
let seed = 7;
const rand = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
};
const ops = Array.from({ length: OPS }, (_, i) => ({
  card: hot[Math.floor(rand() * hot.length)] as string,
  amount: 1 + Math.floor(rand() * 60),
  points: i % 2 === 0,
  ref: `op${i}`,
}));
const latencies: number[] = [];
let done = 0;
let refused = 0;
let failed = 0;
let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < ops.length) {
      const op = ops[next++]!;
      const t0 = performance.now();
      try {
        await inTransaction(db, async (trx) => {
          const tx = { ...ctx, db: trx, now: Date.now() };
          const move = { cardId: op.card, delta: -op.amount, ref: op.ref };
          if (op.points) await movePoints(tx, { ...move, reason: 'store_redeem' });
          else await moveValue(tx, { ...move, reason: 'store_charge' });
        });
        done++;
      } catch (error) {
        if ((error as { code?: string }).code?.startsWith('insufficient')) refused++;
        else failed++;
      }
      latencies.push(performance.now() - t0);
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const p99 = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? 0;

const negative = Number(
  (
    await db
      .selectFrom('loyalty_cards')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('merchant_id', '=', merchantId)
      .where((eb) => eb.or([eb('points', '<', 0), eb('balance', '<', 0)]))
      .executeTakeFirstOrThrow()
  ).n,
);
// Every hot card against its two ledgers, and the whole merchant's totals against the ledgers' totals.
const sums = async (table: 'loyalty_points_ledger' | 'loyalty_value_ledger', ids: string[]) =>
  new Map(
    (
      await db
        .selectFrom(table)
        .select((eb) => ['card_id', eb.fn.sum<number>('delta').as('s')])
        .where('card_id', 'in', ids)
        .groupBy('card_id')
        .execute()
    ).map((r) => [r.card_id, Number(r.s)]),
  );
const [hp, hv, hotCards] = await Promise.all([
  sums('loyalty_points_ledger', hot),
  sums('loyalty_value_ledger', hot),
  db.selectFrom('loyalty_cards').select(['id', 'points', 'balance']).where('id', 'in', hot).execute(),
]);
let mismatch = hotCards.filter(
  (c) => Number(c.points) !== hp.get(c.id) || Number(c.balance) !== hv.get(c.id),
).length;
const total = async (table: 'loyalty_points_ledger' | 'loyalty_value_ledger') =>
  Number(
    (
      await db
        .selectFrom(table)
        .select((eb) => eb.fn.sum<number>('delta').as('s'))
        .where('merchant_id', '=', merchantId)
        .executeTakeFirstOrThrow()
    ).s,
  );
const cardTotals = await db
  .selectFrom('loyalty_cards')
  .select((eb) => [eb.fn.sum<number>('points').as('p'), eb.fn.sum<number>('balance').as('b')])
  .where('merchant_id', '=', merchantId)
  .executeTakeFirstOrThrow();
if (Number(cardTotals.p) !== (await total('loyalty_points_ledger'))) mismatch++;
if (Number(cardTotals.b) !== (await total('loyalty_value_ledger'))) mismatch++;

console.log(
  JSON.stringify({
    bench: 'loyalty',
    engine: database.dialect,
    stores: STORES,
    cards: CARDS,
    hot_cards: HOT,
    ops: OPS,
    concurrency: CONCURRENCY,
    applied: done,
    refused_insufficient: refused,
    failed,
    ops_per_s: Math.round(OPS / seconds),
    p99_ms: Number(p99.toFixed(2)),
    negative,
    ledger_mismatch: mismatch,
    seed_s: Number(seedSeconds.toFixed(1)),
  }),
);
await database.close();
if (url) {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`drop schema ${schema} cascade`);
  await admin.end();
}
