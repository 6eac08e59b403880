// Nearest-store benchmark: 10,000 stores spread over China's cities (denser in the big ones);
// p50/p99 of "the 5 nearest open stores" for fans at random points. Prints one JSON line.
//   npm run bench -- nearest         (BENCH_STORES, BENCH_QUERIES to tune)
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { DB } from '../src/database.ts';
import { migrations } from '../src/migrations.ts';
import { nearestStores } from '../src/modules/catalog/index.ts';
import { openDatabase } from '../src/platform/db/database.ts';
import { migrateToLatest } from '../src/platform/db/migrate.ts';
import { newId } from '../src/platform/ids.ts';

const STORES = Number(process.env.BENCH_STORES ?? 10_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 5_000);
// [city, lat, lng, weight]
const CITIES: Array<[string, number, number, number]> = [
  ['上海', 31.23, 121.47, 20],
  ['北京', 39.9, 116.4, 18],
  ['广州', 23.13, 113.26, 12],
  ['深圳', 22.54, 114.06, 12],
  ['杭州', 30.27, 120.15, 8],
  ['南京', 32.06, 118.8, 8],
  ['成都', 30.57, 104.07, 8],
  ['武汉', 30.59, 114.3, 6],
  ['西安', 34.34, 108.94, 4],
  ['重庆', 29.56, 106.55, 4],
];
const totalWeight = CITIES.reduce((s, c) => s + c[3], 0);
let seed = 42;
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
};
function cityAt(r: number) {
  let acc = 0;
  for (const city of CITIES) {
    acc += city[3] / totalWeight;
    if (r <= acc) return city;
  }
  return CITIES[0]!;
}
// Within ~25 km of the centre, the way chain stores cluster in a metro area.
const around = ([, lat, lng]: [string, number, number, number]) =>
  [lat + (random() - 0.5) * 0.45, lng + (random() - 0.5) * 0.5] as const;

const dir = mkdtempSync(join(tmpdir(), 'weiloop-nearest-'));
const database = openDatabase<DB>({ kind: 'sqlite', path: join(dir, 'nearest.db') });
await migrateToLatest(database.db as Kysely<unknown>, migrations);
const now = Date.UTC(2026, 10, 25, 6, 0, 0);
const merchantId = newId('mch', now);
await database.db
  .insertInto('merchants')
  .values({ id: merchantId, slug: 'nearest', name: 'bench', timezone: 'Asia/Shanghai', created_at: now })
  .execute();
const rows = Array.from({ length: STORES }, (_, i) => {
  const city = cityAt(random());
  const [latitude, longitude] = around(city);
  return {
    id: newId('sto', now),
    merchant_id: merchantId,
    name: `${city[0]}${i}号店`,
    address: `${city[0]}某路 ${i} 号`,
    city: city[0],
    latitude,
    longitude,
    phone: '',
    opens_at: i % 10 === 0 ? '18:00' : '09:00',
    closes_at: i % 10 === 0 ? '02:00' : '22:00',
    created_at: now,
  };
});
await database.db.transaction().execute(async (trx) => {
  for (let i = 0; i < rows.length; i += 500)
    await trx
      .insertInto('stores')
      .values(rows.slice(i, i + 500))
      .execute();
});

const ctx = { db: database.db, merchantId, now };
const points = Array.from({ length: QUERIES + 500 }, () => around(cityAt(random())));
for (const [latitude, longitude] of points.slice(0, 500))
  await nearestStores(ctx, { latitude, longitude }, { limit: 5 });
const latencies: number[] = [];
let farthest = 0;
for (const [latitude, longitude] of points.slice(500)) {
  const started = performance.now();
  const found = await nearestStores(ctx, { latitude, longitude }, { limit: 5 });
  latencies.push(performance.now() - started);
  farthest = Math.max(farthest, found.at(-1)?.distance_m ?? 0);
}
// A fan in a small town far from any store still gets an answer, through the wider rings.
const remoteStarted = performance.now();
const remote = await nearestStores(ctx, { latitude: 43.82, longitude: 87.62 }, { limit: 5 });
const remoteMs = performance.now() - remoteStarted;
latencies.sort((a, b) => a - b);
const pct = (p: number) =>
  Number(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]!.toFixed(3));
await database.close();
console.log(
  JSON.stringify({
    bench: 'nearest',
    stores: STORES,
    queries: QUERIES,
    limit: 5,
    p50_ms: pct(0.5),
    p99_ms: pct(0.99),
    max_ms: pct(1),
    farthest_5th_m: farthest,
    remote_fan_ms: Number(remoteMs.toFixed(2)),
    remote_fan_nearest_km: Math.round((remote[0]?.distance_m ?? 0) / 1000),
  }),
);
