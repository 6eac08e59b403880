import { type Kysely, PostgresAdapter, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema of their own time
type AnyDb = Kysely<any>;

/**
 * A million-row member import and a three-condition segment at a million members.
 *
 * - SQLite: member tags' foreign key to the tag is checked at commit (DEFERRABLE INITIALLY
 *   DEFERRED) instead of after each statement. An immediate foreign key means a multi-row INSERT
 *   may abort half-way, so SQLite copied every page each 500-link statement touched to a statement
 *   journal first: a quarter of the import's time went to writing five million links. A link to a
 *   missing tag still fails its transaction, at commit; deleting a tag still removes its links.
 * - PostgreSQL: a tag's members and a region's live members also by id in byte order
 *   (COLLATE "C"), so a segment naming both merges the two index ranges with memcmp instead of the
 *   database collation's strcoll (segment-rules.ts): the merge compares tens of thousands of ids.
 *   The indexes in the database's order stay: member pages sorted by id merge through them.
 */
export async function up(db: AnyDb): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  if (postgres) {
    await sql`create index crm_member_tags_tag_bytes on crm_member_tags (tag_id, member_id collate "C")`.execute(
      db,
    );
    await sql`create index crm_members_region_bytes on crm_members (merchant_id, region, id collate "C") where merged_into is null`.execute(
      db,
    );
    return;
  }
  await sql`create table crm_member_tags_new (
    merchant_id text not null,
    member_id text not null,
    tag_id text not null references crm_tags(id) on delete cascade deferrable initially deferred,
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
