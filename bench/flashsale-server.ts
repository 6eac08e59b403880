// The server half of the flash-sale bench (its own process, so the load generator does not share
// its core): a merchant, a phone SKU, a sale requiring reservation, reserved buyers signed in.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { merchantCtx } from '../src/context.ts';
import { createAccount } from '../src/modules/accounts/index.ts';
import { createProduct } from '../src/modules/catalog/index.ts';
import { createSale, saleBoard } from '../src/modules/marketing/index.ts';
import { createMerchant } from '../src/modules/tenants/index.ts';
import { hashToken } from '../src/platform/auth/secrets.ts';

const UNITS = Number(process.env.FS_UNITS);
const BUYERS = Number(process.env.FS_BUYERS);
const databaseUrl = process.env.BENCH_DATABASE_URL;
const dir = mkdtempSync(join(tmpdir(), 'weiloop-flash-'));
const config = loadConfig(
  {
    PORT: '0',
    LOG_LEVEL: 'silent',
    REDIS_URL: process.env.BENCH_REDIS_URL,
    REDIS_PREFIX: `bench:${Date.now()}:`,
  },
  {
    database: databaseUrl
      ? { kind: 'postgres', url: databaseUrl }
      : { kind: 'sqlite', path: join(dir, 'flash.db') },
    demo: false,
    worker: false,
    simulator: false,
  },
);
const weiloop = await buildApp(config, { logger: pino({ level: 'silent' }) });
const { deps } = weiloop;
const now = Date.now();
const merchant = await createMerchant(
  { db: deps.db, dialect: deps.dialect, now },
  { slug: `flash-${now}`, name: 'Bench' },
);
const ctx = merchantCtx(deps, merchant.id);
const appid = `wxflash${String(now).slice(-11)}`;
const account = await createAccount(
  ctx,
  {},
  {
    name: 'bench',
    appid,
    secret: 'bench-secret-000',
    type: 'service',
    token: 'benchtoken',
    mode: 'plain',
  },
);
const product = await createProduct(ctx, {
  title: '旗舰手机 限量首发',
  status: 'on_sale',
  skus: [{ spec: {}, price: 199_900, stock: UNITS }],
});
const sale = await createSale(ctx, {
  title: '限量首发',
  product_id: product.id,
  sku_id: product.skus[0]!.id,
  price: 99_900,
  stock: UNITS,
  opens_at: now,
  closes_at: now + 86_400_000,
  requires_reservation: true,
});

// Reserved buyers, already signed in through OAuth: a session and a reservation each. Session
// tokens are unique per run: a PostgreSQL bench database outlives a run that was stopped.
const tokenPrefix = `fb${now.toString(36)}_`;
const BATCH = 1_000;
for (let start = 0; start < BUYERS; start += BATCH) {
  const ids = Array.from({ length: Math.min(BATCH, BUYERS - start) }, (_, k) => start + k);
  await deps.db
    .insertInto('fan_sessions')
    .values(
      ids.map((i) => ({
        token_hash: hashToken(`${tokenPrefix}${i}`),
        merchant_id: merchant.id,
        account_id: account.id,
        openid: `o_fb_${i}`,
        expires_at: now + 86_400_000,
        created_at: now,
      })),
    )
    .execute();
  await deps.db
    .insertInto('flash_reservations')
    .values(
      ids.map((i) => ({
        sale_id: sale.id,
        merchant_id: merchant.id,
        openid: `o_fb_${i}`,
        account_id: account.id,
        created_at: now,
      })),
    )
    .execute();
}

// The ceiling: the same server, the same cookie and body, no work at all.
await weiloop.app.register(async (scope) => {
  scope.post('/bench/noop', { schema: { hide: true } }, async () => ({ result: 'sold_out' }));
});
const address = await weiloop.app.listen({ port: 0, host: '127.0.0.1' });
process.send?.({ address, appid, saleId: sale.id, tokenPrefix });

process.on('message', async (message: { type: string }) => {
  if (message.type !== 'verify') return;
  const orders = await deps.db
    .selectFrom('orders')
    .select(['id', 'openid'])
    .where('merchant_id', '=', merchant.id)
    .where('source', '=', 'flash_sale')
    .execute();
  const passes = await deps.db
    .selectFrom('flash_passes')
    .select(['order_id'])
    .where('sale_id', '=', sale.id)
    .where('status', '!=', 'returned')
    .execute();
  const withPass = new Set(passes.map((p) => p.order_id));
  const board = await saleBoard(ctx, sale.id);
  const sku = await deps.db
    .selectFrom('skus')
    .select('stock')
    .where('id', '=', product.skus[0]!.id)
    .executeTakeFirstOrThrow();
  // At full scale the answer is megabytes: exit only once it has left through the IPC pipe.
  await sendAndWait({
    orders: orders.map((o) => o.id),
    distinct_buyers: new Set(orders.map((o) => o.openid)).size,
    orders_without_pass: orders.filter((o) => !withPass.has(o.id)).length,
    units_sold: board.sold,
    gate_left: board.gate_left,
    sku_stock: sku.stock,
  });
  await weiloop.close();
  process.exit(0);
});

function sendAndWait(message: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    process.send?.(message, undefined, {}, (error) => (error ? reject(error) : resolve()));
  });
}
