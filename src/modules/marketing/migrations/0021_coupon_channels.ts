import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema of their own time
type AnyDb = Kysely<any>;

const merchant = 'merchants.id';

/** Coupons issued by a keyword, a menu click, a channel QR scan, a paid order or to a segment. */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('coupon_triggers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('campaign_id', 'text', (c) =>
      c.notNull().references('coupon_campaigns.id').onDelete('cascade'),
    )
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text')
    .addColumn('key', 'text')
    .addColumn('ref_id', 'text')
    .addColumn('image_url', 'text')
    .addColumn('min_total', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('issued', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('coupon_triggers_account')
    .on('coupon_triggers')
    .columns(['account_id', 'kind', 'status'])
    .execute();
  await db.schema
    .createIndex('coupon_triggers_merchant')
    .on('coupon_triggers')
    .columns(['merchant_id', 'kind', 'status'])
    .execute();

  // One row per (campaign, cause): the message, the order or the segment member. Written in the
  // claim's transaction, so a re-read log row or a retried job never issues twice.
  await db.schema
    .createTable('coupon_grants')
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('campaign_id', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('openid', 'text', (c) => c.notNull())
    .addColumn('coupon_id', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('coupon_grants_pk', ['campaign_id', 'source'])
    .execute();

  await db.schema
    .createTable('coupon_pushes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('campaign_id', 'text', (c) => c.notNull())
    .addColumn('segment_id', 'text', (c) => c.notNull())
    .addColumn('snapshot_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text')
    .addColumn('members', 'integer', (c) => c.notNull())
    .addColumn('issued', 'integer', (c) => c.notNull())
    .addColumn('skipped', 'integer', (c) => c.notNull())
    .addColumn('cursor', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('coupon_pushes_merchant')
    .on('coupon_pushes')
    .columns(['merchant_id', 'created_at'])
    .execute();

  await db.schema
    .createTable('marketing_cursors')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('position', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}
