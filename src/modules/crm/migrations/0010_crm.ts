import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema of their own time
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('crm_members')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('phone', 'text')
    .addColumn('region', 'text')
    .addColumn('gender', 'text')
    .addColumn('birthday', 'text')
    .addColumn('unionid', 'text')
    .addColumn('attrs', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('source_account_id', 'text')
    .addColumn('source_qrcode_id', 'text')
    .addColumn('first_contact_at', 'bigint')
    .addColumn('last_contact_at', 'bigint')
    .addColumn('order_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('spend', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('last_order_at', 'bigint')
    .addColumn('merged_into', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  // Segment conditions filter on these; the list pages by id. (Spend conditions go through the
  // covering index on crm_member_orders, so no index on the running total.)
  for (const column of ['region', 'last_contact_at', 'source_qrcode_id']) {
    await db.schema
      .createIndex(`crm_members_${column}`)
      .on('crm_members')
      .columns(['merchant_id', column])
      .execute();
  }

  // Only merged-away rows carry merged_into: a partial index stays tiny and costs live rows nothing.
  await db.schema
    .createIndex('crm_members_merged')
    .on('crm_members')
    .column('merged_into')
    .where('merged_into', 'is not', null)
    .execute();

  await db.schema
    .createTable('crm_identities')
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('crm_identities_pk', ['merchant_id', 'kind', 'value'])
    .execute();
  await db.schema.createIndex('crm_identities_member').on('crm_identities').column('member_id').execute();

  await db.schema
    .createTable('crm_attribute_defs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('options', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('crm_attribute_defs_key', ['merchant_id', 'key'])
    .execute();

  await db.schema
    .createTable('crm_tags')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('sync', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('crm_tags_name', ['merchant_id', 'name'])
    .execute();

  await db.schema
    .createTable('crm_member_tags')
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('tag_id', 'text', (c) => c.notNull().references('crm_tags.id').onDelete('cascade'))
    .addColumn('synced', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('crm_member_tags_pk', ['member_id', 'tag_id'])
    .execute();
  await db.schema
    .createIndex('crm_member_tags_tag')
    .on('crm_member_tags')
    .columns(['tag_id', 'member_id'])
    .execute();

  await db.schema
    .createTable('crm_tag_sync')
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('tag_id', 'text', (c) => c.notNull().references('crm_tags.id').onDelete('cascade'))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('wechat_tag_id', 'integer')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('crm_tag_sync_pk', ['tag_id', 'account_id'])
    .execute();

  await db.schema
    .createTable('crm_member_orders')
    .addColumn('order_id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('total', 'bigint', (c) => c.notNull())
    .addColumn('refunded', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('paid_at', 'bigint', (c) => c.notNull())
    .addColumn('categories', 'text', (c) => c.notNull())
    .execute();
  // Covers "spent ≥ X in the last N days": a range on paid_at, summed per member, no table reads.
  await db.schema
    .createIndex('crm_member_orders_paid')
    .on('crm_member_orders')
    .columns(['merchant_id', 'paid_at', 'member_id', 'total', 'refunded'])
    .execute();
  await db.schema
    .createIndex('crm_member_orders_member')
    .on('crm_member_orders')
    .column('member_id')
    .execute();

  await db.schema
    .createTable('crm_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('crm_events_member').on('crm_events').columns(['member_id', 'id']).execute();

  await db.schema
    .createTable('crm_merges')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('from_member_id', 'text', (c) => c.notNull())
    .addColumn('into_member_id', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('moved', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('undone_at', 'bigint')
    .execute();
  await db.schema.createIndex('crm_merges_into').on('crm_merges').column('into_member_id').execute();

  await db.schema
    .createTable('crm_segments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('rules', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('crm_segments_merchant').on('crm_segments').column('merchant_id').execute();

  await db.schema
    .createTable('crm_snapshots')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('segment_id', 'text', (c) => c.notNull())
    .addColumn('members', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('crm_snapshot_members')
    .addColumn('snapshot_id', 'text', (c) => c.notNull().references('crm_snapshots.id').onDelete('cascade'))
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('crm_snapshot_members_pk', ['snapshot_id', 'member_id'])
    .execute();

  await db.schema
    .createTable('crm_cursors')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('position', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('crm_imports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('header', 'text', (c) => c.notNull())
    .addColumn('chunks', 'integer', (c) => c.notNull())
    .addColumn('next_chunk', 'integer', (c) => c.notNull())
    .addColumn('total_bytes', 'bigint', (c) => c.notNull())
    .addColumn('done_bytes', 'bigint', (c) => c.notNull())
    .addColumn('rows_ok', 'integer', (c) => c.notNull())
    .addColumn('rows_failed', 'integer', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .execute();
  await db.schema
    .createTable('crm_import_chunks')
    .addColumn('import_id', 'text', (c) => c.notNull().references('crm_imports.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('first_line', 'integer', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('crm_import_chunks_pk', ['import_id', 'seq'])
    .execute();
  await db.schema
    .createTable('crm_import_errors')
    .addColumn('import_id', 'text', (c) => c.notNull().references('crm_imports.id').onDelete('cascade'))
    .addColumn('line', 'integer', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('crm_import_errors_pk', ['import_id', 'line'])
    .execute();

  await db.schema
    .createTable('crm_care_done')
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('done_by', 'text', (c) => c.notNull())
    .addColumn('done_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('crm_care_done_pk', ['merchant_id', 'member_id', 'day'])
    .execute();
}
