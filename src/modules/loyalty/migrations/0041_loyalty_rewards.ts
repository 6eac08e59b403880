import { type Kysely, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema of their own time
type AnyDb = Kysely<any>;

const merchant = 'merchants.id';

/**
 * Rewards bought with points, birthday gifts per level, the card's birthday, the notice template,
 * top-up refunds.
 */
export async function up(db: AnyDb): Promise<void> {
  // MM-DD: the day matters, the year is the fan's own business.
  await db.schema.alterTable('loyalty_cards').addColumn('birthday', 'text').execute();
  await db.schema
    .createIndex('loyalty_cards_birthday')
    .on('loyalty_cards')
    .columns(['merchant_id', 'birthday'])
    .execute();
  // A top-up's refund: what went back through WeChat Pay and the bonus taken back with it.
  await db.schema.alterTable('loyalty_topups').addColumn('refund_amount', 'bigint').execute();
  await db.schema.alterTable('loyalty_topups').addColumn('bonus_back', 'bigint').execute();
  await db.schema.alterTable('loyalty_topups').addColumn('refunded_at', 'bigint').execute();
  await db.schema
    .alterTable('loyalty_programs')
    .addColumn('notice_template_id', 'text', (c) => c.notNull().defaultTo(''))
    .execute();

  await db.schema
    .createTable('loyalty_rewards')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('image_url', 'text', (c) => c.notNull())
    .addColumn('points', 'bigint', (c) => c.notNull())
    // null = unlimited; otherwise guarded in the UPDATE like SKU stock.
    .addColumn('stock', 'bigint')
    .addColumn('per_card_limit', 'integer', (c) => c.notNull())
    .addColumn('min_level', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('redeemed', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addCheckConstraint('loyalty_rewards_stock_nonneg', sql`stock is null or stock >= 0`)
    .execute();
  await db.schema
    .createIndex('loyalty_rewards_merchant')
    .on('loyalty_rewards')
    .columns(['merchant_id', 'status'])
    .execute();

  await db.schema
    .createTable('loyalty_redemptions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('reward_id', 'text', (c) => c.notNull().references('loyalty_rewards.id').onDelete('cascade'))
    .addColumn('card_id', 'text', (c) => c.notNull().references('loyalty_cards.id').onDelete('cascade'))
    .addColumn('points', 'bigint', (c) => c.notNull())
    // Shown to the clerk who hands the reward over.
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('fulfilled_at', 'bigint')
    .addUniqueConstraint('loyalty_redemptions_code', ['merchant_id', 'code'])
    .execute();
  await db.schema
    .createIndex('loyalty_redemptions_card')
    .on('loyalty_redemptions')
    .columns(['card_id', 'reward_id'])
    .execute();

  // One birthday gift per card and year: the row is the "once".
  await db.schema
    .createTable('loyalty_birthday_gifts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('card_id', 'text', (c) => c.notNull().references('loyalty_cards.id').onDelete('cascade'))
    .addColumn('year', 'integer', (c) => c.notNull())
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('gift', 'text', (c) => c.notNull())
    .addColumn('points', 'bigint', (c) => c.notNull())
    .addColumn('notified_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('loyalty_birthday_gifts_once', ['card_id', 'year'])
    .execute();
}
