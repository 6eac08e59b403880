import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema of their own time
type AnyDb = Kysely<any>;

/**
 * Segments that tag their members, RFM bands per merchant, and the care list as daily items each
 * owned by one operator.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable('crm_segments').addColumn('auto_tag_id', 'text').execute();

  await db.schema
    .createTable('crm_rfm')
    .addColumn('merchant_id', 'text', (c) => c.primaryKey())
    .addColumn('bands', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('crm_care_items')
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('done_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    // One operator per member per day: two operators opening their lists at once never share one.
    .addPrimaryKeyConstraint('crm_care_items_pk', ['merchant_id', 'day', 'member_id'])
    .execute();
  await db.schema
    .createIndex('crm_care_items_owner')
    .on('crm_care_items')
    .columns(['merchant_id', 'day', 'owner'])
    .execute();
}
