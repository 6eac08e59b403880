import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

const STATEMENT_CACHE_SIZE = 500;
/** The page cache a connection gets unless told otherwise (SQLite's own default is 2 MiB). */
export const SQLITE_CACHE_MIB = 64;

function bind(parameters: ReadonlyArray<unknown>): SQLInputValue[] {
  // node:sqlite binds no booleans; Kysely passes them through as-is.
  return parameters.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : (p as SQLInputValue)));
}

/**
 * Wraps Node's built-in `node:sqlite` in the shape Kysely's SqliteDialect expects
 * (better-sqlite3's), so the embedded mode needs no native addon and no compiler.
 */
export function openNodeSqlite(
  path: string,
  cacheMiB: number = SQLITE_CACHE_MIB,
): SqliteDatabase & { raw: DatabaseSync } {
  const raw = new DatabaseSync(path);
  // A 64 MiB page cache by default keeps the hot index pages of a large import or
  // segment in memory; checkpointing every 64 MiB of WAL instead of 4 MiB writes a page that a run
  // of transactions keeps touching (a tag's index leaf) to the database file once, not each time.
  // Statement journals in memory: a multi-row INSERT that may abort half-way (a NOT NULL column)
  // keeps a copy of each page it changes until it finishes; in a file that was one write syscall
  // per page, most of a bulk import's system time.
  raw.exec(`
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = NORMAL;
    PRAGMA busy_timeout = 5000;
    PRAGMA foreign_keys = ON;
    PRAGMA cache_size = ${-Math.round(cacheMiB * 1024)};
    PRAGMA wal_autocheckpoint = 16384;
    PRAGMA temp_store = MEMORY;
  `);
  // Kysely prepares every query afresh; preparing is a large share of a small query's cost.
  const cache = new Map<string, { stmt: StatementSync; reader: boolean }>();
  const prepared = (sql: string) => {
    let hit = cache.get(sql);
    if (!hit) {
      const stmt = raw.prepare(sql);
      hit = { stmt, reader: stmt.columns().length > 0 };
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      cache.set(sql, hit);
    }
    return hit;
  };
  return {
    raw,
    close: () => raw.close(),
    prepare(sql: string): SqliteStatement {
      const { stmt, reader } = prepared(sql);
      return {
        reader,
        all: (params) => stmt.all(...bind(params)),
        run: (params) => {
          const result = stmt.run(...bind(params));
          return { changes: result.changes, lastInsertRowid: result.lastInsertRowid };
        },
        iterate: (params) => stmt.iterate(...bind(params)),
      };
    },
  };
}
