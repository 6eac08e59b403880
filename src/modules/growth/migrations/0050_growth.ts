import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema of their own time
type AnyDb = Kysely<any>;

const merchant = 'merchants.id';

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('growth_trials')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('product_id', 'text', (c) => c.notNull())
    .addColumn('sku_id', 'text', (c) => c.notNull())
    .addColumn('units', 'integer', (c) => c.notNull())
    .addColumn('keyword', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('seed_hash', 'text', (c) => c.notNull())
    .addColumn('seed_sealed', 'text', (c) => c.notNull())
    .addColumn('seed', 'text')
    .addColumn('draw_mode', 'text')
    .addColumn('consolation_campaign_id', 'text')
    .addColumn('closes_at', 'bigint', (c) => c.notNull())
    .addColumn('entry_count', 'integer', (c) => c.notNull())
    .addColumn('reply_rule_id', 'text')
    .addColumn('drawn_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('growth_trials_merchant')
    .on('growth_trials')
    .columns(['merchant_id', 'created_at'])
    .execute();
  // The log reader asks for open trials of every merchant once per batch.
  await db.schema.createIndex('growth_trials_status').on('growth_trials').columns(['status']).execute();

  await db.schema
    .createTable('growth_trial_entries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('trial_id', 'text', (c) => c.notNull().references('growth_trials.id').onDelete('cascade'))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('openid', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('prize', 'text', (c) => c.notNull())
    .addColumn('order_id', 'text')
    .addColumn('coupon_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  // Each fan once per trial: the log is re-read, and a fan may reply many times.
  await db.schema
    .createIndex('growth_trial_entries_fan')
    .on('growth_trial_entries')
    .columns(['trial_id', 'account_id', 'openid'])
    .unique()
    .execute();
  await db.schema
    .createIndex('growth_trial_entries_list')
    .on('growth_trial_entries')
    .columns(['trial_id', 'message_id'])
    .execute();

  await db.schema
    .createTable('growth_cursors')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('position', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('growth_redpacket_campaigns')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('budget', 'bigint', (c) => c.notNull())
    .addColumn('spent', 'bigint', (c) => c.notNull())
    .addColumn('claims', 'integer', (c) => c.notNull())
    .addColumn('amount_min', 'bigint', (c) => c.notNull())
    .addColumn('amount_max', 'bigint', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('keyword', 'text')
    .addColumn('min_order_total', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('growth_redpacket_campaigns_merchant')
    .on('growth_redpacket_campaigns')
    .columns(['merchant_id', 'created_at'])
    .execute();
  await db.schema
    .createTable('growth_redpackets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('campaign_id', 'text', (c) =>
      c.notNull().references('growth_redpacket_campaigns.id').onDelete('cascade'),
    )
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('openid', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('source_ref', 'text', (c) => c.notNull())
    .addColumn('batch_id', 'text')
    .addColumn('error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('paid_at', 'bigint')
    .execute();
  // One packet per fan per campaign, whatever the concurrency.
  await db.schema
    .createIndex('growth_redpackets_fan')
    .on('growth_redpackets')
    .columns(['campaign_id', 'account_id', 'openid'])
    .unique()
    .execute();
}
