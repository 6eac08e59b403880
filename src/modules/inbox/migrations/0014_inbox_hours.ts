import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema of their own time
type AnyDb = Kysely<any>;

/**
 * Business hours (the SLA counts waiting only inside them), the words that hand a fan to a
 * person (WeChat's transfer_customer_service reply, kept as a channel rule per account), and the
 * template used to reach a fan outside the 48-hour window.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable('inbox_settings').addColumn('business_hours', 'text').execute();
  await db.schema.alterTable('inbox_settings').addColumn('handoff_keywords', 'text').execute();
  await db.schema.alterTable('inbox_settings').addColumn('notice_template_id', 'text').execute();

  await db.schema
    .createTable('inbox_handoff_rules')
    .addColumn('account_id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('rule_id', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createIndex('inbox_conversations_assignee')
    .on('inbox_conversations')
    .columns(['merchant_id', 'assignee_id', 'status'])
    .execute();
}
