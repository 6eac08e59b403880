import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import type { LocalState } from '../local-state.ts';
import { openNodeSqlite } from './sqlite-driver.ts';

export { SQLITE_CACHE_MIB } from './sqlite-driver.ts';

export type DialectName = 'sqlite' | 'postgres';

// int8 (COUNT, bigint columns: times in ms, money sums) as numbers; all stay below 2^53.
pg.types.setTypeParser(20, (value: string) => Number(value));
pg.types.setTypeParser(1700, (value: string) => Number(value));

export interface Database<DB> {
  db: Kysely<DB>;
  /**
   * For work someone watches live (the inbox's log reader): on PostgreSQL a small pool of its
   * own, so a burst of requests queued for `db`'s connections does not stand in front of it;
   * on SQLite `db` itself (one connection).
   */
  live: Kysely<DB>;
  dialect: DialectName;
  close(): Promise<void>;
}

/** Connections of the live pool (see Database.live): one reader at a time, and a spare. */
const LIVE_POOL_SIZE = 2;

/** Where the data lives: an embedded SQLite file, or a PostgreSQL database (and schema). */
export type DatabaseConfig =
  | {
      kind: 'sqlite';
      path: string;
      /** SQLite's page cache for this process's connection (default SQLITE_CACHE_MIB). */
      cacheMiB?: number;
    }
  | { kind: 'postgres'; url: string; schema?: string };

export function openDatabase<DB>(config: DatabaseConfig): Database<DB> {
  if (config.kind === 'postgres') {
    // Connections open on first use: a live pool nobody uses costs nothing.
    const pool = (max: number) =>
      new pg.Pool({
        connectionString: config.url,
        max,
        ...(config.schema ? { options: `-c search_path=${config.schema}` } : {}),
      });
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: pool(10) }) });
    const live = new Kysely<DB>({ dialect: new PostgresDialect({ pool: pool(LIVE_POOL_SIZE) }) });
    return {
      db,
      live,
      dialect: 'postgres',
      close: async () => {
        await Promise.all([db.destroy(), live.destroy()]);
      },
    };
  }
  if (config.path !== ':memory:') mkdirSync(dirname(config.path), { recursive: true });
  const sqlite = openNodeSqlite(config.path, config.cacheMiB);
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db, live: db, dialect: 'sqlite', close: () => db.destroy() };
}

/**
 * Runs `work` with SQLite's page cache at `cacheMiB` for this process's connection, then puts it
 * back once no such run is left (two imports at once share the large cache). PostgreSQL: just
 * runs it. For a bulk job in a process that keeps a small cache.
 */
export async function withSqliteCache<DB, T>(
  deps: { db: Kysely<DB>; dialect: DialectName; local: LocalState },
  cacheMiB: number,
  work: () => Promise<T>,
): Promise<T> {
  if (deps.dialect !== 'sqlite') return work();
  const held = deps.local.slot('sqlite.large-cache', () => ({ runs: 0, before: 0 }));
  if (held.runs++ === 0) {
    const { rows } = await sql<{ cache_size: number }>`pragma cache_size`.execute(deps.db);
    held.before = Number(rows[0]?.cache_size ?? -2000);
    await sql.raw(`pragma cache_size = ${-Math.round(cacheMiB * 1024)}`).execute(deps.db);
  }
  try {
    return await work();
  } finally {
    if (--held.runs === 0) await sql.raw(`pragma cache_size = ${held.before}`).execute(deps.db);
  }
}

/** Runs `work` in one transaction; a thrown error rolls everything back. */
export function inTransaction<DB, T>(db: Kysely<DB>, work: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  if (db.isTransaction) return work(db as Transaction<DB>);
  return db.transaction().execute(work);
}

/** A write refused by a unique constraint, on either engine: the other writer won the race. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; errcode?: number; message?: string };
  return (
    e?.code === '23505' ||
    e?.errcode === 2067 ||
    e?.errcode === 1555 ||
    /UNIQUE constraint failed/.test(e?.message ?? '')
  );
}
