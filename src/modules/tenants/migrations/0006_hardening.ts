import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema of their own time
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  // Failed sign-ins and API-token uses, for owners to see who is guessing. Only real failures are
  // written (the throttle answers 429 before any check), so an attack cannot flood this table.
  await db.schema
    .createTable('auth_failures')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.references('merchants.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('ip', 'text', (c) => c.notNull())
    .addColumn('user_agent', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('auth_failures_merchant')
    .on('auth_failures')
    .columns(['merchant_id', 'created_at'])
    .execute();
  await db.schema
    .createIndex('auth_failures_user')
    .on('auth_failures')
    .columns(['user_id', 'created_at'])
    .execute();
  await db.schema.createIndex('auth_failures_age').on('auth_failures').column('created_at').execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('auth_failures').execute();
}
