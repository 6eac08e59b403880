// Inbound benchmark: safe-mode (AES) text messages with keyword routing over 1,000 rules, pushed
// through HTTP on 127.0.0.1 as WeChat pushes them. Prints one JSON line.
//   npm run bench -- inbound            (BENCH_MESSAGES, BENCH_CONCURRENCY, BENCH_RULES to tune)
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSealedReply, sealEnvelope } from '../src/wechat/envelope.ts';
import { createMessageCrypto } from '../src/wechat/message-crypto.ts';
import { callbackSignature } from '../src/wechat/signature.ts';
import { renderWeChatXml } from '../src/wechat/xml.ts';

const TOTAL = Number(process.env.BENCH_MESSAGES ?? 20_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const WARMUP = 1_000;
const here = dirname(fileURLToPath(import.meta.url));

type Ready = { address: string; appid: string; token: string; aesKey: string };
const server = fork(join(here, 'inbound-server.ts'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const ready = await new Promise<Ready>((resolve) => server.once('message', (m) => resolve(m as Ready)));
const ask = <T>(type: string) =>
  new Promise<T>((resolve) => {
    server.once('message', (m) => resolve(m as T));
    server.send({ type });
  });

const crypto = createMessageCrypto(ready.aesKey, ready.appid);
const url = new URL(`${ready.address}/wechat/${ready.appid}`);
const words = (i: number) =>
  i % 3 === 0 ? `商品${i % 1000}号` : i % 3 === 1 ? `我想看看商品${i % 1000}号有货吗` : `随便问问 ${i}`;

// Requests are built before timing: the figure is the server's work, not the load generator's.
function buildRequest(i: number) {
  const timestamp = String(1_700_000_000 + i);
  const nonce = String(randomBytes(4).readUInt32BE(0));
  const inner = renderWeChatXml({
    ToUserName: 'gh_bench',
    FromUserName: `o_bench_${i % 5000}`,
    CreateTime: 1_700_000_000 + i,
    MsgType: 'text',
    Content: words(i),
    MsgId: `${9_000_000_000 + i}`,
  });
  const sealed = sealEnvelope(inner, crypto, ready.token, timestamp, nonce);
  const query = new URLSearchParams({
    signature: callbackSignature(ready.token, timestamp, nonce),
    timestamp,
    nonce,
    openid: `o_bench_${i % 5000}`,
    encrypt_type: 'aes',
    msg_signature: sealed.signature,
  });
  return {
    path: `${url.pathname}?${query}`,
    body: renderWeChatXml({ ToUserName: 'gh_bench', Encrypt: sealed.encrypted }),
  };
}

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
function post(req: { path: string; body: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const r = request(
      {
        host: url.hostname,
        port: url.port,
        path: req.path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(req.body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    r.on('error', reject);
    r.end(req.body);
  });
}

async function run(
  requests: Array<{ path: string; body: string }>,
  latencies: number[] | null,
  concurrency = CONCURRENCY,
) {
  let next = 0;
  let failures = 0;
  let replied = 0;
  const lane = async () => {
    while (next < requests.length) {
      const req = requests[next++]!;
      const start = performance.now();
      const res = await post(req);
      latencies?.push(performance.now() - start);
      if (res.status !== 200) failures++;
      else if (res.body.startsWith('<xml>')) replied++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { failures, replied };
}

const warmup = Array.from({ length: WARMUP }, (_, i) => buildRequest(TOTAL + i));
await run(warmup, null);
const requests = Array.from({ length: TOTAL }, (_, i) => buildRequest(i));
// Every reply must be a valid sealed reply that the fan can read.
const sample = await post(buildRequest(TOTAL + WARMUP + 1));
const readable = openSealedReply(sample.body, crypto, ready.token).Content;

const cpu = async () => (await ask<{ cpu: NodeJS.CpuUsage }>('cpu-start')).cpu;
const cpuSeconds = (from: NodeJS.CpuUsage, to: NodeJS.CpuUsage) =>
  (to.user - from.user + to.system - from.system) / 1e6;
const pct = (sorted: number[], p: number) =>
  Number(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!.toFixed(2));

async function measure(batch: Array<{ path: string; body: string }>, concurrency: number) {
  const latencies: number[] = [];
  const before = await cpu();
  const started = performance.now();
  const outcome = await run(batch, latencies, concurrency);
  const seconds = (performance.now() - started) / 1000;
  const after = await cpu();
  latencies.sort((a, b) => a - b);
  return {
    ...outcome,
    perSecond: Math.round(batch.length / seconds),
    perServerCpuSecond: Math.round(batch.length / cpuSeconds(before, after)),
    p50: pct(latencies, 0.5),
    p99: pct(latencies, 0.99),
  };
}

const noopRequests = Array.from({ length: TOTAL }, () => ({ path: '/bench/noop', body: requests[0]!.body }));
const noop = await measure(noopRequests, CONCURRENCY);
const loaded = await measure(requests, CONCURRENCY);
const light = await measure(
  Array.from({ length: Math.floor(TOTAL / 4) }, (_, i) => buildRequest(TOTAL + WARMUP + 10 + i)),
  4,
);
const stopped = await ask<{ cpu: NodeJS.CpuUsage; stored: number }>('stop');
agent.destroy();

console.log(
  JSON.stringify({
    bench: 'inbound',
    engine: process.env.BENCH_DATABASE_URL ? 'postgres' : 'sqlite',
    mode: 'safe',
    rules: Number(process.env.BENCH_RULES ?? 1000),
    messages: TOTAL,
    concurrency: CONCURRENCY,
    msgs_per_s: loaded.perSecond,
    msgs_per_server_cpu_s: loaded.perServerCpuSecond,
    p50_ms: loaded.p50,
    p99_ms: loaded.p99,
    light_load: { concurrency: 4, msgs_per_s: light.perSecond, p50_ms: light.p50, p99_ms: light.p99 },
    noop_http_per_server_cpu_s: noop.perServerCpuSecond,
    noop_failures: noop.failures,
    ratio_to_noop_http: Number((loaded.perServerCpuSecond / noop.perServerCpuSecond).toFixed(2)),
    failures: loaded.failures + light.failures,
    replied: loaded.replied + light.replied,
    stored: stopped.stored,
    sample_reply: readable,
  }),
);
