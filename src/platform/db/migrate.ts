import { type Kysely, type Migration, type MigrationProvider, Migrator, PostgresAdapter, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema of their own time
export type MigrationStep = (db: Kysely<any>) => Promise<void>;

/**
 * One module's part of each migration, by migration name. Names form one timeline for the whole
 * database (they sort lexically, and never change once shipped); a module adds its part to a
 * name, so each module's tables are created beside its code.
 */
export type ModuleMigrations = Record<string, MigrationStep>;

/**
 * Joins the modules' parts into Kysely migrations: the parts of one name run in the order the
 * modules are given (owners of referenced tables first), in one migration.
 */
export function combineMigrations(modules: readonly ModuleMigrations[]): Record<string, Migration> {
  const steps = new Map<string, MigrationStep[]>();
  for (const module of modules) {
    for (const [name, step] of Object.entries(module)) steps.set(name, [...(steps.get(name) ?? []), step]);
  }
  return Object.fromEntries(
    [...steps].map(([name, parts]) => [
      name,
      {
        async up(db) {
          for (const part of parts) await part(db);
        },
      } satisfies Migration,
    ]),
  );
}

/** Applies every pending migration; returns the names applied. Throws on the first failure. */
export async function migrateToLatest(
  db: Kysely<unknown>,
  modules: readonly ModuleMigrations[],
  /** Stop after this migration (upgrade tests build yesterday's schema). */
  options: { target?: string } = {},
): Promise<string[]> {
  const migrations = combineMigrations(modules);
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  // On PostgreSQL the bookkeeping lives in the schema the app uses (search_path), so another
  // schema's Kysely tables in the same database are never mistaken for ours.
  const schema =
    db.getExecutor().adapter instanceof PostgresAdapter
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema
      : undefined;
  // Modules add migrations independently, so a database may meet a new module's migration whose
  // name sorts before one it already ran; each still runs once.
  const migrator = new Migrator({
    db,
    provider,
    allowUnorderedMigrations: true,
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = options.target
    ? await migrator.migrateTo(options.target)
    : await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? '?'} failed: ${(error as Error).message ?? error}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
