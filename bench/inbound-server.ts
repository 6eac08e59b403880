// The server half of the inbound benchmark: its own process, so it has a core to itself.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { merchantCtx } from '../src/context.ts';
import { createAccount } from '../src/modules/accounts/index.ts';
import { createRule, setSingletonRule } from '../src/modules/channel/index.ts';
import { createMerchant } from '../src/modules/tenants/index.ts';

if (process.env.BENCH_PROFILE) mkdirSync(process.env.BENCH_PROFILE, { recursive: true });
const RULES = Number(process.env.BENCH_RULES ?? 1000);
const dir = mkdtempSync(join(tmpdir(), 'weiloop-bench-'));
const databaseUrl = process.env.BENCH_DATABASE_URL;
const config = loadConfig(
  { PORT: '0', LOG_LEVEL: 'silent', REDIS_URL: process.env.BENCH_REDIS_URL },
  {
    database: databaseUrl
      ? { kind: 'postgres', url: databaseUrl }
      : { kind: 'sqlite', path: join(dir, 'bench.db') },
    demo: false,
    worker: false,
    simulator: false,
  },
);
const weiloop = await buildApp(config, { logger: pino({ level: 'silent' }) });
const now = Date.now();
const system = { db: weiloop.deps.db, dialect: weiloop.deps.dialect, now };
const merchant = await createMerchant(system, { slug: `bench-${now}`, name: 'Bench' });
const ctx = merchantCtx(weiloop.deps, merchant.id);
const appid = `wxbench${String(now).slice(-11)}`;
const aesKey = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const account = await createAccount(
  ctx,
  {},
  {
    name: 'bench',
    appid,
    secret: 'bench-secret-000',
    type: 'service',
    token: 'benchtoken',
    aes_key: aesKey,
    mode: 'safe',
  },
);
// 1,000 rules like a real merchant's: mostly exact keywords, some "contains", a few regexes.
for (let i = 0; i < RULES; i++) {
  const match = i % 20 === 0 ? 'regex' : i % 4 === 0 ? 'contains' : 'exact';
  const keyword = match === 'regex' ? `^订单${i}\\d*$` : `商品${i}号`;
  await createRule(ctx, {
    account_id: account.id,
    kind: 'keyword',
    match_type: match,
    keyword,
    priority: i % 7,
    reply: { type: 'text', content: `规则 ${i} 的回复：欢迎选购商品${i}号` },
  });
}
await setSingletonRule(ctx, {
  account_id: account.id,
  kind: 'default',
  reply: { type: 'text', content: '默认回复' },
});
// The ceiling to compare against: the same server, HTTP in and out, no work at all.
await weiloop.app.register(async (scope) => {
  scope.addContentTypeParser('text/xml', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  scope.post('/bench/noop', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('application/xml').send('<xml><ok>1</ok></xml>'),
  );
});
// As serve does: a burst of connections waits in the queue instead of retrying its SYN.
const address = await weiloop.app.listen({ port: 0, host: '127.0.0.1', backlog: 4096 });

process.send?.({ ready: true, address, appid, token: 'benchtoken', aesKey });
// BENCH_PROFILE=dir writes a CPU profile of the measured run only (not of the set-up).
const profiler = process.env.BENCH_PROFILE ? new Session() : null;
let profiling = false;
const post = (method: string) =>
  new Promise<unknown>((resolve, reject) =>
    profiler!.post(method, (err, result) => (err ? reject(err) : resolve(result))),
  );

process.on('message', async (message: { type: string }) => {
  if (message.type === 'cpu-start') {
    if (profiler && !profiling) {
      profiling = true;
      profiler.connect();
      await post('Profiler.enable');
      await post('Profiler.start');
    }
    process.send?.({ type: 'cpu-start', cpu: process.cpuUsage() });
  } else if (message.type === 'stop') {
    if (profiler) {
      const { profile } = (await post('Profiler.stop')) as { profile: object };
      writeFileSync(
        join(process.env.BENCH_PROFILE!, `inbound-${Date.now()}.cpuprofile`),
        JSON.stringify(profile),
      );
    }
    const rows = await weiloop.deps.db
      .selectFrom('inbound_messages')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    process.send?.({ type: 'stopped', cpu: process.cpuUsage(), stored: Number(rows.n) });
    await weiloop.close();
    process.exit(0);
  }
});
