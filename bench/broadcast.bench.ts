// Broadcast benchmark: N fans (members with an openid on one service account) get one news
// broadcast to "everyone" (count confirmed), sent as a job in batches of 10,000 openids to the
// in-process WeChat simulator (reached without a socket). Prints recipients, batches, sends per
// second of the whole send (snapshot + recipients + batches), and the simulator's per-fan count:
// duplicates and lost must be 0. The SIGKILL-and-resume case is test/messaging-crash.test.ts.
//   npm run bench -- broadcast     BENCH_RECIPIENTS (default 100,000; the 1,000,000 takes
//                                  ~10× longer and memory for the simulator's fans),
//                                  BENCH_DATABASE_URL=postgres://… for PostgreSQL
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createApiToken, createMerchant } from '../src/modules/tenants/index.ts';
import { newId } from '../src/platform/ids.ts';
import { massDeliveryCounts } from '../src/simulator/mass-send.routes.ts';

const N = Number(process.env.BENCH_RECIPIENTS ?? 100_000);
const url = process.env.BENCH_DATABASE_URL;
const dir = mkdtempSync(join(tmpdir(), 'weiloop-broadcast-'));
let schema = '';
if (url) {
  schema = `bench_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
}
const config = loadConfig(
  { PORT: '0', LOG_LEVEL: 'silent' },
  {
    database: url ? { kind: 'postgres', url, schema } : { kind: 'sqlite', path: join(dir, 'bench.db') },
    demo: false,
    worker: false,
    masterKey: { env: null, file: join(dir, 'master.key') },
  },
);
const app = await buildApp(config, { logger: pino({ level: 'silent' }) });
const { deps } = app;
const sim = app.simulator!.sim;
const now = Date.now();
const system = { db: deps.db, dialect: deps.dialect, now };
const merchant = await createMerchant(system, { slug: 'broadcast-bench', name: 'bench' });
const { token } = await createApiToken(
  { ...system, merchantId: merchant.id },
  { name: 'bench', role: 'owner' },
);
const call = async (method: 'GET' | 'POST', path: string, body?: object) => {
  const r = await app.app.inject({
    method,
    url: `/api/v1${path}`,
    headers: { authorization: `Bearer ${token}` },
    ...(body ? { payload: body } : {}),
  });
  if (r.statusCode >= 300) throw new Error(`${path}: ${r.statusCode} ${r.body}`);
  return r.json();
};
const appid = 'wxbench0000000001';
const account = await call('POST', '/accounts', {
  name: '压测服务号',
  appid,
  secret: 'bench-secret-123456',
  type: 'service',
  verified: true,
  token: 'benchtoken',
  mode: 'plain',
});

// Fans in the simulator and members in CRM, written in bulk (the import path is its own bench).
for (let i = 0; i < N; i++) sim.ensureFan(appid, `o_b_${i}`, undefined, true);
for (let i = 0; i < N; i += 500) {
  const ids = Array.from({ length: Math.min(500, N - i) }, (_, k) => ({
    id: newId('mem', now),
    openid: `o_b_${i + k}`,
  }));
  await deps.db
    .insertInto('crm_members')
    .values(
      ids.map((m) => ({
        id: m.id,
        merchant_id: merchant.id,
        attrs: '{}',
        order_count: 0,
        spend: 0,
        created_at: now,
        updated_at: now,
      })),
    )
    .execute();
  await deps.db
    .insertInto('crm_identities')
    .values(
      ids.map((m) => ({
        merchant_id: merchant.id,
        kind: 'openid',
        value: `${account.id}:${m.openid}`,
        member_id: m.id,
        created_at: now,
      })),
    )
    .execute();
}

const draft = await call('POST', '/broadcasts', {
  account_id: account.id,
  kind: 'news',
  articles: [{ title: '本周新品', digest: '上新', body: '正文', link: 'https://shop.example/p/1' }],
  audience: { kind: 'all' },
});
const { count } = await call('POST', '/broadcasts/audience-count', { kind: 'all' });
const started = performance.now();
await call('POST', `/broadcasts/${draft.id}/schedule`, { preset: 'now', confirm_count: count });
await app.worker.drain();
const seconds = (performance.now() - started) / 1000;
const row = await deps.db
  .selectFrom('broadcasts')
  .selectAll()
  .where('id', '=', draft.id)
  .executeTakeFirstOrThrow();
const counts = massDeliveryCounts(sim, appid, row.media_id ?? '');
let duplicates = 0;
for (const n of counts.values()) duplicates += n - 1;
process.stdout.write(
  `${JSON.stringify({
    bench: 'broadcast',
    recipients: row.recipients,
    batches: row.batches,
    status: row.status,
    seconds: Number(seconds.toFixed(2)),
    sends_per_s: Math.round(row.sent / seconds),
    duplicates,
    lost: N - counts.size,
    rss_mb: Math.round(process.memoryUsage().rss / 1_048_576),
    engine: deps.dialect,
  })}\n`,
);
await app.close();
if (url) {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`drop schema ${schema} cascade`);
  await admin.end();
}
