// Broadcast benchmark, as the issue sets it: N fans (members with an openid on one service account,
// plus 20 tags) get one news broadcast to "everyone" (count confirmed), sent in calls of 10,000
// openids, then one template notice each through the notice service. This process serves the
// WeChat simulator and the account's callback over HTTP; a separate `weiloop worker` process
// sends, and is killed with SIGKILL at 50% of each phase and started again (its jobs' five-minute
// leases are ended by hand, as the crash test does). Duplicates and losses are counted from the
// simulator's per-fan deliveries. `per_s` is notices from the first request to the last notice
// settled (rows written, kill and restart included), `ceiling_rps` a no-op route's requests/s on
// the same server in the same run (one HTTP request per notice is the least a notice costs) and
// `ratio` the one over the other; `rss_mb` is the worker's peak (the sending
// pipeline, heap capped as below); `app_rss_mb` is this process (the simulator holding N fans'
// transcripts, and the callback).
//   npm run bench -- broadcast     BENCH_RECIPIENTS (default 100,000), BENCH_SCALE (multiplies
//                                  it), BENCH_DATABASE_URL=postgres://… (+ BENCH_REDIS_URL) for
//                                  PostgreSQL, BENCH_PER_SECOND (the account's pace, 20,000),
//                                  BENCH_WORKER_FLAGS (node flags for the worker: --cpu-prof …),
//                                  BENCH_LOG=warn (the server's log), BENCH_KEEP=1 (keep the
//                                  PostgreSQL schema to look at afterwards)
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import inspector from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
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
import { createSimulatorState } from '../src/simulator/simulator.ts';

const N = Math.max(
  20,
  Math.round(Number(process.env.BENCH_RECIPIENTS ?? 100_000) * Number(process.env.BENCH_SCALE ?? 1)),
);
const PER_SECOND = Number(process.env.BENCH_PER_SECOND ?? 20_000);
/**
 * The worker's heap, as a deployment sets it (NODE_OPTIONS): an old-space cap, so that a leak ends
 * in an out-of-memory crash rather than a slow climb, and young-generation semi-spaces of 8 MB
 * (V8 grows them to 16 MB each, three of them, when a process allocates fast, as a sender does).
 * A cap close to the live set makes V8 collect all the time: 160 MB cost the worker 6.5 s of GC
 * for 15,000 notices, 256 MB 0.3 s. BENCH_WORKER_HEAP_MB=0 lifts both.
 */
