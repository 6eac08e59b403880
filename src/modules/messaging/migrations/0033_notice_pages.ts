import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema of their own time
type AnyDb = Kysely<any>;

/**
 * A batch's notices by (merchant, batch, status, id): a sender's page ("this batch's pending
 * notices after id X, in id order") is one range read of this index. With (batch, status) alone,
 * SQLite's planner (no statistics kept) read every notice of the merchant through
 * (merchant, created_at) and sorted them, for each page: a million-notice send read the whole
 * table a thousand times.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema.dropIndex('notices_batch').execute();
  await db.schema
    .createIndex('notices_batch')
    .on('notices')
    .columns(['merchant_id', 'batch_id', 'status', 'id'])
    .execute();
}
