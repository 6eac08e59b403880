// Dashboard benchmark: N followers, M log messages over 90 days (follows, unfollows, chats and
// replies) and K orders for one merchant; the analytics rollups built by the log tail (the same
// code that keeps them current); then GET /api/v1/analytics/overview (30 days) and the followers
// report over HTTP, p50/p99, against a no-op route of the same server in the same run. Also times
// one pass of the old way (the dashboard's follower and message series scanned from the log).
//   npm run bench -- analytics    BENCH_MEMBERS (default 1,000,000), BENCH_MESSAGES (10,000,000),
//                                 BENCH_ORDERS (200,000), BENCH_REQUESTS (200),
//                                 BENCH_DATABASE_URL=postgres://… for PostgreSQL
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { merchantCtx } from '../src/context.ts';
import type { Db } from '../src/database.ts';
import { rollupTail } from '../src/modules/analytics/index.ts';
import { followerGrowth, messagesByDay } from '../src/modules/channel/index.ts';
import { addMember, createApiToken, createMerchant } from '../src/modules/tenants/index.ts';
import { zoneOffsetMs } from '../src/platform/db/day-buckets.ts';
import { newId } from '../src/platform/ids.ts';
import { httpClient, runLoad } from './http-load.ts';

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 1_000_000);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 10_000_000);
const ORDERS = Number(process.env.BENCH_ORDERS ?? 200_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200);
const QR_CODES = 20;
const DAY = 86_400_000;
const SPAN = 89 * DAY;