const WORKER_HEAP_MB = Number(process.env.BENCH_WORKER_HEAP_MB ?? 256);
const url = process.env.BENCH_DATABASE_URL;
const redisUrl = process.env.BENCH_REDIS_URL;
const dir = mkdtempSync(join(tmpdir(), 'weiloop-broadcast-'));
let schema = '';
if (url) {
  schema = `bench_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
}
const keyFile = join(dir, 'master.key');
const redisPrefix = `bench:${Date.now().toString(36)}:`;
const config = loadConfig(
  { PORT: '0', LOG_LEVEL: 'silent', ...(redisUrl ? { REDIS_URL: redisUrl, REDIS_PREFIX: redisPrefix } : {}) },
  {
    database: url ? { kind: 'postgres', url, schema } : { kind: 'sqlite', path: join(dir, 'bench.db') },
    demo: false,
    worker: false,
    masterKey: { env: null, file: keyFile },
  },
);
// A simulator without a state file: saving a million fans' state as JSON is not WeChat's work.
const app = await buildApp(config, {
  logger: pino({ level: process.env.BENCH_LOG ?? 'silent' }),
  simulator: createSimulatorState(),
});
// The ceiling: a no-op route of the same server, answering what the template API answers.
await app.app.register(async (scope) => {
  scope.post('/bench/noop', { schema: { hide: true } }, async () => ({ errcode: 0, errmsg: 'ok', msgid: 1 }));
});
await app.app.listen({ port: 0, host: '127.0.0.1' });
const port = (app.app.server.address() as AddressInfo).port;
const { deps } = app;
const sim = app.simulator!.sim;

// WeChat's side counts what it delivered, as it goes (the kill lands at half).
let templateDeliveries = 0;
const record = sim.record.bind(sim);
sim.record = (fan, entry) => {
  if (entry.via === 'template') templateDeliveries += 1;
  record(fan, entry);
};

/** The worker's peak resident memory, read from /proc while it runs. */
const workerPeaks: number[] = [];
let workerPeakParts = { anon: 0, file: 0, shmem: 0 };
const children: ChildProcess[] = [];
/** Workers this bench stopped itself (SIGTERM ends one cleanly, with exit code 0). */
const stopping = new Set<ChildProcess>();
function startWorker(): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_WORKER_FLAGS ? process.env.BENCH_WORKER_FLAGS.split(' ') : []),
      join(import.meta.dirname, '..', 'src', 'main.ts'),
      'worker',
    ],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        NODE_OPTIONS: [
          process.env.NODE_OPTIONS,
          WORKER_HEAP_MB ? `--max-old-space-size=${WORKER_HEAP_MB} --max-semi-space-size=8` : '',
        ]
          .filter(Boolean)
          .join(' '),
        DATABASE_URL: url ? `${url}?options=-c%20search_path%3D${schema}` : join(dir, 'bench.db'),
        SIMULATOR: '0',
        WECHAT_API_BASE: `http://127.0.0.1:${port}/sim`,
        PUBLIC_URL: config.publicUrl,
        LOG_LEVEL: 'silent',
        WEILOOP_MASTER_KEY_FILE: keyFile,
        ...(redisUrl ? { REDIS_URL: redisUrl, REDIS_PREFIX: redisPrefix } : {}),
      },
    },
  );
  const slot = workerPeaks.push(0) - 1;
  const sampler = setInterval(() => {
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
      const rss = kb('VmRSS') * 1024;
      if (rss > Math.max(...workerPeaks))
        // What the peak is made of: the heap and SQLite's page cache are anonymous memory, the
        // database's shared-memory index and mapped files are not.
        workerPeakParts = {
          anon: kb('RssAnon') * 1024,
          file: kb('RssFile') * 1024,
          shmem: kb('RssShmem') * 1024,
        };
      workerPeaks[slot] = Math.max(workerPeaks[slot]!, rss);
    } catch {
      // gone
    }
  }, 100);
  child.once('exit', (code, signal) => {
    clearInterval(sampler);
    // A worker that dies on its own (not our SIGKILL/SIGTERM) would leave the bench waiting.
    if (signal === null && !stopping.has(child)) {
      process.stderr.write(`worker exited with ${code}\n`);
      process.exit(1);
    }
  });
  children.push(child);
  return child;
}
async function killAndRestart(child: ChildProcess): Promise<ChildProcess> {
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  // The dead worker's leases would run out after five minutes; end them now instead of waiting.
  await deps.db.updateTable('jobs').set({ locked_until: 0 }).where('status', '=', 'running').execute();
  return startWorker();
}
async function until(ok: () => boolean | Promise<boolean>, ms: number, what: string) {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

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
for (let i = 0; i < 20; i++) await call('POST', '/crm/tags', { name: `标签${i}`, sync: false });

let worker = startWorker();

// The mass send: killed once half its calls are recorded, with a call in WeChat's hands.
const draft = await call('POST', '/broadcasts', {
  account_id: account.id,
  kind: 'news',
  articles: [{ title: '本周新品', digest: '上新', body: '正文', link: 'https://shop.example/p/1' }],
  audience: { kind: 'all' },
});
const { count } = await call('POST', '/broadcasts/audience-count', { kind: 'all' });
const progress = () =>
  deps.db.selectFrom('broadcasts').selectAll().where('id', '=', draft.id).executeTakeFirstOrThrow();
sim.app(appid).massSendDelayMs = 50;
const started = performance.now();
await call('POST', `/broadcasts/${draft.id}/schedule`, { preset: 'now', confirm_count: count });
await until(
  async () => {
    const p = await progress();
    return (
      p.batches > 0 &&
      p.batches_done >= Math.floor(p.batches / 2) &&
      (sim.app(appid).massSendsInFlight ?? 0) > 0
    );
  },
  600_000,
  'half the mass send',
);
worker = await killAndRestart(worker);
await until(async () => (await progress()).status === 'sent', 600_000, 'the mass send');
const seconds = (performance.now() - started) / 1000;
const row = await progress();
const counts = massDeliveryCounts(sim, appid, row.media_id ?? '');
let massDuplicates = 0;
for (const n of counts.values()) massDuplicates += n - 1;
const massLost = N - counts.size;

// One template notice to every fan, through the service: WeChat's allowance raised to the run's
// size (it grows with the follower count), and a real per-second pace for the account.
await call('PUT', '/notices/templates/order_paid', { template_id: 'TM_BENCH' });
await call('PUT', '/notices/settings', { daily_limit: N, per_second: PER_SECOND });
// The same machine's ceiling for one HTTP request per notice, from another process, measured in
// this run just before the notices: the kept-alive client, the sender's 48 lanes, a no-op route.
const ceiling = await new Promise<number>((resolve, reject) => {
  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, 'noop-load.ts'), `http://127.0.0.1:${port}/bench/noop`, '48', '20000'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout!.on('data', (chunk) => {
    out += chunk;
  });
  child.once('exit', (code) =>
    code === 0 ? resolve(JSON.parse(out).rps) : reject(new Error(`noop load ${code}`)),
  );
});
const noticeCtx = merchantCtx(deps, merchant.id);
let appPeak = process.memoryUsage().rss;
const sampler = setInterval(() => {
  appPeak = Math.max(appPeak, process.memoryUsage().rss);
}, 200);
// BENCH_PROFILE=dir: this process's CPU profile of the notice phase alone.
const profiler = process.env.BENCH_PROFILE ? new inspector.Session() : null;
if (profiler) {
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.start');
  // What the notice phase allocates and keeps (sampled), beside where the time goes.
  await profiler.post('HeapProfiler.enable');
  await profiler.post('HeapProfiler.startSampling', { samplingInterval: 65_536 });
}
const noticesStarted = performance.now();
let killed = false;
/** Seconds to the first half delivered: the steady rate, before the kill and its settle wait. */
let halfSeconds = 0;
let templateHalf = 0;
const trace = (what: string) =>
  process.env.BENCH_TRACE &&
  process.stderr.write(
    `${((performance.now() - noticesStarted) / 1000).toFixed(1)}s ${what} (${templateDeliveries} delivered)\n`,
  );
