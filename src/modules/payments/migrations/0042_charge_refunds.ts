import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema of their own time
type AnyDb = Kysely<any>;

/** Money sent back on a charge (part of a stored-value top-up): one row per caller's reference. */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('charge_refunds')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id').onDelete('cascade'))
    .addColumn('charge_id', 'text', (c) => c.notNull().references('charges.id').onDelete('cascade'))
    .addColumn('ref', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('refund_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('succeeded_at', 'bigint')
    .addUniqueConstraint('charge_refunds_ref', ['charge_id', 'ref'])
    .execute();
}
