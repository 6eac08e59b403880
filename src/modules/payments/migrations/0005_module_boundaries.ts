import { type Kysely, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema of their own time
type AnyDb = Kysely<any>;

const ORDER_COLUMNS = [
  'cod_enabled',
  'remind_after_ms',
  'cancel_after_ms',
  'template_paid',
  'template_shipped',
];

/**
 * Hands the order policy that lived in payment_settings to orders' new table, then drops it here.
 * The one place where a module writes another's table: a one-time move of data, in a migration.
 */
export async function up(db: AnyDb): Promise<void> {
  await sql`insert into order_settings (merchant_id, ${sql.raw(ORDER_COLUMNS.join(', '))}, updated_at)
    select merchant_id, ${sql.raw(ORDER_COLUMNS.join(', '))}, updated_at from payment_settings`.execute(db);
  for (const column of ORDER_COLUMNS)
    await db.schema.alterTable('payment_settings').dropColumn(column).execute();
}
