// Growth benchmark: fans enter a trial by replying in chat through the real inbound path (signed
// WeChat pushes to /wechat/:appid; the trial reader follows the message log); a red-packet rush
// against a budget; then 2-level commissions on paid orders settled into a balanced ledger (the
// distribution bench, run as a child and nested under `commissions`). Prints one JSON line.
//   npm run bench -- growth        (BENCH_SCALE scales all three, default 1 = 10,000 fans, 50,000
//                                   claims, 100,000 orders; BENCH_FANS, BENCH_CLAIMS override;
//                                   BENCH_CONCURRENCY, default 32; BENCH_COMMISSIONS=0 skips the
//                                   orders; BENCH_DATABASE_URL=postgres://… (+ BENCH_REDIS_URL) for
//                                   PostgreSQL, in a schema of its own, dropped at the end)
// Load generator and server share one process (app.inject): figures include both.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { merchantCtx } from '../src/context.ts';
import { createAccount } from '../src/modules/accounts/index.ts';
import { createProduct } from '../src/modules/catalog/index.ts';
import {
  claimRedPacket,
  createRedPacketCampaign,
  createTrial,
  drawTrial,
  drawWinners,
  seedHash,
  trialTail,
} from '../src/modules/growth/index.ts';
import { createCampaign } from '../src/modules/marketing/index.ts';
import { createMerchant } from '../src/modules/tenants/index.ts';
import { callbackSignature } from '../src/wechat/signature.ts';
import { renderWeChatXml } from '../src/wechat/xml.ts';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const FANS = Number(process.env.BENCH_FANS ?? Math.max(100, Math.round(10_000 * SCALE)));
// Red packets: BENCH_CLAIMS claims (default 50,000) by distinct fans plus 5% repeats, BENCH_CLAIM_CONCURRENCY at once.
const CLAIMS = Number(process.env.BENCH_CLAIMS ?? Math.max(1_000, Math.round(50_000 * SCALE)));
const CLAIM_CONCURRENCY = Number(process.env.BENCH_CLAIM_CONCURRENCY ?? 256);
// ¥10,000 at scale 1, scaled with the claims so that the budget always runs out mid-rush.
const BUDGET = Math.max(1_000, Math.round(1_000_000 * SCALE));
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
// One fan in ten replies twice (the seeds' "tens of thousands of replies" for thousands of entries).
const REPEAT_EVERY = 10;
const databaseUrl = process.env.BENCH_DATABASE_URL;
// Its own schema on PostgreSQL, so a bench never shares tables with tests or another run.
const schema = `bench_growth_${Date.now().toString(36)}`;
async function adminQuery(sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(sql);
  await admin.end();
}
if (databaseUrl) await adminQuery(`create schema ${schema}`);
const config = loadConfig(
  { PORT: '0', LOG_LEVEL: 'silent', REDIS_URL: process.env.BENCH_REDIS_URL },
  {
    database: databaseUrl
      ? { kind: 'postgres', url: databaseUrl, schema }
      : { kind: 'sqlite', path: join(mkdtempSync(join(tmpdir(), 'weiloop-bench-')), 'bench.db') },
    demo: false,
    worker: false,
    simulator: false,
  },
);
const weiloop = await buildApp(config, { logger: pino({ level: 'silent' }) });
const now = Date.now();
const merchant = await createMerchant(
  { db: weiloop.deps.db, dialect: weiloop.deps.dialect, now },
  { slug: `bench-growth-${now}`, name: 'Bench' },
);
const ctx = merchantCtx(weiloop.deps, merchant.id);
const appid = `wxgrow${String(now).slice(-12)}`;
const token = 'benchtoken';
const account = await createAccount(
  ctx,
  {},
  { name: 'bench', appid, secret: 'bench-secret-000', type: 'service', token, mode: 'plain' },
);
const product = await createProduct(ctx, {
  title: '保湿精华',
  status: 'on_sale',
  skus: [{ spec: {}, price: 29_900, stock: 100 }],
});
// Losers get a consolation coupon: the draw queues a job for every entry, as a real round does.
const consolation = await createCampaign(ctx, {
  name: '试用安慰券',
  kind: 'fixed',
  value: 500,
  total_limit: FANS,
  per_fan_limit: 1,
  valid_days: 7,
});
const trial = await createTrial(ctx, {
  consolation_campaign_id: consolation.id,
  account_id: account.id,
  title: '保湿精华试用',
  sku_id: product.skus[0]!.id,
  units: 100,
  keyword: '试用',
  closes_at: now + 3_600_000,
});

