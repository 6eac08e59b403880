import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema of their own time
type AnyDb = Kysely<any>;

/** Daily follower and message rollups, the tail's ledger and cursor, WeChat's datacube figures. */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('analytics_follower_days')
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('day', 'integer', (c) => c.notNull())
    .addColumn('qrcode_id', 'text', (c) => c.notNull())
    .addColumn('new_count', 'integer', (c) => c.notNull())
    .addColumn('lost_count', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('analytics_follower_days_pk', ['account_id', 'day', 'qrcode_id'])
    .execute();
  await db.schema
    .createIndex('analytics_follower_days_merchant')
    .on('analytics_follower_days')
    .columns(['merchant_id', 'day'])
    .execute();
  await db.schema
    .createTable('analytics_message_days')
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('day', 'integer', (c) => c.notNull())
    .addColumn('fan_messages', 'integer', (c) => c.notNull())
    .addColumn('replies', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('analytics_message_days_pk', ['account_id', 'day'])
    .execute();
  await db.schema
    .createIndex('analytics_message_days_merchant')
    .on('analytics_message_days')
    .columns(['merchant_id', 'day'])
    .execute();
  await db.schema
    .createTable('analytics_log_seen')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('analytics_cursors')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('position', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('analytics_follower_baselines')
    .addColumn('account_id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('followers', 'integer', (c) => c.notNull())
    .addColumn('computed_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('analytics_wechat_user_days')
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('ref_date', 'text', (c) => c.notNull())
    .addColumn('user_source', 'integer', (c) => c.notNull())
    .addColumn('new_user', 'integer', (c) => c.notNull())
    .addColumn('cancel_user', 'integer', (c) => c.notNull())
    .addColumn('pulled_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('analytics_wechat_user_days_pk', ['account_id', 'ref_date', 'user_source'])
    .execute();
  await db.schema
    .createTable('analytics_wechat_cumulate')
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('ref_date', 'text', (c) => c.notNull())
    .addColumn('cumulate_user', 'integer', (c) => c.notNull())
    .addColumn('pulled_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('analytics_wechat_cumulate_pk', ['account_id', 'ref_date'])
    .execute();
}
