import { type Kysely, type SqlBool, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema of their own time
type AnyDb = Kysely<any>;

/**
 * The log's rows in id order without WeChat's reports on the merchant's own sends
 * (TEMPLATESENDJOBFINISH, MASSSENDJOBFINISH): what the log's readers (CRM, inbox, loyalty, growth,
 * marketing, analytics) follow. A million-notice send writes a million reports that none of them
 * applies; through the primary key every reader read each of them. The predicate is written out
 * exactly as `activitySince` writes it, so both engines' planners can prove the index covers it.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createIndex('inbound_messages_activity')
    .on('inbound_messages')
    .column('id')
    .where(sql.raw<SqlBool>(`kind not in ('template_send_finish', 'mass_send_finish')`))
    .execute();
}
