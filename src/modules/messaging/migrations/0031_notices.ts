import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema of their own time
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('notice_templates')
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('template_id', 'text', (c) => c.notNull())
    .addColumn('fields', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('notice_templates_pk', ['merchant_id', 'kind'])
    .execute();
  await db.schema
    .createTable('notices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id').onDelete('cascade'))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('event_key', 'text', (c) => c.notNull())
    .addColumn('openid', 'text', (c) => c.notNull())
    .addColumn('batch_id', 'text', (c) => c.notNull())
    .addColumn('via', 'text', (c) => c.notNull())
    .addColumn('template_id', 'text')
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('url', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('msg_id', 'text')
    .addColumn('finish_status', 'text')
    .addColumn('error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('sent_at', 'bigint')
    .execute();
  // The idempotency key: one notice per (event, fan).
  await db.schema
    .createIndex('notices_once')
    .on('notices')
    .columns(['merchant_id', 'kind', 'event_key', 'openid'])
    .unique()
    .execute();
  await db.schema.createIndex('notices_batch').on('notices').columns(['batch_id', 'status']).execute();
  await db.schema.createIndex('notices_msg').on('notices').columns(['account_id', 'msg_id']).execute();
  await db.schema
    .createIndex('notices_merchant_time')
    .on('notices')
    .columns(['merchant_id', 'created_at'])
    .execute();
  await db.schema
    .createTable('notice_daily')
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id').onDelete('cascade'))
    .addColumn('used', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('notice_daily_pk', ['account_id', 'day'])
    .execute();
  await db.schema
    .createTable('notice_settings')
    .addColumn('merchant_id', 'text', (c) => c.primaryKey().references('merchants.id').onDelete('cascade'))
    .addColumn('daily_limit', 'integer', (c) => c.notNull())
    .addColumn('per_second', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}
