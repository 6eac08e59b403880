import { type Kysely, sql } from 'kysely';

/** Where a log reader got to, kept in the reading module's own cursor table. */
export interface SavedPosition {
  load(): Promise<string | null>;
  save(position: string): Promise<void>;
}

/**
 * A reader's position in a cursor table of the shape every module gives it (`name` primary key,
 * `position`, `updated_at`). The table stays the reading module's: it names it, so its data
 * never leaves the module, and only this load/save pair is shared.
 */
export function positionIn<DB>(
  db: Kysely<DB>,
  clock: { now(): number },
  table: keyof DB & string,
  name: string,
): SavedPosition {
  const cursors = sql.table(table);
  return {
    load: async () => {
      const { rows } = await sql<{ position: string }>`
        select position from ${cursors} where name = ${name}`.execute(db);
      return rows[0]?.position ?? null;
    },
    save: async (position) => {
      const now = clock.now();
      await sql`
        insert into ${cursors} (name, position, updated_at) values (${name}, ${position}, ${now})
        on conflict (name) do update set position = excluded.position, updated_at = excluded.updated_at`.execute(
        db,
      );
    },
  };
}
