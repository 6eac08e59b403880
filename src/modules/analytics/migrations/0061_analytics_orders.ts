import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema of their own time
type AnyDb = Kysely<any>;

/** Orders per local day (placed cohort and paid day) kept from order events, and what each order adds. */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('analytics_order_days')
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('day', 'integer', (c) => c.notNull())
    .addColumn('placed', 'integer', (c) => c.notNull())
    .addColumn('cohort_paid', 'integer', (c) => c.notNull())
    .addColumn('cohort_pending', 'integer', (c) => c.notNull())
    .addColumn('cancel_unpaid_timeout', 'integer', (c) => c.notNull())
    .addColumn('cancel_buyer', 'integer', (c) => c.notNull())
    .addColumn('cancel_merchant', 'integer', (c) => c.notNull())
    .addColumn('cancel_other', 'integer', (c) => c.notNull())
    .addColumn('paid', 'integer', (c) => c.notNull())
    .addColumn('sales', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('analytics_order_days_pk', ['account_id', 'day'])
    .execute();
  await db.schema
    .createIndex('analytics_order_days_merchant')
    .on('analytics_order_days')
    .columns(['merchant_id', 'day'])
    .execute();
  await db.schema
    .createTable('analytics_order_facts')
    .addColumn('order_id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('placed_day', 'integer', (c) => c.notNull())
    .addColumn('paid_day', 'integer')
    .addColumn('cohort_paid', 'integer', (c) => c.notNull())
    .addColumn('cohort_pending', 'integer', (c) => c.notNull())
    .addColumn('cancel_reason', 'text')
    .addColumn('sales', 'bigint', (c) => c.notNull())
    .execute();
}
