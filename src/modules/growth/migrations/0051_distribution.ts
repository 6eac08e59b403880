import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema of their own time
type AnyDb = Kysely<any>;

const merchant = 'merchants.id';

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('growth_dist_settings')
    .addColumn('merchant_id', 'text', (c) => c.primaryKey().references(merchant).onDelete('cascade'))
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('join_mode', 'text', (c) => c.notNull())
    .addColumn('package_product_id', 'text')
    .addColumn('levels', 'integer', (c) => c.notNull())
    .addColumn('binding_days', 'integer', (c) => c.notNull())
    .addColumn('rebind_after_expiry', 'integer', (c) => c.notNull())
    .addColumn('refund_window_days', 'integer', (c) => c.notNull())
    .addColumn('default_kind', 'text', (c) => c.notNull())
    .addColumn('default_level1', 'bigint', (c) => c.notNull())
    .addColumn('default_level2', 'bigint', (c) => c.notNull())
    .addColumn('min_withdrawal', 'bigint', (c) => c.notNull())
    .addColumn('burst_buyers', 'integer', (c) => c.notNull())
    .addColumn('burst_minutes', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('growth_distributors')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('openid', 'text', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('via', 'text', (c) => c.notNull())
    .addColumn('parent_id', 'text')
    .addColumn('balance', 'bigint', (c) => c.notNull())
    .addColumn('qrcode_id', 'text')
    .addColumn('scene', 'text')
    .addColumn('qr_url', 'text')
    .addColumn('note', 'text', (c) => c.notNull())
    .addColumn('flagged', 'integer', (c) => c.notNull())
    .addColumn('flag_reason', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('approved_at', 'bigint')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  // One distributor per fan of an account, however often they tap "join".
  await db.schema
    .createIndex('growth_distributors_fan')
    .on('growth_distributors')
    .columns(['merchant_id', 'account_id', 'openid'])
    .unique()
    .execute();
  await db.schema
    .createIndex('growth_distributors_code')
    .on('growth_distributors')
    .column('code')
    .unique()
    .execute();
  await db.schema
    .createIndex('growth_distributors_scene')
    .on('growth_distributors')
    .columns(['account_id', 'scene'])
    .execute();
  await db.schema
    .createIndex('growth_distributors_parent')
    .on('growth_distributors')
    .columns(['merchant_id', 'parent_id'])
    .execute();

  await db.schema
    .createTable('growth_dist_bindings')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('openid', 'text', (c) => c.notNull())
    .addColumn('distributor_id', 'text', (c) =>
      c.notNull().references('growth_distributors.id').onDelete('cascade'),
    )
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('bound_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  // One binding per buyer: two referrals racing for a new buyer cannot both win.
  await db.schema
    .createIndex('growth_dist_bindings_buyer')
    .on('growth_dist_bindings')
    .columns(['merchant_id', 'account_id', 'openid'])
    .unique()
    .execute();
  await db.schema
    .createIndex('growth_dist_bindings_distributor')
    .on('growth_dist_bindings')
    .columns(['distributor_id', 'bound_at'])
    .execute();

  await db.schema
    .createTable('growth_dist_rules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('ref', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('level1', 'bigint', (c) => c.notNull())
    .addColumn('level2', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('growth_dist_rules_ref')
    .on('growth_dist_rules')
    .columns(['merchant_id', 'scope', 'ref'])
    .unique()
    .execute();

  await db.schema
    .createTable('growth_dist_commissions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('order_id', 'text', (c) => c.notNull())
    .addColumn('distributor_id', 'text', (c) =>
      c.notNull().references('growth_distributors.id').onDelete('cascade'),
    )
    .addColumn('level', 'integer', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('buyer_openid', 'text', (c) => c.notNull())
    .addColumn('base', 'bigint', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('settle_after', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('settled_at', 'bigint')
    .addColumn('reversed_at', 'bigint')
    .execute();
  // An order pays each level once: the paid event may be delivered twice.
  await db.schema
    .createIndex('growth_dist_commissions_order')
    .on('growth_dist_commissions')
    .columns(['merchant_id', 'order_id', 'level'])
    .unique()
    .execute();
  await db.schema
    .createIndex('growth_dist_commissions_distributor')
    .on('growth_dist_commissions')
    .columns(['distributor_id', 'id'])
    .execute();
  // The settlement sweep: pending rows whose window closed.
  await db.schema
    .createIndex('growth_dist_commissions_due')
    .on('growth_dist_commissions')
    .columns(['status', 'settle_after'])
    .execute();

  await db.schema
    .createTable('growth_dist_ledger')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('distributor_id', 'text', (c) =>
      c.notNull().references('growth_distributors.id').onDelete('cascade'),
    )
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('ref', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('growth_dist_ledger_ref')
    .on('growth_dist_ledger')
    .columns(['kind', 'ref'])
    .unique()
    .execute();
  await db.schema
    .createIndex('growth_dist_ledger_distributor')
    .on('growth_dist_ledger')
    .columns(['distributor_id', 'id'])
    .execute();

  await db.schema
    .createTable('growth_dist_withdrawals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('distributor_id', 'text', (c) =>
      c.notNull().references('growth_distributors.id').onDelete('cascade'),
    )
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reviewed_by', 'text')
    .addColumn('reject_reason', 'text')
    .addColumn('batch_id', 'text')
    .addColumn('error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('reviewed_at', 'bigint')
    .addColumn('paid_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('growth_dist_withdrawals_merchant')
    .on('growth_dist_withdrawals')
    .columns(['merchant_id', 'status', 'id'])
    .execute();

  await db.schema
    .createTable('growth_dist_flags')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('distributor_id', 'text', (c) =>
      c.notNull().references('growth_distributors.id').onDelete('cascade'),
    )
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('growth_dist_flags_merchant')
    .on('growth_dist_flags')
    .columns(['merchant_id', 'id'])
    .execute();
}
