import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema of their own time
type AnyDb = Kysely<any>;

const merchant = 'merchants.id';

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('coupon_campaigns')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('value', 'bigint', (c) => c.notNull())
    .addColumn('min_spend', 'bigint', (c) => c.notNull())
    .addColumn('max_off', 'bigint', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('scope_ids', 'text', (c) => c.notNull())
    .addColumn('valid_from', 'bigint')
    .addColumn('valid_until', 'bigint')
    .addColumn('valid_days', 'integer')
    .addColumn('per_fan_limit', 'integer', (c) => c.notNull())
    .addColumn('total_limit', 'integer', (c) => c.notNull())
    .addColumn('budget', 'bigint', (c) => c.notNull())
    .addColumn('claimed', 'integer', (c) => c.notNull())
    .addColumn('used', 'integer', (c) => c.notNull())
    .addColumn('spent', 'bigint', (c) => c.notNull())
    .addColumn('revenue', 'bigint', (c) => c.notNull())
    .addColumn('return_on_refund', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('coupon_campaigns_merchant')
    .on('coupon_campaigns')
    .columns(['merchant_id', 'created_at'])
    .execute();

  await db.schema
    .createTable('coupons')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('campaign_id', 'text', (c) =>
      c.notNull().references('coupon_campaigns.id').onDelete('cascade'),
    )
    .addColumn('openid', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('valid_from', 'bigint', (c) => c.notNull())
    .addColumn('valid_until', 'bigint', (c) => c.notNull())
    .addColumn('order_id', 'text')
    .addColumn('discount', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addColumn('claimed_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('coupons_per_fan', ['campaign_id', 'openid', 'seq'])
    .execute();
  await db.schema
    .createIndex('coupons_fan')
    .on('coupons')
    .columns(['merchant_id', 'openid', 'status'])
    .execute();
  await db.schema.createIndex('coupons_order').on('coupons').column('order_id').execute();

  await db.schema
    .createTable('vouchers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('order_id', 'text', (c) => c.notNull())
    .addColumn('order_item_id', 'text', (c) => c.notNull())
    .addColumn('unit', 'integer', (c) => c.notNull())
    .addColumn('product_id', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('openid', 'text', (c) => c.notNull())
    .addColumn('price', 'bigint', (c) => c.notNull())
    .addColumn('store_ids', 'text', (c) => c.notNull())
    .addColumn('valid_from', 'bigint', (c) => c.notNull())
    .addColumn('valid_until', 'bigint')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('redeemed_at', 'bigint')
    .addColumn('redeemed_store_id', 'text')
    .addColumn('redeemed_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('vouchers_code', ['merchant_id', 'code'])
    .addUniqueConstraint('vouchers_unit', ['order_item_id', 'unit'])
    .execute();
  await db.schema.createIndex('vouchers_order').on('vouchers').column('order_id').execute();
  await db.schema
    .createIndex('vouchers_due')
    .on('vouchers')
    .columns(['merchant_id', 'status', 'valid_until'])
    .execute();

  await db.schema
    .createTable('voucher_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('voucher_id', 'text', (c) => c.notNull().references('vouchers.id').onDelete('cascade'))
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('store_id', 'text')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('voucher_events_voucher')
    .on('voucher_events')
    .columns(['voucher_id', 'created_at'])
    .execute();
  await db.schema
    .createIndex('voucher_events_day')
    .on('voucher_events')
    .columns(['merchant_id', 'action', 'created_at'])
    .execute();

  await db.schema
    .createTable('clerk_stores')
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('principal_id', 'text', (c) => c.notNull())
    .addColumn('store_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('clerk_stores_pk', ['merchant_id', 'principal_id'])
    .execute();

  await db.schema
    .createTable('deal_policies')
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('product_id', 'text', (c) => c.notNull())
    .addColumn('refund_expired', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('deal_policies_pk', ['merchant_id', 'product_id'])
    .execute();

  await db.schema
    .createTable('flash_sales')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('product_id', 'text', (c) => c.notNull())
    .addColumn('sku_id', 'text', (c) => c.notNull())
    .addColumn('price', 'bigint', (c) => c.notNull())
    .addColumn('stock', 'integer', (c) => c.notNull())
    .addColumn('sold', 'integer', (c) => c.notNull())
    .addColumn('paid', 'integer', (c) => c.notNull())
    .addColumn('returned', 'integer', (c) => c.notNull())
    .addColumn('per_buyer_limit', 'integer', (c) => c.notNull())
    .addColumn('requires_reservation', 'integer', (c) => c.notNull())
    .addColumn('opens_at', 'bigint', (c) => c.notNull())
    .addColumn('closes_at', 'bigint', (c) => c.notNull())
    .addColumn('remind_before_ms', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('flash_reservations')
    .addColumn('sale_id', 'text', (c) => c.notNull().references('flash_sales.id').onDelete('cascade'))
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('openid', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('flash_reservations_pk', ['sale_id', 'openid'])
    .execute();

  await db.schema
    .createTable('flash_passes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('sale_id', 'text', (c) => c.notNull().references('flash_sales.id').onDelete('cascade'))
    .addColumn('openid', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer')
    .addColumn('order_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('flash_passes_per_buyer', ['sale_id', 'openid', 'seq'])
    .execute();
  await db.schema.createIndex('flash_passes_order').on('flash_passes').column('order_id').execute();
}
