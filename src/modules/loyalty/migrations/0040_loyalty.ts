import { type Kysely, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema of their own time
type AnyDb = Kysely<any>;

const merchant = 'merchants.id';

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('loyalty_programs')
    .addColumn('merchant_id', 'text', (c) => c.primaryKey().references(merchant).onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('cover_url', 'text', (c) => c.notNull())
    .addColumn('color', 'text', (c) => c.notNull())
    .addColumn('terms', 'text', (c) => c.notNull())
    .addColumn('levels', 'text', (c) => c.notNull())
    .addColumn('points_per_yuan', 'integer', (c) => c.notNull())
    .addColumn('excluded_categories', 'text', (c) => c.notNull())
    .addColumn('checkin_points', 'integer', (c) => c.notNull())
    .addColumn('review_points', 'integer', (c) => c.notNull())
    .addColumn('expiry_days', 'integer', (c) => c.notNull())
    .addColumn('issue_on_first_order', 'integer', (c) => c.notNull())
    .addColumn('topup_rules', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('loyalty_cards')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('openid', 'text', (c) => c.notNull())
    .addColumn('number', 'text', (c) => c.notNull())
    .addColumn('home_store_id', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('points', 'bigint', (c) => c.notNull())
    .addColumn('balance', 'bigint', (c) => c.notNull())
    .addColumn('total_spend', 'bigint', (c) => c.notNull())
    .addColumn('lifetime_points', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    // The database, not a check before the insert, keeps one card per person and no balance below 0.
    .addUniqueConstraint('loyalty_cards_member', ['merchant_id', 'member_id'])
    .addUniqueConstraint('loyalty_cards_number', ['merchant_id', 'number'])
    .addCheckConstraint('loyalty_cards_points_nonneg', sql`points >= 0`)
    .addCheckConstraint('loyalty_cards_balance_nonneg', sql`balance >= 0`)
    .execute();
  await db.schema
    .createIndex('loyalty_cards_fan')
    .on('loyalty_cards')
    .columns(['merchant_id', 'account_id', 'openid'])
    .execute();
  await db.schema
    .createIndex('loyalty_cards_level')
    .on('loyalty_cards')
    .columns(['merchant_id', 'level'])
    .execute();

  for (const table of ['loyalty_points_ledger', 'loyalty_value_ledger']) {
    let create = db.schema
      .createTable(table)
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
      .addColumn('card_id', 'text', (c) => c.notNull().references('loyalty_cards.id').onDelete('cascade'))
      .addColumn('delta', 'bigint', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('ref', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('note', 'text', (c) => c.notNull());
    if (table === 'loyalty_points_ledger') create = create.addColumn('expires_at', 'bigint');
    await create
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      // One entry per (card, reason, reference): a retried event or job changes nothing.
      .addUniqueConstraint(`${table}_once`, ['card_id', 'reason', 'ref'])
      .execute();
    await db.schema.createIndex(`${table}_card`).on(table).columns(['card_id', 'created_at']).execute();
    await db.schema
      .createIndex(`${table}_merchant`)
      .on(table)
      .columns(['merchant_id', 'reason', 'created_at'])
      .execute();
  }

  await db.schema
    .createTable('loyalty_level_changes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('card_id', 'text', (c) => c.notNull().references('loyalty_cards.id').onDelete('cascade'))
    .addColumn('from_level', 'text', (c) => c.notNull())
    .addColumn('to_level', 'text', (c) => c.notNull())
    .addColumn('cause', 'text', (c) => c.notNull())
    .addColumn('notified_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('loyalty_level_changes_card')
    .on('loyalty_level_changes')
    .columns(['card_id', 'created_at'])
    .execute();

  // Which channel QR (by its scene) issues a card with which home store.
  await db.schema
    .createTable('loyalty_store_codes')
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('scene', 'text', (c) => c.notNull())
    .addColumn('store_id', 'text', (c) => c.notNull())
    .addColumn('qrcode_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('loyalty_store_codes_pk', ['account_id', 'scene'])
    .execute();
  await db.schema
    .createTable('loyalty_cursors')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('position', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  // The card's dynamic QR: a short-lived, single-use code (the row is the single use).
  await db.schema
    .createTable('loyalty_card_codes')
    .addColumn('code', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('card_id', 'text', (c) => c.notNull().references('loyalty_cards.id').onDelete('cascade'))
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('loyalty_card_codes_expiry')
    .on('loyalty_card_codes')
    .column('expires_at')
    .execute();

  // A top-up: what the fan pays and the bonus promised when it started; credited once when paid.
  await db.schema
    .createTable('loyalty_topups')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('card_id', 'text', (c) => c.notNull().references('loyalty_cards.id').onDelete('cascade'))
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('bonus', 'bigint', (c) => c.notNull())
    .addColumn('charge_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('credited_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('loyalty_topups_card')
    .on('loyalty_topups')
    .columns(['card_id', 'created_at'])
    .execute();
}
