// Checkout benchmark: concurrent buyers place and pay orders for one hot SKU over HTTP on
// 127.0.0.1, through the simulated WeChat Pay (prepay, pay sheet, signed + encrypted notice).
// Checks afterwards: stock never negative, every paid order paid exactly once. One JSON line.
//   npm run bench -- checkout        (BENCH_BUYERS, BENCH_ATTEMPTS, BENCH_STOCK, BENCH_CONCURRENCY)
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { merchantCtx } from '../src/context.ts';
import { provisionSimulatedPay } from '../src/demo-pay.ts';
import { createAccount } from '../src/modules/accounts/index.ts';
import { createProduct } from '../src/modules/catalog/index.ts';
import { createMerchant } from '../src/modules/tenants/index.ts';
import { hashToken } from '../src/platform/auth/secrets.ts';
import { newSecret } from '../src/platform/ids.ts';

const ATTEMPTS = Number(process.env.BENCH_ATTEMPTS ?? 2_000);
const STOCK = Number(process.env.BENCH_STOCK ?? 1_500);
const BUYERS = Number(process.env.BENCH_BUYERS ?? 500);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);

const dir = mkdtempSync(join(tmpdir(), 'weiloop-checkout-'));
const port = 20_000 + Math.floor(Math.random() * 20_000);
const config = loadConfig(
  { PORT: String(port), LOG_LEVEL: 'silent' },
  { database: { kind: 'sqlite', path: join(dir, 'checkout.db') }, demo: false },
);
const weiloop = await buildApp(config, { logger: pino({ level: 'silent' }) });
const { deps } = weiloop;
const now = Date.now();
const system = { db: deps.db, dialect: deps.dialect, now };
const merchant = await createMerchant(system, { slug: 'flash', name: '闪购压测店' });
const ctx = merchantCtx(weiloop.deps, merchant.id);
const account = await createAccount(ctx, deps, {
  name: '闪购服务号',
  appid: 'wxbenchcheckout01',
  secret: 'bench-secret-01',
  type: 'service',
  token: 'benchtoken',
  mode: 'plain',
});
await provisionSimulatedPay(deps, merchant.id, { codEnabled: false });
const product = await createProduct(ctx, {
  title: '红米手机 限量首发',
  status: 'on_sale',
  skus: [{ spec: {}, price: 69_900, stock: STOCK }],
});
const skuId = product.skus[0]!.id;
if (!process.env.BENCH_NO_WORKER) weiloop.worker.start();
await weiloop.app.listen({ port, host: '127.0.0.1' });
const base = `http://127.0.0.1:${port}`;

// Buyers already signed in through OAuth: one fan session each.
const cookies: string[] = [];
for (let i = 0; i < BUYERS; i++) {
  const token = newSecret();
  await deps.db
    .insertInto('fan_sessions')
    .values({
      token_hash: hashToken(token),
      merchant_id: merchant.id,
      account_id: account.id,
      openid: `o_buyer_${i}`,
      expires_at: now + 86_400_000,
      created_at: now,
    })
    .execute();
  cookies.push(`wl_fan=${token}`);
}

const shop = `${base}/shop/${account.appid}/api`;
const post = async (url: string, cookie: string, body?: unknown) => {
  const response = await fetch(url, {
    method: 'POST',
    headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown> & {
      id?: string;
      error?: { code?: string };
      pay_params?: unknown;
    },
  };
};

const latencies: number[] = [];
let placed = 0;
let soldOut = 0;
let errors = 0;
let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < ATTEMPTS) {
      const i = next++;
      const cookie = cookies[i % BUYERS]!;
      const t0 = performance.now();
      const order = await post(`${shop}/orders`, cookie, {
        items: [{ sku_id: skuId, quantity: 1 }],
        address: { name: '买家', phone: '13800138000', region: '北京市海淀区', detail: '科技园 1 号' },
        payment_method: 'wechat',
        expected_total: 69_900,
        idempotency_key: `attempt-${i}`,
      });
      if (order.status === 409 && order.body.error?.code === 'out_of_stock') {
        soldOut++;
        continue;
      }
      if (order.status !== 201) {
        errors++;
        continue;
      }
      const pay = await post(`${shop}/orders/${order.body.id}/pay`, cookie);
      const sheet = await fetch(`${base}/sim/pay/confirm`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(pay.body.pay_params),
      });
      if (pay.status !== 200 || sheet.status !== 200) errors++;
      else placed++;
      latencies.push(performance.now() - t0);
    }
  }),
);
const seconds = (performance.now() - started) / 1000;

// Notices arrive asynchronously: wait until every paid order is marked paid (bounded).
const deadline = Date.now() + 30_000;
let paid = 0;
while (Date.now() < deadline) {
  paid = Number(
    (
      await deps.db
        .selectFrom('orders')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', '=', 'paid')
        .executeTakeFirstOrThrow()
    ).n,
  );
  if (paid >= placed) break;
  await new Promise((r) => setTimeout(r, 100));
}
const noticeSeconds = (performance.now() - started) / 1000 - seconds;
const sku = await deps.db
  .selectFrom('skus')
  .select('stock')
  .where('id', '=', skuId)
  .executeTakeFirstOrThrow();
const payments = await deps.db
  .selectFrom('payments')
  .select(['transaction_id', 'order_id'])
  .where('status', '=', 'paid')
  .execute();
const paidEvents = await deps.db
  .selectFrom('order_events')
  .select('order_id')
  .where('to_status', '=', 'paid')
  .execute();
await weiloop.close();

latencies.sort((a, b) => a - b);
const pct = (p: number) =>
  Number((latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0).toFixed(1));
console.log(
  JSON.stringify({
    bench: 'checkout',
    engine: 'sqlite',
    attempts: ATTEMPTS,
    stock: STOCK,
    concurrency: CONCURRENCY,
    placed_and_paid: placed,
    sold_out_refusals: soldOut,
    errors,
    orders_per_s: Math.round(placed / seconds),
    p50_ms: pct(0.5),
    p99_ms: pct(0.99),
    notices_settled_s: Number(noticeSeconds.toFixed(2)),
    final_stock: sku.stock,
    stock_never_negative: sku.stock >= 0 && sku.stock === STOCK - placed,
    paid_orders: paid,
    each_paid_once:
      new Set(paidEvents.map((e) => e.order_id)).size === paidEvents.length && paidEvents.length === paid,
    unique_transactions: new Set(payments.map((p) => p.transaction_id)).size === payments.length,
  }),
);
process.exit(0);
