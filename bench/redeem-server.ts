// The server half of the redeem bench: one store, clerks bound to it (API tokens of the clerk
// role), and vouchers of a paid deal ready to redeem.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { merchantCtx } from '../src/context.ts';
import { createStore } from '../src/modules/catalog/index.ts';
import { bindClerk } from '../src/modules/marketing/index.ts';
import { createApiToken, createMerchant } from '../src/modules/tenants/index.ts';

const VOUCHERS = Number(process.env.RD_VOUCHERS);
const CLERKS = Number(process.env.RD_CLERKS);
const databaseUrl = process.env.BENCH_DATABASE_URL;
const dir = mkdtempSync(join(tmpdir(), 'weiloop-redeem-'));
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
      : { kind: 'sqlite', path: join(dir, 'redeem.db') },
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
  { slug: `redeem-${now}`, name: 'Bench' },
);
const ctx = merchantCtx(deps, merchant.id);
const store = await createStore(ctx, {
  name: '人民广场店',
  address: '南京东路 100 号',
  city: '上海',
  latitude: 31.23,
  longitude: 121.47,
});
const tokens: string[] = [];
for (let i = 0; i < CLERKS; i++) {
  const token = await createApiToken(
    { db: deps.db, dialect: deps.dialect, now, merchantId: merchant.id },
    {
      name: `clerk-${i}`,
      role: 'clerk',
    },
  );
  await bindClerk(ctx, token.id, store.id);
  tokens.push(token.token);
}
// Vouchers as a paid deal issues them (rows arranged directly: issuing is tested elsewhere). Ids
// are unique per run: a PostgreSQL bench database outlives a run. Nothing analyses the table
// afterwards: clerks start on a table without statistics, as right after a big deal sells out.
const run = now.toString(36);
const codes: string[] = [];
for (let start = 0; start < VOUCHERS; start += 1_000) {
  const rows = Array.from({ length: Math.min(1_000, VOUCHERS - start) }, (_, k) => {
    const i = start + k;
    const code = String(100_000_000_000 + i * 7_919);
    codes.push(code);
    return {
      id: `vch_${run}_${i}`,
      merchant_id: merchant.id,
      code,
      order_id: `ord_${run}_${Math.floor(i / 2)}`,
      order_item_id: `oit_${run}_${Math.floor(i / 2)}`,
      unit: (i % 2) + 1,
      product_id: 'prd_bench',
      title: '单人咖啡套餐',
      account_id: 'acc_bench',
      openid: `o_rd_${i}`,
      price: 1_900,
      store_ids: JSON.stringify([store.id]),
      valid_from: now - 1_000,
      valid_until: now + 86_400_000,
      status: 'valid' as const,
      redeemed_at: null,
      redeemed_store_id: null,
      redeemed_by: null,
      created_at: now,
    };
  });
  await deps.db.insertInto('vouchers').values(rows).execute();
}

await weiloop.app.register(async (scope) => {
  scope.post('/bench/noop', { schema: { hide: true } }, async () => ({ ok: true }));
});
const address = await weiloop.app.listen({ port: 0, host: '127.0.0.1' });
process.send?.({ address, tokens, codes });

process.on('message', async (message: { type: string }) => {
  if (message.type !== 'verify') return;
  const count = async (table: 'vouchers' | 'voucher_events', column: 'status' | 'action', value: string) =>
    Number(
      (
        await deps.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('merchant_id', '=', merchant.id)
          .where(column as never, '=', value as never)
          .executeTakeFirstOrThrow()
      ).n,
    );
  process.send?.({
    redeemed: await count('vouchers', 'status', 'redeemed'),
    redeem_events: await count('voucher_events', 'action', 'redeem'),
  });
  await weiloop.close();
  process.exit(0);
});