function pushFor(i: number, openid: string, content: string) {
  const timestamp = String(Math.floor(now / 1000) + i);
  const nonce = String(i);
  const query = new URLSearchParams({
    signature: callbackSignature(token, timestamp, nonce),
    timestamp,
    nonce,
  });
  return {
    url: `/wechat/${appid}?${query}`,
    body: renderWeChatXml({
      ToUserName: 'gh_bench',
      FromUserName: openid,
      CreateTime: Math.floor(now / 1000) + i,
      MsgType: 'text',
      Content: content,
      MsgId: `${8_000_000_000 + i}`,
    }),
  };
}

const pushes: Array<{ url: string; body: string }> = [];
for (let i = 0; i < FANS + Math.floor(FANS / REPEAT_EVERY); i++) {
  const fan = i < FANS ? i : (i - FANS) * REPEAT_EVERY;
  pushes.push(pushFor(i, `o_trial_${fan}`, `试用 我想试试，第 ${i} 条理由`));
}
// Same-run reference: new fans saying something that enters no trial, through the same path.
const REFERENCE = Math.max(100, Math.floor(FANS / 5));
const reference = Array.from({ length: REFERENCE }, (_, i) =>
  pushFor(1_000_000 + i, `o_ref_${i}`, `你好，第 ${i} 条`),
);

async function send(batch: Array<{ url: string; body: string }>) {
  let next = 0;
  let failures = 0;
  let answered = 0;
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < batch.length) {
        const push = batch[next++]!;
        const t0 = performance.now();
        const res = await weiloop.app.inject({
          method: 'POST',
          url: push.url,
          headers: { 'content-type': 'text/xml' },
          payload: push.body,
        });
        latencies.push(performance.now() - t0);
        if (res.statusCode !== 200) failures++;
        else if (res.body.includes('已收到')) answered++;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    Number(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]!.toFixed(2));
  return { failures, answered, seconds: (performance.now() - started) / 1000, p50: pct(0.5), p99: pct(0.99) };
}

// Warm the path first (JIT, statement caches), so neither measured batch pays for it.
await send(Array.from({ length: 50 }, (_, i) => pushFor(2_000_000 + i, `o_warm_${i}`, `早上好 ${i}`)));
const ref = await send(reference);
const started = performance.now();
// CPU spent per reply (server and load generator together): steadier than wall time on a shared machine.
const cpuBefore = process.cpuUsage();
const entered = await send(pushes);
const cpu = process.cpuUsage(cpuBefore);
await trialTail(weiloop.deps)();
const recordedSeconds = (performance.now() - started) / 1000;
// The operator's draw over the whole round (winners, losers, their jobs in one transaction), then
// anyone's re-check: the revealed seed matches the hash published at creation and picks the same winners.
const drawStarted = performance.now();
const drawn = await drawTrial(ctx, trial.id, { mode: 'random' });
const drawSeconds = (performance.now() - drawStarted) / 1000;
const drawnEntries = await weiloop.deps.db
  .selectFrom('growth_trial_entries')
  .select(['id', 'status'])
  .where('trial_id', '=', trial.id)
  .execute();
const recomputed = new Set(
  drawWinners(
    drawn.seed ?? '',
    drawnEntries.map((e) => e.id),
    trial.units,
  ),
);
const drawReproducible =
  seedHash(drawn.seed ?? '') === trial.seed_hash &&
  drawnEntries.every((e) => (e.status === 'won') === recomputed.has(e.id));
