import { type Kysely, PostgresAdapter, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema of their own time
type AnyDb = Kysely<any>;

/**
 * Indexes for segments over a million members and an import that writes five million tag links.
 *
 * - Orders by member carry the paid time and amounts: "spent ≥ X in N days" for one member is a
 *   range read inside the index, with no table row per order.
 * - Live members by (region, id), members merged away left out: a tag's member list and a region
 *   meet inside the index, with no member row read (PostgreSQL merges two index-only scans in id
 *   order; SQLite probes the index once per member of the tag instead of reading every member of
 *   the region: 400 → 80 ms at a million members).
 * - SQLite: member tags clustered on their key (WITHOUT ROWID). A rowid table kept a third b-tree
 *   (rows by rowid beside the (member, tag) key and the (tag, member) index) that every link of an
 *   import paid for; now a link is written to the table (member → tags) and the index (tag →
 *   members) only.
 */
export async function up(db: AnyDb): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema.dropIndex('crm_member_orders_member').execute();
  await db.schema
    .createIndex('crm_member_orders_member')
    .on('crm_member_orders')
    .columns(['member_id', 'paid_at', 'total', 'refunded'])
    .execute();
  await db.schema.dropIndex('crm_members_region').execute();
  await sql`create index crm_members_region on crm_members (merchant_id, region, id) where merged_into is null`.execute(
    db,
  );
  if (postgres) return;
  await sql`create table crm_member_tags_new (
    merchant_id text not null,
    member_id text not null,
    tag_id text not null references crm_tags(id) on delete cascade,
    synced integer not null default 0,
    created_at bigint not null,
    constraint crm_member_tags_pk primary key (member_id, tag_id)
  ) without rowid`.execute(db);
  await sql`insert into crm_member_tags_new (merchant_id, member_id, tag_id, synced, created_at)
    select merchant_id, member_id, tag_id, synced, created_at from crm_member_tags`.execute(db);
  await sql`drop table crm_member_tags`.execute(db);
  await sql`alter table crm_member_tags_new rename to crm_member_tags`.execute(db);
  await sql`create index crm_member_tags_tag on crm_member_tags (tag_id, member_id)`.execute(db);
}
