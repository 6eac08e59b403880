import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema of their own time
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  // Who minted a token: removing that person from the merchant revokes what they made. Tokens
  // from before, and the CLI's, have none and stay until an owner revokes them.
  await db.schema
    .alterTable('api_tokens')
    .addColumn('created_by', 'text', (c) => c.references('users.id').onDelete('set null'))
    .execute();
  await db.schema
    .createIndex('api_tokens_creator')
    .on('api_tokens')
    .columns(['merchant_id', 'created_by'])
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropIndex('api_tokens_creator').execute();
  await db.schema.alterTable('api_tokens').dropColumn('created_by').execute();
}
