import type { Kysely } from 'kysely';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { migrations } from '../src/migrations.ts';
import { createApiToken } from '../src/modules/tenants/index.ts';
import { openDatabase } from '../src/platform/db/database.ts';
import { migrateToLatest } from '../src/platform/db/migrate.ts';
import { testDatabase } from './support/test-app.ts';

/**
 * A database made before the module boundaries (migrations up to 0004: order settings inside
 * payment_settings) upgrades with its rows intact, and the app then serves them.
 */
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

describe('upgrading a database made before the module boundaries', () => {
  it('moves the order settings to orders and keeps every row', async () => {
    const { database: where, cleanup } = await testDatabase();
    cleanups.push(cleanup);
    const database = openDatabase<Record<string, Record<string, unknown>>>(where);
    // biome-ignore lint/suspicious/noExplicitAny: yesterday's schema has no types today
    const db = database.db as Kysely<any>;
    await migrateToLatest(db as Kysely<unknown>, migrations, { target: '0004_orders' });
    const now = Date.UTC(2026, 10, 20);
    await db
      .insertInto('merchants')
      .values({ id: 'mch_old', slug: 'old-shop', name: '老店', timezone: 'Asia/Shanghai', created_at: now })
      .execute();
    await db
      .insertInto('payment_settings')
      .values({
        merchant_id: 'mch_old',
        mchid: '1900000001',
        serial_no: 'SERIAL0001',
        private_key_pem: 'pem',
        api_v3_key: 'k'.repeat(32),
        platform_public_key_pem: 'pem',
        platform_key_id: 'PUB_KEY_ID_1',
        cod_enabled: 1,
        remind_after_ms: 5 * 60_000,
        cancel_after_ms: 20 * 60_000,
        template_paid: 'TM_PAID',
        template_shipped: null,
        updated_at: now,
      })
      .execute();
    await db
      .insertInto('orders')
      .values({
        id: 'ord_old',
        merchant_id: 'mch_old',
        account_id: 'acc_old',
        openid: 'o_old',
        status: 'paid',
        payment_method: 'wechat',
        items_total: 1990,
        shipping_fee: 0,
        total: 1990,
        address: 'null',
        note: '',
        paid_at: now,
        created_at: now,
        updated_at: now,
      })
      .execute();

    expect(await migrateToLatest(db as Kysely<unknown>, migrations)).toContain('0005_module_boundaries');
    expect(await db.selectFrom('order_settings').selectAll().execute()).toEqual([
      {
        merchant_id: 'mch_old',
        cod_enabled: 1,
        remind_after_ms: 300_000,
        cancel_after_ms: 1_200_000,
        template_paid: 'TM_PAID',
        template_shipped: null,
        updated_at: now,
      },
    ]);
    const settings = await db.selectFrom('payment_settings').selectAll().executeTakeFirstOrThrow();
    expect(settings).toMatchObject({ mchid: '1900000001', platform_key_id: 'PUB_KEY_ID_1' });
    expect(settings).not.toHaveProperty('cod_enabled');
    const order = await db.selectFrom('orders').select(['status', 'total']).executeTakeFirstOrThrow();
    expect({ ...order, total: Number(order.total) }).toEqual({ status: 'paid', total: 1990 });
    await database.close();

    // The app starts on the upgraded database and shows the moved settings.
    const config = loadConfig(
      { PORT: '0', LOG_LEVEL: 'silent' },
      { database: where, demo: false, worker: false },
    );
    const app = await buildApp(config, { logger: pino({ level: 'silent' }) });
    try {
      const system = { db: app.deps.db, dialect: app.deps.dialect, now };
      const { token } = await createApiToken(
        { ...system, merchantId: 'mch_old' },
        { name: 't', role: 'owner' },
      );
      const response = await app.app.inject({
        url: '/api/v1/payments/settings',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(response.json()).toMatchObject({
        configured: true,
        mchid: '1900000001',
        cod_enabled: true,
        remind_after_minutes: 5,
        cancel_after_minutes: 20,
        template_paid: 'TM_PAID',
        template_shipped: null,
      });
    } finally {
      await app.close();
    }
  });
});
