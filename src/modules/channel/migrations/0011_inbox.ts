import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema of their own time
type AnyDb = Kysely<any>;

/**
 * One fan's conversation, newest first, is read by the inbox and the member timeline: without
 * this index each read would scan the whole 90-day log. One extra b-tree insert per push, no
 * extra query.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createIndex('inbound_messages_fan')
    .on('inbound_messages')
    .columns(['account_id', 'openid', 'id'])
    .execute();
}
