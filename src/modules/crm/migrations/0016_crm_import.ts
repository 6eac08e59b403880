import { type Kysely, PostgresAdapter, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema of their own time
type AnyDb = Kysely<any>;

/**
 * A million-row member import.
 *
 * - SQLite: member tags' foreign key to the tag is checked at commit (DEFERRABLE INITIALLY
 *   DEFERRED) instead of after each statement. An immediate foreign key means a multi-row INSERT
 *   may abort half-way, so SQLite copied every page each 500-link statement touched to a statement
 *   journal first: a quarter of the import's time went to writing five million links. A link to a
 *   missing tag still fails its transaction, at commit; deleting a tag still removes its links.
 * - PostgreSQL: nothing; its foreign keys are checked per row, with no statement journal.
 */
export async function up(db: AnyDb): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  if (postgres) return;
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
