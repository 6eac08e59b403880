import { CompiledQuery } from 'kysely';
import type { Db } from '../../database.ts';
import type { DialectName } from '../../platform/db/database.ts';

/** Rows per statement: a fixed size keeps one statement text, so the driver prepares it once. */
const ROWS = 500;
/** PostgreSQL takes a whole batch as one array per column: one short statement, whatever the row count. */
const PG_ROWS = 5000;

type Cell = string | number | null;

export interface BulkInsert {
  table: string;
  columns: readonly string[];
  rows: ReadonlyArray<ReadonlyArray<Cell>>;
  /** Rows whose key (these columns, a primary key or unique constraint) already exists are skipped. */
  skipExistingOn?: readonly string[];
}

/**
 * Inserts many rows with a few statements written directly (no query builder per row), in the
 * caller's transaction.
 *
 * SQLite: multi-row VALUES of a fixed size, so every full batch shares one SQL text and the
 * statement cache prepares it once per import. Existing keys are skipped with INSERT OR IGNORE
 * rather than ON CONFLICT DO NOTHING: a multi-row statement that may abort half-way (a NOT NULL or
 * an immediate foreign key) makes SQLite copy every page it touches to a statement journal first,
 * which cost a million-row import a third of its time; OR IGNORE cannot abort on NOT NULL, and the
 * tables written here keep their foreign keys deferred (crm 0016). Every value is set by the
 * caller, never null, so OR IGNORE skips exactly the rows ON CONFLICT would.
 *
 * PostgreSQL: `SELECT … FROM unnest($1::text[], …)`, one array per column: the statement is short
 * and the same for any row count, where a 500-row VALUES list with 2,500 parameters was parsed and
 * planned afresh for each batch. A column holding numbers goes as int8[] (PostgreSQL casts it to
 * the column's integer type on insert), any other as text[].
 */
export async function insertRows(db: Db, dialect: DialectName, insert: BulkInsert): Promise<void> {
  const { table, columns, rows, skipExistingOn } = insert;
  if (rows.length === 0) return;
  if (dialect === 'postgres') {
    const types = columns.map((_, c) => (rows.some((r) => typeof r[c] === 'number') ? 'int8' : 'text'));
    const text = `insert into ${table} (${columns.join(', ')}) select * from unnest(${types
      .map((t, c) => `$${c + 1}::${t}[]`)
      .join(', ')})${skipExistingOn ? ` on conflict (${skipExistingOn.join(', ')}) do nothing` : ''}`;
    for (let i = 0; i < rows.length; i += PG_ROWS) {
      const part = rows.slice(i, i + PG_ROWS);
      await db.executeQuery(
        CompiledQuery.raw(
          text,
          columns.map((_, c) => part.map((r) => r[c] ?? null)),
        ),
      );
    }
    return;
  }
  // OR IGNORE would also drop a row with an empty value, where PostgreSQL (and the contract
  // above) refuses it: refused here, the batch fails as on PostgreSQL.
  if (skipExistingOn && rows.some((row) => row.some((cell) => cell === null || cell === undefined)))
    throw new Error(`${table}: a row with an empty value cannot be skipped on its key`);
  const head = `insert ${skipExistingOn ? 'or ignore ' : ''}into ${table} (${columns.join(', ')}) values `;
  const texts = new Map<number, string>();
  const text = (count: number) => {
    let out = texts.get(count);
    if (!out) {
      const tuple = `(${columns.map(() => '?').join(',')})`;
      out = head + Array.from({ length: count }, () => tuple).join(',');
      texts.set(count, out);
    }
    return out;
  };
  for (let i = 0; i < rows.length; i += ROWS) {
    const part = rows.slice(i, i + ROWS);
    await db.executeQuery(CompiledQuery.raw(text(part.length), part.flat()));
  }
}
