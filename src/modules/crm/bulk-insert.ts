import { CompiledQuery } from 'kysely';
import type { Db } from '../../database.ts';
import type { DialectName } from '../../platform/db/database.ts';

/** Rows per statement: a fixed size keeps one statement text, so the driver prepares it once. */
const ROWS = 500;

/**
 * Inserts many rows with a few multi-row statements written directly (no query builder per row):
 * `head` is "insert into <table> (<columns>) values", `tail` an optional "on conflict …". Every
 * full batch shares one SQL text, so SQLite's statement cache prepares it once per import and
 * PostgreSQL parses one shape. Runs in the caller's transaction.
 */
export async function insertRows(
  db: Db,
  dialect: DialectName,
  head: string,
  rows: ReadonlyArray<ReadonlyArray<string | number | null>>,
  tail = '',
): Promise<void> {
  if (rows.length === 0) return;
  const width = rows[0]!.length;
  const texts = new Map<number, string>();
  const text = (count: number) => {
    let out = texts.get(count);
    if (!out) {
      const tuples: string[] = [];
      let n = 0;
      for (let r = 0; r < count; r++) {
        const marks: string[] = [];
        for (let c = 0; c < width; c++) marks.push(dialect === 'postgres' ? `$${++n}` : '?');
        tuples.push(`(${marks.join(',')})`);
      }
      out = `${head} ${tuples.join(',')} ${tail}`;
      texts.set(count, out);
    }
    return out;
  };
  for (let i = 0; i < rows.length; i += ROWS) {
    const part = rows.slice(i, i + ROWS);
    await db.executeQuery(CompiledQuery.raw(text(part.length), part.flat()));
  }
}
