// Inbox benchmark: N fans (default 1,000) write at once through the real callback path (signed
// pushes over HTTP on 127.0.0.1, as WeChat sends them) while an agent's console holds the inbox's
// SSE stream. A message is "on the agent's screen" when the stream announces a change that covers
// it (the console then reloads). Prints one JSON line; the callback's own response time, measured
// in the same run, is the reference.
//   npm run bench -- inbox        BENCH_FANS (default 1,000), BENCH_DATABASE_URL=postgres://…
import { mkdtempSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { merchantCtx } from '../src/context.ts';
import { createAccount } from '../src/modules/accounts/index.ts';
import { createApiToken, createMerchant } from '../src/modules/tenants/index.ts';
import { callbackSignature } from '../src/wechat/signature.ts';
import { renderWeChatXml } from '../src/wechat/xml.ts';

const FANS = Number(process.env.BENCH_FANS ?? 1000) * Number(process.env.BENCH_SCALE ?? 1);
const databaseUrl = process.env.BENCH_DATABASE_URL;
const dir = mkdtempSync(join(tmpdir(), 'weiloop-inbox-'));
const config = loadConfig(
  { PORT: '0', LOG_LEVEL: 'silent', REDIS_URL: process.env.BENCH_REDIS_URL },
  {
    database: databaseUrl
      ? { kind: 'postgres', url: databaseUrl }
      : { kind: 'sqlite', path: join(dir, 'inbox.db') },
    demo: false,
    worker: true,
    simulator: false,
  },
);
const weiloop = await buildApp(config, { logger: pino({ level: 'silent' }) });
const now = Date.now();
const system = { db: weiloop.deps.db, dialect: weiloop.deps.dialect, now };
const merchant = await createMerchant(system, { slug: `inbox-${now}`, name: 'Bench' });
const ctx = merchantCtx(weiloop.deps, merchant.id);
const appid = `wxinbox${String(now).slice(-11)}`;
await createAccount(
  ctx,
  {},
  { name: 'bench', appid, secret: 'bench-secret-000', type: 'service', token: 'benchtoken', mode: 'plain' },
);
const agentToken = (
  await createApiToken({ ...system, merchantId: merchant.id }, { name: 'agent', role: 'agent' })
).token;
// A thousand connections at once: a listen backlog that holds them all.
const address = await weiloop.app.listen({ port: 0, host: '127.0.0.1', backlog: 4096 });
const base = new URL(address);

// The agent's screen: the SSE stream, each "changed" event stamped on arrival.
const events: Array<{ at: number; received: number }> = [];
const stream = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
  const req = request(
    {
      host: base.hostname,
      port: base.port,
      path: '/api/v1/inbox/stream',
      headers: { authorization: `Bearer ${agentToken}` },
    },
    resolve,
  );
  req.on('error', reject);
  req.end();
});
let buffer = '';
stream.setEncoding('utf8');
stream.on('data', (piece: string) => {
  const received = Date.now();
  buffer += piece;
  let end = buffer.indexOf('\n\n');
  while (end >= 0) {
    const block = buffer.slice(0, end);
    buffer = buffer.slice(end + 2);
    const data = /^data: (.*)$/m.exec(block)?.[1];
    if (/^event: changed$/m.test(block) && data)
      events.push({ at: (JSON.parse(data) as { at: number }).at, received });
    end = buffer.indexOf('\n\n');
  }
});
await new Promise((r) => setTimeout(r, 200));

const agent = new Agent({ keepAlive: true, maxSockets: FANS });
function push(i: number): Promise<{ sent: number; done: number; status: number }> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = String(100_000 + i);
  const body = renderWeChatXml({
    ToUserName: 'gh_inbox',
    FromUserName: `o_fan_${i}`,
    CreateTime: Number(timestamp),
    MsgType: 'text',
    Content: i % 10 === 0 ? '我要转人工' : `面膜怎么用？第${i}位`,
    MsgId: `${7_000_000_000 + i}`,
  });
  const query = new URLSearchParams({
    signature: callbackSignature('benchtoken', timestamp, nonce),
    timestamp,
    nonce,
    openid: `o_fan_${i}`,
  });
  const sent = Date.now();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: base.hostname,
        port: base.port,
        method: 'POST',
        path: `/wechat/${appid}?${query}`,
        headers: { 'content-type': 'text/xml' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ sent, done: Date.now(), status: res.statusCode ?? 0 }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const started = Date.now();
const results = await Promise.all(Array.from({ length: FANS }, (_, i) => push(i)));
// Wait until every fan's conversation exists and the stream has covered the last change.
const deadline = Date.now() + 60_000;
let rows: Array<{ openid: string; updated_at: number }> = [];
for (;;) {
  rows = await weiloop.deps.db
    .selectFrom('inbox_conversations')
    .select(['openid', 'updated_at'])
    .where('merchant_id', '=', merchant.id)
    .execute();
  const last = Math.max(0, ...rows.map((r) => Number(r.updated_at)));
  if ((rows.length >= FANS && events.some((e) => e.at >= last)) || Date.now() > deadline) break;
  await new Promise((r) => setTimeout(r, 100));
}
const applied = new Map(rows.map((r) => [r.openid, Number(r.updated_at)]));
const latencies: number[] = [];
const afterCallback: number[] = [];
let missing = 0;
results.forEach((r, i) => {
  const at = applied.get(`o_fan_${i}`);
  const seen = at === undefined ? undefined : events.find((e) => e.at >= at);
  if (!seen) missing += 1;
  else {
    latencies.push(seen.received - r.sent);
    afterCallback.push(Math.max(0, seen.received - r.done));
  }
});
const pct = (list: number[], p: number) => {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : null;
};
const callback = results.map((r) => r.done - r.sent);
process.stdout.write(
  `${JSON.stringify({
    bench: 'inbox',
    engine: weiloop.deps.dialect,
    fans: FANS,
    callbacks_ok: results.filter((r) => r.status === 200).length,
    conversations: rows.length,
    on_screen: latencies.length,
    missing,
    screen_p50_ms: pct(latencies, 50),
    screen_p99_ms: pct(latencies, 99),
    screen_max_ms: pct(latencies, 100),
    // The inbox's own share: from WeChat getting its answer to the agent's screen.
    after_callback_p50_ms: pct(afterCallback, 50),
    after_callback_p99_ms: pct(afterCallback, 99),
    reference_callback_p50_ms: pct(callback, 50),
    reference_callback_p99_ms: pct(callback, 99),
    sse_events: events.length,
    wall_s: Math.round((Date.now() - started) / 100) / 10,
  })}\n`,
);
stream.destroy();
agent.destroy();
await weiloop.close();
process.exit(0);
