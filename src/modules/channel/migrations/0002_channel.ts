import type { Kysely } from 'kysely';

// Migrations see the database as it was at their time, so they use an untyped handle.
// biome-ignore lint/suspicious/noExplicitAny: see above
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('channel_qrcodes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) =>
      c.notNull().references('official_accounts.id').onDelete('cascade'),
    )
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('scene', 'text', (c) => c.notNull())
    .addColumn('permanent', 'integer', (c) => c.notNull())
    .addColumn('ticket', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('channel_qrcodes_scene', ['account_id', 'scene'])
    .execute();

  await db.schema
    .createIndex('channel_qrcodes_merchant')
    .on('channel_qrcodes')
    .column('merchant_id')
    .execute();

  await db.schema
    .createTable('followers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) =>
      c.notNull().references('official_accounts.id').onDelete('cascade'),
    )
    .addColumn('openid', 'text', (c) => c.notNull())
    .addColumn('unionid', 'text')
    .addColumn('subscribed', 'integer', (c) => c.notNull())
    .addColumn('first_subscribed_at', 'bigint')
    .addColumn('subscribed_at', 'bigint')
    .addColumn('unsubscribed_at', 'bigint')
    .addColumn('source_qrcode_id', 'text')
    .addColumn('last_interaction_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('followers_openid', ['account_id', 'openid'])
    .execute();

  await db.schema
    .createIndex('followers_merchant')
    .on('followers')
    .columns(['merchant_id', 'account_id'])
    .execute();

  await db.schema.createIndex('followers_source').on('followers').column('source_qrcode_id').execute();

  await db.schema
    .createTable('follower_tags')
    .addColumn('follower_id', 'text', (c) => c.notNull().references('followers.id').onDelete('cascade'))
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('tag', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('follower_tags_pk', ['follower_id', 'tag'])
    .execute();

  await db.schema
    .createTable('qrcode_scans')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('qrcode_id', 'text', (c) => c.notNull().references('channel_qrcodes.id').onDelete('cascade'))
    .addColumn('follower_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema.createIndex('qrcode_scans_code').on('qrcode_scans').column('qrcode_id').execute();

  await db.schema
    .createTable('reply_rules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) =>
      c.notNull().references('official_accounts.id').onDelete('cascade'),
    )
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('match_type', 'text')
    .addColumn('keyword', 'text')
    .addColumn('priority', 'integer', (c) => c.notNull())
    .addColumn('reply', 'text', (c) => c.notNull())
    .addColumn('tag_fan', 'text')
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('starts_at', 'bigint')
    .addColumn('ends_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createIndex('reply_rules_account')
    .on('reply_rules')
    .columns(['account_id', 'kind'])
    .execute();

  await db.schema
    .createTable('menus')
    .addColumn('account_id', 'text', (c) =>
      c.primaryKey().references('official_accounts.id').onDelete('cascade'),
    )
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('buttons', 'text', (c) => c.notNull())
    .addColumn('published_at', 'bigint')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('inbound_messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('dedupe_key', 'text', (c) => c.notNull())
    .addColumn('openid', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('content', 'text')
    .addColumn('reply', 'text')
    .addColumn('followup', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('inbound_messages_dedupe', ['account_id', 'dedupe_key'])
    .execute();
}