const killer = (async () => {
  await until(() => templateDeliveries >= N / 2, 3_600_000, 'half the notices');
  templateHalf = templateDeliveries;
  trace('kill');
  halfSeconds = (performance.now() - noticesStarted) / 1000;
  worker = await killAndRestart(worker);
  killed = true;
})();
for (let i = 0; i < N; i += 10_000) {
  const slice = Array.from({ length: Math.min(10_000, N - i) }, (_, k) => ({
    openid: `o_b_${i + k}`,
    vars: { order_id: `ord_${i + k}`, items: '本周新品', first_item: '本周新品', total: '¥99.00', link: '' },
  }));
  await requestTemplateNotices(
    noticeCtx,
    { kind: 'order_paid', eventKey: 'bench', accountId: account.id },
    slice,
  );
}
trace('requested');
await killer;
const unsettled = async () =>
  Number(
    (
      await deps.db
        .selectFrom('notices')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('merchant_id', '=', merchant.id)
        .where('status', 'in', ['pending', 'sending'])
        .executeTakeFirstOrThrow()
    ).n,
  );
await until(() => templateDeliveries >= N, 3_600_000, 'every notice delivered');
trace('delivered');
for (;;) {
  if ((await unsettled()) === 0) break;
  await new Promise((r) => setTimeout(r, 250));
}
const noticeSeconds = (performance.now() - noticesStarted) / 1000;
if (profiler) {
  const { profile: heap } = await profiler.post('HeapProfiler.stopSampling');
  writeFileSync(
    join(process.env.BENCH_PROFILE!, `broadcast-app-${process.pid}.heapprofile`),
    JSON.stringify(heap),
  );
  const { profile } = await profiler.post('Profiler.stop');
  writeFileSync(
    join(process.env.BENCH_PROFILE!, `broadcast-app-${process.pid}.cpuprofile`),
    JSON.stringify(profile),
  );
}
clearInterval(sampler);
stopping.add(worker);
worker.kill('SIGTERM');
await new Promise((r) => worker.once('exit', r));

let noticeDuplicates = 0;
let delivered = 0;
for (let i = 0; i < N; i++) {
  const n = sim
    .fan(appid, `o_b_${i}`)
    .transcript.filter((e) => e.via === 'template' && e.message.templateId === 'TM_BENCH').length;
  if (n > 0) delivered += 1;
  noticeDuplicates += Math.max(0, n - 1);
}
const mb = (bytes: number) => Math.round(bytes / 1_048_576);
process.stdout.write(
  `${JSON.stringify({
    bench: 'broadcast',
    notices: N,
    per_s: Math.round(N / noticeSeconds),
    steady_per_s: Math.round(templateHalf / halfSeconds),
    ceiling_rps: ceiling,
    ratio: Number((N / noticeSeconds / ceiling).toFixed(3)),
    duplicates: noticeDuplicates + massDuplicates,
    lost: N - delivered + massLost,
    rss_mb: mb(Math.max(...workerPeaks)),
    rss_parts_mb: {
      anon: mb(workerPeakParts.anon),
      file: mb(workerPeakParts.file),
      shmem: mb(workerPeakParts.shmem),
    },
    engine: deps.dialect,
    redis: Boolean(redisUrl),
    killed,
    notice_seconds: Number(noticeSeconds.toFixed(2)),
    notice_duplicates: noticeDuplicates,
    notice_lost: N - delivered,
    per_second_pace: PER_SECOND,
    worker_heap_cap_mb: WORKER_HEAP_MB || null,
    app_rss_mb: mb(appPeak),
    recipients: row.recipients,
    batches: row.batches,
    status: row.status,
    mass_duplicates: massDuplicates,
    mass_lost: massLost,
    seconds: Number(seconds.toFixed(2)),
  })}\n`,
);
for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
await app.close();
if (url && !process.env.BENCH_KEEP) {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`drop schema ${schema} cascade`);
  await admin.end();
}
