import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema of their own time
type AnyDb = Kysely<any>;

const merchant = 'merchants.id';

/** Red packets on a follow through a QR code; share-to-unlock campaigns; lucky draws. */
export async function up(db: AnyDb): Promise<void> {
  // For the `follow` trigger: the channel QR scene a follow (or a scan) must come through.
  await db.schema.alterTable('growth_redpacket_campaigns').addColumn('scene', 'text').execute();

  await db.schema
    .createTable('growth_share_campaigns')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('share_title', 'text', (c) => c.notNull())
    .addColumn('share_desc', 'text', (c) => c.notNull())
    .addColumn('product_id', 'text')
    .addColumn('required_opens', 'integer', (c) => c.notNull())
    .addColumn('coupon_campaign_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('ends_at', 'bigint', (c) => c.notNull())
    .addColumn('shares', 'integer', (c) => c.notNull())
    .addColumn('unlocked', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('growth_share_campaigns_merchant')
    .on('growth_share_campaigns')
    .columns(['merchant_id', 'created_at'])
    .execute();
  await db.schema
    .createTable('growth_shares')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('campaign_id', 'text', (c) =>
      c.notNull().references('growth_share_campaigns.id').onDelete('cascade'),
    )
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('openid', 'text', (c) => c.notNull())
    .addColumn('token', 'text', (c) => c.notNull().unique())
    .addColumn('opens', 'integer', (c) => c.notNull())
    .addColumn('unlocked_at', 'bigint')
    .addColumn('coupon_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  // One share link per fan per campaign.
  await db.schema
    .createIndex('growth_shares_fan')
    .on('growth_shares')
    .columns(['campaign_id', 'account_id', 'openid'])
    .unique()
    .execute();
  await db.schema
    .createTable('growth_share_opens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('share_id', 'text', (c) => c.notNull().references('growth_shares.id').onDelete('cascade'))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('openid', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  // A friend counts once per share, however often they open it.
  await db.schema
    .createIndex('growth_share_opens_friend')
    .on('growth_share_opens')
    .columns(['share_id', 'account_id', 'openid'])
    .unique()
    .execute();

  await db.schema
    .createTable('growth_draws')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('entry_rule', 'text', (c) => c.notNull())
    .addColumn('min_order_total', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('seed_hash', 'text', (c) => c.notNull())
    .addColumn('seed_sealed', 'text', (c) => c.notNull())
    .addColumn('seed', 'text')
    .addColumn('starts_at', 'bigint', (c) => c.notNull())
    .addColumn('ends_at', 'bigint', (c) => c.notNull())
    .addColumn('plays', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('growth_draws_merchant')
    .on('growth_draws')
    .columns(['merchant_id', 'created_at'])
    .execute();
  await db.schema
    .createTable('growth_draw_prizes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('draw_id', 'text', (c) => c.notNull().references('growth_draws.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('coupon_campaign_id', 'text')
    .addColumn('sku_id', 'text')
    .addColumn('odds', 'integer', (c) => c.notNull())
    .addColumn('stock', 'integer', (c) => c.notNull())
    .addColumn('won', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('growth_draw_prizes_draw')
    .on('growth_draw_prizes')
    .columns(['draw_id', 'position'])
    .execute();
  await db.schema
    .createTable('growth_draw_results')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('draw_id', 'text', (c) => c.notNull().references('growth_draws.id').onDelete('cascade'))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('openid', 'text', (c) => c.notNull())
    .addColumn('entry_ref', 'text', (c) => c.notNull())
    .addColumn('roll', 'integer', (c) => c.notNull())
    .addColumn('rolled_prize_id', 'text')
    .addColumn('prize_id', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('coupon_id', 'text')
    .addColumn('order_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  // One play per fan per entry (a day, an order, or once): the rule's limit under any concurrency.
  await db.schema
    .createIndex('growth_draw_results_play')
    .on('growth_draw_results')
    .columns(['draw_id', 'account_id', 'openid', 'entry_ref'])
    .unique()
    .execute();
}
