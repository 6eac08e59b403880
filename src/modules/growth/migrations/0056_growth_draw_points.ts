import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema of their own time
type AnyDb = Kysely<any>;

/** Lucky draws with points: a play bought with points, points as a prize (both through loyalty's ledger). */
export async function up(db: AnyDb): Promise<void> {
  // For the `points` entry rule: what one play costs.
  await db.schema
    .alterTable('growth_draws')
    .addColumn('entry_points', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // For a `points` prize: how many points it gives.
  await db.schema
    .alterTable('growth_draw_prizes')
    .addColumn('points', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // What this play cost and what it gave, beside loyalty's ledger rows keyed by the result's id.
  await db.schema
    .alterTable('growth_draw_results')
    .addColumn('points_spent', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('growth_draw_results')
    .addColumn('points_awarded', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}
