import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../../database.ts';
import type { DialectName } from '../../platform/db/database.ts';

/** Rows per statement: a few hundred, well under either engine's parameter limit. */
const ROWS_PER_STATEMENT = 250;

/**
 * `update notices set … from (values …) as v where …`: a page of outcomes in a few statements,
 * not a statement per notice (both engines speak UPDATE … FROM VALUES; the columns are
 * v.column1, v.column2 …). `set` and `where` name the values as v.columnN. Returns how many
 * template notices it changed (their allowance is what a caller may give back).
 */
export async function updateNoticesFrom(
  db: Db,
  dialect: DialectName,
  rows: Array<Array<string | null>>,
  set: RawBuilder<unknown>,
  where: RawBuilder<unknown>,
): Promise<number> {
  if (rows.length === 0) return 0;
  const width = rows[0]!.length;
  const alias =
    dialect === 'postgres'
      ? sql.raw(`v(${Array.from({ length: width }, (_, i) => `column${i + 1}`).join(', ')})`)
      : sql.raw('v');
  let templates = 0;
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const tuples = sql.join(rows.slice(i, i + ROWS_PER_STATEMENT).map((r) => sql`(${sql.join(r)})`));
    const moved = await sql<{
      via: string;
    }>`update notices set ${set} from (values ${tuples}) as ${alias} where ${where} returning notices.via`.execute(
      db,
    );
    for (const row of moved.rows) if (row.via === 'template') templates += 1;
  }
  return templates;
}