// ¥10,000 of packets of 0.10–0.40 yuan: about 40,000 packets' worth, so the budget runs out mid-rush.
const packets = await createRedPacketCampaign(ctx, {
  account_id: account.id,
  name: '红包雨',
  budget: BUDGET,
  amount_min: 10,
  amount_max: 40,
  trigger: 'link',
});
const claimants = [
  ...Array.from({ length: CLAIMS }, (_, i) => `o_rp_${i}`),
  ...Array.from({ length: Math.floor(CLAIMS / 20) }, (_, i) => `o_rp_${i * 20}`),
];
let claimNext = 0;
const outcomes = new Map<string, number>();
const claimStarted = performance.now();
await Promise.all(
  Array.from({ length: CLAIM_CONCURRENCY }, async () => {
    while (claimNext < claimants.length) {
      const openid = claimants[claimNext++]!;
      const outcome = await claimRedPacket(ctx, packets.id, {
        accountId: account.id,
        openid,
        sourceRef: 'bench',
      }).then(
        () => 'got',
        (e: Error & { code?: string }) => e.code ?? e.constructor.name,
      );
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
  }),
);
const claimSeconds = (performance.now() - claimStarted) / 1000;
const paid = await weiloop.deps.db
  .selectFrom('growth_redpackets')
  .select((eb) => [
    eb.fn.countAll<number>().as('n'),
    eb.fn.count<number>('openid').distinct().as('fans'),
    eb.fn.sum<number>('amount').as('total'),
  ])
  .where('campaign_id', '=', packets.id)
  .executeTakeFirstOrThrow();
const spent = await weiloop.deps.db
  .selectFrom('growth_redpacket_campaigns')
  .select('spent')
  .where('id', '=', packets.id)
  .executeTakeFirstOrThrow();

const counts = await weiloop.deps.db
  .selectFrom('growth_trial_entries')
  .select((eb) => [
    eb.fn.countAll<number>().as('entries'),
    eb.fn.count<number>('openid').distinct().as('fans'),
  ])
  .where('trial_id', '=', trial.id)
  .executeTakeFirstOrThrow();
await weiloop.close();
if (databaseUrl) await adminQuery(`drop schema ${schema} cascade`);

// 2-level commissions on paid orders, settled: the distribution bench's line, same engine and scale.
function commissionFigures(): Record<string, unknown> | string {
  if (process.env.BENCH_COMMISSIONS === '0') return 'skipped (BENCH_COMMISSIONS=0)';
  const child = spawnSync(process.execPath, [new URL('./distribution.bench.ts', import.meta.url).pathname], {
    env: { ...process.env, BENCH_SCALE: String(SCALE) },
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = child.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return `failed: ${child.stderr.slice(-500)}`;
  }
}
const commissions = commissionFigures();

console.log(
  JSON.stringify({
    bench: 'growth',
    engine: databaseUrl ? 'postgres' : 'sqlite',
    scale: SCALE,
    trial_fans: FANS,
    trial_replies: pushes.length,
    trial_reply_failures: entered.failures,
    trial_replies_answered: entered.answered,
    trial_entries_recorded: Number(counts.entries),
    trial_entries_distinct_fans: Number(counts.fans),
    trial_duplicate_entries: Number(counts.entries) - Number(counts.fans),
    trial_all_recorded_each_once: Number(counts.entries) === FANS && Number(counts.fans) === FANS,
    trial_inbound_seconds: Number(entered.seconds.toFixed(2)),
    trial_inbound_per_second: Math.round(pushes.length / entered.seconds),
    trial_inbound_p50_ms: entered.p50,
    trial_inbound_p99_ms: entered.p99,
    trial_inbound_cpu_ms_per_reply: Number(((cpu.user + cpu.system) / 1000 / pushes.length).toFixed(2)),
    reference_messages: REFERENCE,
    reference_inbound_per_second: Math.round(REFERENCE / ref.seconds),
    reference_inbound_p50_ms: ref.p50,
    reference_inbound_p99_ms: ref.p99,
    trial_all_recorded_seconds: Number(recordedSeconds.toFixed(2)),
    trial_draw_entries: drawnEntries.length,
    trial_draw_winners: drawnEntries.filter((e) => e.status === 'won').length,
    trial_draw_seconds: Number(drawSeconds.toFixed(2)),
    trial_draw_reproducible: drawReproducible,
    red_packet_budget: BUDGET,
    red_packet_claims: claimants.length,
    red_packet_concurrency: CLAIM_CONCURRENCY,
    red_packet_outcomes: Object.fromEntries(outcomes),
    red_packets: Number(paid.n),
    red_packet_distinct_fans: Number(paid.fans),
    red_packet_total: Number(paid.total),
    red_packet_campaign_spent: Number(spent.spent),
    red_packet_total_within_budget:
      Number(paid.total) <= BUDGET && Number(spent.spent) === Number(paid.total),
    red_packet_one_per_fan: Number(paid.n) === Number(paid.fans),
    red_packet_claims_per_second: Math.round(claimants.length / claimSeconds),
    commissions,
  }),
);
