import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema of their own time
type AnyDb = Kysely<any>;

/** Goods collected at a store: which store, the code shown at the counter, when it was collected. */
export async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable('orders').addColumn('pickup_store_id', 'text').execute();
  await db.schema.alterTable('orders').addColumn('pickup_code', 'text').execute();
  await db.schema.alterTable('orders').addColumn('collected_at', 'bigint').execute();
  await db.schema.alterTable('orders').addColumn('collected_by', 'text').execute();
  // Nulls never collide: only pickup orders take part.
  await db.schema
    .createIndex('orders_pickup_code')
    .on('orders')
    .columns(['merchant_id', 'pickup_code'])
    .unique()
    .execute();
}
