import type { Kysely } from 'kysely';

// Migrations see the database as it was at their time, so they use an untyped handle.
// biome-ignore lint/suspicious/noExplicitAny: see above
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('payment_settings')
    .addColumn('merchant_id', 'text', (c) => c.primaryKey().references('merchants.id').onDelete('cascade'))
    .addColumn('mchid', 'text', (c) => c.notNull())
    .addColumn('serial_no', 'text', (c) => c.notNull())
    .addColumn('private_key_pem', 'text', (c) => c.notNull())
    .addColumn('api_v3_key', 'text', (c) => c.notNull())
    .addColumn('platform_public_key_pem', 'text', (c) => c.notNull())
    .addColumn('platform_key_id', 'text', (c) => c.notNull())
    .addColumn('cod_enabled', 'integer', (c) => c.notNull())
    .addColumn('remind_after_ms', 'bigint', (c) => c.notNull())
    .addColumn('cancel_after_ms', 'bigint', (c) => c.notNull())
    .addColumn('template_paid', 'text')
    .addColumn('template_shipped', 'text')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('payments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id').onDelete('cascade'))
    .addColumn('out_trade_no', 'text', (c) => c.notNull().unique())
    .addColumn('appid', 'text', (c) => c.notNull())
    .addColumn('prepay_id', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('transaction_id', 'text', (c) => c.unique())
    .addColumn('paid_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('refunds')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id').onDelete('cascade'))
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('refund_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('succeeded_at', 'bigint')
    .execute();
}
