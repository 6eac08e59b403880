// Redeem bench: clerks (one lane each) redeem vouchers over HTTP on 127.0.0.1, 10% of them scanned
// twice by another clerk; every scan is a check then a tap, as on the clerk page. One JSON line:
// scan-to-redeemed latency, the same server's no-op route as the ceiling, and double redemptions.
//   npm run bench -- redeem          (BENCH_SCALE=0.1 for 10,000 vouchers; BENCH_CLERKS, default 100)
//   BENCH_DATABASE_URL=postgres://… npm run bench -- redeem
import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { httpClient, pct, runLoad } from './http-load.ts';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const VOUCHERS = Math.round(100_000 * SCALE);
const CLERKS = Number(process.env.BENCH_CLERKS ?? 100);
const here = dirname(fileURLToPath(import.meta.url));

const server = fork(join(here, 'redeem-server.ts'), {
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  env: { ...process.env, RD_VOUCHERS: String(VOUCHERS), RD_CLERKS: String(CLERKS) },
});
const ready = await new Promise<{ address: string; tokens: string[]; codes: string[] }>((resolve) =>
  server.once('message', (m) => resolve(m as never)),
);
const client = httpClient(ready.address, CLERKS);
const auth = (lane: number) => ({ authorization: `Bearer ${ready.tokens[lane % ready.tokens.length]}` });

// Scans: every voucher once, and every tenth again (a second clerk, moments later).
const scans: string[] = [];
ready.codes.forEach((code, i) => {
  scans.push(code);
  if (i % 10 === 9) scans.push(ready.codes[i - 5]!);
});

const ceiling = await runLoad(Math.max(10_000, scans.length / 2), CLERKS, async (_i, lane) => {
  await client.send('POST', '/bench/noop', '{"code":"000000000000"}', auth(lane));
});

let redeemed = 0;
let already = 0;
let errors = 0;
const run = await runLoad(scans.length, CLERKS, async (i, lane) => {
  const body = JSON.stringify({ code: scans[i] });
  const check = await client.send('POST', '/api/v1/clerk/check', body, auth(lane));
  if (check.status !== 200) {
    errors++;
    return;
  }
  const tap = await client.send('POST', '/api/v1/clerk/redeem', body, auth(lane));
  if (tap.status === 200) redeemed++;
  else if (tap.status === 409 && tap.body.includes('already_redeemed')) already++;
  else errors++;
});
client.close();
const verified = await new Promise<{ redeemed: number; redeem_events: number }>((resolve) => {
  server.once('message', (m) => resolve(m as never));
  server.send({ type: 'verify' });
});

console.log(
  JSON.stringify({
    bench: 'redeem',
    engine: process.env.BENCH_DATABASE_URL ? 'postgres' : 'embedded',
    scale: SCALE,
    clerks: CLERKS,
    vouchers: VOUCHERS,
    scans: scans.length,
    scans_per_s: run.perSecond,
    ceiling_rps: ceiling.perSecond,
    ratio: Number(((run.perSecond * 2) / ceiling.perSecond).toFixed(2)),
    p50_ms: pct(run.latencies, 0.5),
    p99_ms: pct(run.latencies, 0.99),
    redeemed,
    already_redeemed: already,
    errors,
    double_redemptions: verified.redeem_events - verified.redeemed,
    db_redeemed: verified.redeemed,
  }),
);
process.exit(0);