const url = process.env.BENCH_DATABASE_URL;
let schema = '';
if (url) {
  schema = `bench_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
}
const dir = mkdtempSync(join(tmpdir(), 'weiloop-analytics-'));
const config = loadConfig(
  { PORT: '0', LOG_LEVEL: 'silent' },
  {
    database: url ? { kind: 'postgres', url, schema } : { kind: 'sqlite', path: join(dir, 'analytics.db') },
    demo: false,
    worker: false,
    simulator: false,
  },
);
const weiloop = await buildApp(config, { logger: pino({ level: 'silent' }) });
const { deps } = weiloop;
const db: Db = deps.db;
const now = Date.now();
const system = { db, dialect: deps.dialect, now };
const merchant = await createMerchant(system, { slug: 'analytics-bench', name: 'bench' });
await addMember(
  { ...system, merchantId: merchant.id },
  { email: 'o@bench.test', password: 'bench-pass-9', role: 'owner' },
);
const { token } = await createApiToken(
  { ...system, merchantId: merchant.id },
  { name: 'bench', role: 'owner' },
);
const accountId = newId('oa', now);
await db
  .insertInto('official_accounts')
  .values({
    id: accountId,
    merchant_id: merchant.id,
    name: 'bench',
    appid: 'wxbench0000000001',
    app_secret: 'x',
    token: 'x',
    aes_key: null,
    original_id: null,
    mode: 'plain',
    type: 'service',
    verified: 1,
    created_at: now,
    updated_at: now,
  })
  .execute();

// A deterministic generator, so runs compare.
let seed = 42;
const rand = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
};
const openid = (i: number) => `o_bench_${i}`;
const scenes = Array.from({ length: QR_CODES }, (_, i) => `scene_${i}`);
const qrIds: string[] = [];
for (const scene of scenes) {
  const id = newId('qr', now);
  qrIds.push(id);
  await db
    .insertInto('channel_qrcodes')
    .values({
      id,
      merchant_id: merchant.id,
      account_id: accountId,
      name: `渠道 ${scene}`,
      scene,
      permanent: 1,
      ticket: `t_${scene}`,
      url: '',
      expires_at: null,
      created_at: now,
    })
    .execute();
}

async function inChunks<T>(
  total: number,
  size: number,
  make: (i: number) => T,
  write: (rows: T[]) => Promise<void>,
) {
  for (let start = 0; start < total; start += size) {
    const rows: T[] = [];
    for (let i = start; i < Math.min(total, start + size); i++) rows.push(make(i));
    await write(rows);
  }
}
const batchInsert =
  (table: 'followers' | 'inbound_messages' | 'orders', per: number) => async (rows: object[]) => {
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += per)
        await trx
          .insertInto(table)
          .values(rows.slice(i, i + per) as never)
          .execute();
    });
  };

const seedStarted = performance.now();
await inChunks(
  MEMBERS,
  20_000,
  (i) => {
    const at = now - SPAN + Math.floor(rand() * SPAN);
    return {
      id: newId('fan', at),
      merchant_id: merchant.id,
      account_id: accountId,
      openid: openid(i),
      unionid: null,
      subscribed: rand() < 0.9 ? 1 : 0,
      first_subscribed_at: at,
      subscribed_at: at,
      unsubscribed_at: null,
      source_qrcode_id: rand() < 0.4 ? qrIds[i % QR_CODES]! : null,
      last_interaction_at: at,
      created_at: at,
    };
  },
  batchInsert('followers', 500),
);
// Times ascend through the log, as a live log's ids do.
await inChunks(
  MESSAGES,
  20_000,
  (i) => {
    const at = now - SPAN + Math.floor((i / MESSAGES) * SPAN);
    const r = rand();
    const kind = r < 0.05 ? 'subscribe' : r < 0.06 ? 'unsubscribe' : r < 0.8 ? 'text' : 'click';
    const id = newId('msg', at);
    return {
      id,
      merchant_id: merchant.id,
      account_id: accountId,
      dedupe_key: id,
      openid: openid(Math.floor(rand() * MEMBERS)),
      kind,
      content:
        kind === 'subscribe'
          ? rand() < 0.4
            ? scenes[i % QR_CODES]!
            : null
          : kind === 'text'
            ? '连衣裙'
            : null,
      reply: kind === 'text' && rand() < 0.5 ? '{"type":"text","content":"好的"}' : null,
      followup: null,
      created_at: at,
    };
  },
  batchInsert('inbound_messages', 400),
);
await inChunks(
  ORDERS,
  20_000,
  (i) => {
    const at = now - SPAN + Math.floor(rand() * SPAN);
    const paid = rand() < 0.4;
    return {
      id: newId('ord', at),
      merchant_id: merchant.id,
      account_id: accountId,
      openid: openid(Math.floor(rand() * MEMBERS)),
      status: paid ? 'paid' : rand() < 0.5 ? 'cancelled' : 'pending_payment',
      payment_method: 'wechat',
      items_total: 9900,
      shipping_fee: 0,
      discount: 0,
      total: 9900,
      address: '{}',
      note: '',
      source: null,
      idempotency_key: null,
      paid_at: paid ? at + 60_000 : null,
      shipped_at: null,
      carrier: null,
      tracking_no: null,
      completed_at: null,
      cancelled_at: null,
      cancel_reason: null,
      reminded_at: null,
      pickup_store_id: null,
      pickup_code: null,
      collected_at: null,
      collected_by: null,
      created_at: at,
      updated_at: at,
      i,
    };
  },
  async (rows) => batchInsert('orders', 200)(rows.map(({ i: _i, ...row }) => row)),
);
const seedSeconds = (performance.now() - seedStarted) / 1000;

// The rollups from the log, through the tail that keeps them current in production.
const tailStarted = performance.now();
await rollupTail(deps)();
const tailSeconds = (performance.now() - tailStarted) / 1000;

const to = now + 60_000;
const from = to - 30 * DAY;
const ctx = merchantCtx(deps, merchant.id);
const range = { from, to, offsetMs: zoneOffsetMs('Asia/Shanghai', from) };
const scanStarted = performance.now();
await Promise.all([followerGrowth(ctx, range), messagesByDay(ctx, range)]);
const scanMs = performance.now() - scanStarted;

weiloop.app.get('/bench/noop', { schema: { hide: true } }, async () => ({ ok: true }));
const address = await weiloop.app.listen({ port: 0, host: '127.0.0.1' });
const client = httpClient(address, 1);
const auth = { authorization: `Bearer ${token}` };
const measure = async (path: string, headers: Record<string, string> = {}) => {
  const first = await client.send('GET', path, undefined, headers);
  if (first.status !== 200) throw new Error(`${path}: ${first.status} ${first.body.slice(0, 200)}`);
  const { latencies } = await runLoad(REQUESTS, 1, async () => {
    await client.send('GET', path, undefined, headers);
  });
  const at = (q: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]! * 100) / 100;
  return { p50: at(0.5), p99: at(0.99) };
};
const noop = await measure('/bench/noop');
const dashboard = await measure(`/api/v1/analytics/overview?from=${from}&to=${to}`, auth);
const followers = await measure(`/api/v1/analytics/followers?from=${from}&to=${to}`, auth);
client.close();

process.stdout.write(
  `${JSON.stringify({
    bench: 'analytics',
    engine: deps.dialect,
    members: MEMBERS,
    messages: MESSAGES,
    orders: ORDERS,
    requests: REQUESTS,
    dashboard_p50_ms: dashboard.p50,
    dashboard_p99_ms: dashboard.p99,
    followers_p50_ms: followers.p50,
    followers_p99_ms: followers.p99,
    noop_p50_ms: noop.p50,
    noop_p99_ms: noop.p99,
    dashboard_vs_noop_p50: Math.round((dashboard.p50 / noop.p50) * 10) / 10,
    log_scan_ms: Math.round(scanMs),
    rollup_tail_s: Math.round(tailSeconds * 10) / 10,
    rollup_rows_per_s: Math.round(MESSAGES / tailSeconds),
    seed_s: Math.round(seedSeconds),
  })}\n`,
);
await weiloop.close();
if (url) {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`drop schema ${schema} cascade`);
  await admin.end();
}
