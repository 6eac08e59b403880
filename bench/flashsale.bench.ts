// Flash-sale bench: reserved buyers hammer one sale over HTTP on 127.0.0.1; the stock gate answers
// losers without the database, winners get orders. One JSON line with the fields, and the
// same server's no-op route in the same run as the ceiling.
//   npm run bench -- flashsale                          embedded (SQLite + in-process gate)
//   BENCH_DATABASE_URL=postgres://… BENCH_REDIS_URL=redis://… npm run bench -- flashsale
//   BENCH_SCALE=0.1 scales units, attempts and buyers down together (the full run is 150,000 /
//   1,000,000 / 200,000); BENCH_CONCURRENCY sets the lanes (default 256).
import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { httpClient, pct, runLoad } from './http-load.ts';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const UNITS = Math.round(150_000 * SCALE);
const ATTEMPTS = Math.round(1_000_000 * SCALE);
const BUYERS = Math.round(200_000 * SCALE);
// A spike is many buyers at once: with few lanes the run measures how long a winner waits for its
// batch's commit (every lane stalls on one), not how many attempts the server answers. The no-op
// ceiling is measured with the same lanes. At 64 lanes PostgreSQL + Redis gave 0.37 of it.
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 256);
const NOOP = Math.max(20_000, Math.round(ATTEMPTS / 5));
const here = dirname(fileURLToPath(import.meta.url));

const server = fork(join(here, 'flashsale-server.ts'), {
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  env: { ...process.env, FS_UNITS: String(UNITS), FS_BUYERS: String(BUYERS) },
});
// A server that dies (out of memory, a crash) must say so, not leave the bench waiting silently.
server.on('exit', (code, signal) => {
  if (code !== 0) {
    process.stderr.write(`flashsale server exited: code ${code} signal ${signal}\n`);
    process.exit(1);
  }
});
const ready = await new Promise<{ address: string; appid: string; saleId: string; tokenPrefix: string }>(
  (resolve) => server.once('message', (m) => resolve(m as never)),
);
const client = httpClient(ready.address, CONCURRENCY);
const body = JSON.stringify({
  address: { name: '买家', phone: '13800138000', region: '北京市海淀区', detail: '清河中街 68 号' },
});
const buyPath = `/shop/${ready.appid}/api/flash-sales/${ready.saleId}/buy`;
// Attempt i comes from buyer (i × 7919) mod buyers: every buyer tries about five times, spread out.
const buyerOf = (i: number) => (i * 7919 + 13) % BUYERS;

await runLoad(2_000, CONCURRENCY, async (i) => {
  await client.send('POST', '/bench/noop', body, { cookie: `wl_fan=${ready.tokenPrefix}${i % BUYERS}` });
});
const ceiling = await runLoad(NOOP, CONCURRENCY, async (i) => {
  await client.send('POST', '/bench/noop', body, { cookie: `wl_fan=${ready.tokenPrefix}${i % BUYERS}` });
});

const answers: Record<string, number> = {};
const gotOrders: string[] = [];
let errors = 0;
const sale = await runLoad(ATTEMPTS, CONCURRENCY, async (i) => {
  const res = await client.send('POST', buyPath, body, {
    cookie: `wl_fan=${ready.tokenPrefix}${buyerOf(i)}`,
  });
  if (res.status !== 200) {
    errors++;
    return;
  }
  const answer = JSON.parse(res.body) as { result: string; order_id?: string };
  answers[answer.result] = (answers[answer.result] ?? 0) + 1;
  if (answer.result === 'got' && answer.order_id) gotOrders.push(answer.order_id);
});
client.close();

const verified = await new Promise<{
  orders: string[];
  distinct_buyers: number;
  orders_without_pass: number;
  units_sold: number;
  gate_left: number | null;
  sku_stock: number;
}>((resolve) => {
  server.once('message', (m) => resolve(m as never));
  server.send({ type: 'verify' });
});
const inDb = new Set(verified.orders);
console.log(
  JSON.stringify({
    bench: 'flashsale',
    engine: process.env.BENCH_DATABASE_URL
      ? process.env.BENCH_REDIS_URL
        ? 'postgres+redis'
        : 'postgres'
      : 'embedded',
    scale: SCALE,
    units: UNITS,
    attempts: ATTEMPTS,
    buyers: BUYERS,
    concurrency: CONCURRENCY,
    attempts_per_s: sale.perSecond,
    ceiling_rps: ceiling.perSecond,
    ratio: Number((sale.perSecond / ceiling.perSecond).toFixed(2)),
    p50_ms: pct(sale.latencies, 0.5),
    p99_ms: pct(sale.latencies, 0.99),
    seconds: Number(sale.seconds.toFixed(1)),
    answers,
    errors,
    units_sold: verified.units_sold,
    orders: verified.orders.length,
    oversold: Math.max(0, verified.orders.length - UNITS),
    duplicate_buyers: verified.orders.length - verified.distinct_buyers,
    lost: gotOrders.filter((id) => !inDb.has(id)).length + verified.orders_without_pass,
    orders_eq_units_sold: verified.orders.length === verified.units_sold,
    gate_left: verified.gate_left,
  }),
);
process.exit(0);
