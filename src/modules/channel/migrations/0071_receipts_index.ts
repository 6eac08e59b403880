import { type Kysely, type SqlBool, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema of their own time
type AnyDb = Kysely<any>;

/**
 * An account's TEMPLATESENDJOBFINISH reports by time (id): what a second's window job reads
 * (send-finishes.service.ts). Through (account, openid, id), the index SQLite's planner took for
 * it, every window read all of the account's log: at a million notices the worker read 37 GB
 * of pages for a few hundred windows. The predicate is written as the query writes it.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createIndex('inbound_messages_receipts')
    .on('inbound_messages')
    .columns(['account_id', 'id'])
    .where(sql.raw<SqlBool>(`kind = 'template_send_finish'`))
    .execute();
}
