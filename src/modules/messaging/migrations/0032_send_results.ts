import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema of their own time
type AnyDb = Kysely<any>;

const merchant = 'merchants.id';

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('broadcast_visits')
    .addColumn('broadcast_id', 'text', (c) => c.notNull())
    .addColumn('openid', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('first_at', 'bigint', (c) => c.notNull())
    .addColumn('last_at', 'bigint', (c) => c.notNull())
    .addColumn('visits', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('broadcast_visits_pk', ['broadcast_id', 'openid'])
    .execute();
  await db.schema
    .createTable('fan_last_clicks')
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('openid', 'text', (c) => c.notNull())
    .addColumn('broadcast_id', 'text', (c) => c.notNull())
    .addColumn('clicked_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('fan_last_clicks_pk', ['merchant_id', 'account_id', 'openid'])
    .execute();
  await db.schema
    .createTable('broadcast_orders')
    .addColumn('order_id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('broadcast_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('openid', 'text', (c) => c.notNull())
    .addColumn('placed_at', 'bigint', (c) => c.notNull())
    .addColumn('paid_at', 'bigint')
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('refunded_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('broadcast_orders_send')
    .on('broadcast_orders')
    .columns(['broadcast_id'])
    .execute();
  await db.schema
    .createTable('broadcast_finishes')
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('msg_id', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('broadcast_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('total', 'integer', (c) => c.notNull())
    .addColumn('filtered', 'integer', (c) => c.notNull())
    .addColumn('sent', 'integer', (c) => c.notNull())
    .addColumn('errors', 'integer', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('broadcast_finishes_pk', ['account_id', 'msg_id'])
    .execute();
  await db.schema
    .createIndex('broadcast_finishes_send')
    .on('broadcast_finishes')
    .columns(['broadcast_id'])
    .execute();
  await db.schema
    .createTable('broadcast_reads')
    .addColumn('broadcast_id', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('read_users', 'integer', (c) => c.notNull())
    .addColumn('read_count', 'integer', (c) => c.notNull())
    .addColumn('pulled_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('broadcast_reads_pk', ['broadcast_id', 'day'])
    .execute();
  // Sends' batches are found by WeChat's msg_id when its finish push and read counts arrive.
  await db.schema.createIndex('broadcast_batches_msg').on('broadcast_batches').columns(['msg_id']).execute();
}
