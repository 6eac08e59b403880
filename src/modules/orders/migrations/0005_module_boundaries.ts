import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema of their own time
type AnyDb = Kysely<any>;

/** Orders owns its own settings (they used to live in payments' table). */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('order_settings')
    .addColumn('merchant_id', 'text', (c) => c.primaryKey().references('merchants.id').onDelete('cascade'))
    .addColumn('cod_enabled', 'integer', (c) => c.notNull())
    .addColumn('remind_after_ms', 'bigint', (c) => c.notNull())
    .addColumn('cancel_after_ms', 'bigint', (c) => c.notNull())
    .addColumn('template_paid', 'text')
    .addColumn('template_shipped', 'text')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}
