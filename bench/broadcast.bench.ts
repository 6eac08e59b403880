// Broadcast benchmark: N fans (members with an openid on one service account, plus 20 tags) get
// one news broadcast to "everyone" (count confirmed), sent as a job in batches of 10,000 openids to
// the in-process WeChat simulator (reached without a socket), then one template notice each
// through the notice service (rows + sending jobs, within the daily allowance and pace set for
// the run). Prints the notices' rate (`per_s`, queueing included) beside the mass send's, and the
// simulator's per-fan counts: duplicates and lost must be 0. The SIGKILL-and-resume case of the
// mass send is test/messaging-crash.test.ts.
//   npm run bench -- broadcast     BENCH_RECIPIENTS (default 100,000; the 1,000,000 takes
//                                  ~10× longer and memory for the simulator's fans), BENCH_SCALE
//                                  (multiplies it), BENCH_DATABASE_URL=postgres://… for PostgreSQL
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { merchantCtx } from '../src/context.ts';
import { requestTemplateNotices } from '../src/modules/messaging/index.ts';
import { createApiToken, createMerchant } from '../src/modules/tenants/index.ts';
import { newId } from '../src/platform/ids.ts';
import { massDeliveryCounts } from '../src/simulator/mass-send.routes.ts';

const N = Math.max(
  20,
  Math.round(Number(process.env.BENCH_RECIPIENTS ?? 100_000) * Number(process.env.BENCH_SCALE ?? 1)),
);
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
const call = async (method: 'GET' | 'POST' | 'PUT', path: string, body?: object) => {
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

// Twenty tags, as a merchant has; the send goes to everyone.
for (let i = 0; i < 20; i++) await call('POST', '/crm/tags', { name: `标签${i}`, sync: false });

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
let massDuplicates = 0;
for (const n of counts.values()) massDuplicates += n - 1;
const massLost = N - counts.size;

// One template notice to every fan, through the service: quota and pace set for the run.
await call('PUT', '/notices/templates/order_paid', { template_id: 'TM_BENCH' });
await call('PUT', '/notices/settings', { daily_limit: N * 2, per_second: 100_000 });
const noticeCtx = merchantCtx(deps, merchant.id);
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 200);
const noticesStarted = performance.now();
for (let i = 0; i < N; i += 50_000) {
  const slice = Array.from({ length: Math.min(50_000, N - i) }, (_, k) => ({
    openid: `o_b_${i + k}`,
    vars: { order_id: `ord_${i + k}`, items: '本周新品', first_item: '本周新品', total: '¥99.00', link: '' },
  }));
  await requestTemplateNotices(
    noticeCtx,
    { kind: 'order_paid', eventKey: 'bench', accountId: account.id },
    slice,
  );
}
await app.worker.drain();
const noticeSeconds = (performance.now() - noticesStarted) / 1000;
clearInterval(sampler);
let noticeDuplicates = 0;
let delivered = 0;
for (let i = 0; i < N; i++) {
  const n = sim
    .fan(appid, `o_b_${i}`)
    .transcript.filter((e) => e.via === 'template' && e.message.templateId === 'TM_BENCH').length;
  if (n > 0) delivered += 1;
  noticeDuplicates += Math.max(0, n - 1);
}
process.stdout.write(
  `${JSON.stringify({
    bench: 'broadcast',
    notices: N,
    per_s: Math.round(N / noticeSeconds),
    duplicates: noticeDuplicates + massDuplicates,
    lost: N - delivered + massLost,
    rss_mb: Math.round(peakRss / 1_048_576),
    engine: deps.dialect,
    notice_seconds: Number(noticeSeconds.toFixed(2)),
    recipients: row.recipients,
    batches: row.batches,
    status: row.status,
    seconds: Number(seconds.toFixed(2)),
    mass_per_s: Math.round(row.sent / seconds),
  })}\n`,
);
await app.close();
if (url) {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`drop schema ${schema} cascade`);
  await admin.end();
}
