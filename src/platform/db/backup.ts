import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { backup, DatabaseSync } from 'node:sqlite';
import { promisify } from 'node:util';
import pg from 'pg';
import type { DatabaseConfig } from './database.ts';

const run = promisify(execFile);

export class BackupError extends Error {}

/** Kysely's record of applied migrations: present in every Weiloop database, whatever its modules. */
const MIGRATIONS = 'kysely_migration';

/** A file name that sorts by time: weiloop-20261126T142501Z.db / .dump. */
export function backupName(now: Date, kind: DatabaseConfig['kind']): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `weiloop-${stamp}.${kind === 'sqlite' ? 'db' : 'dump'}`;
}

/** The schema a postgres:// URL selects with `?options=-c search_path=…`, if any. */
function postgresSchema(url: string): string | undefined {
  const options = new URL(url).searchParams.get('options') ?? '';
  return /search_path=([A-Za-z_][\w$]*)/.exec(options)?.[1];
}

async function tool(command: string, args: string[]): Promise<void> {
  try {
    await run(command, args, { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const e = error as { code?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT')
      throw new BackupError(
        `${command} not found: install the PostgreSQL client tools (same major version as the server)`,
      );
    throw new BackupError(
      `${command} failed: ${(e.stderr || e.message).trim().split('\n').slice(-3).join(' ')}`,
    );
  }
}

/**
 * Copies the database to `file` while the server keeps running: SQLite's online backup API
 * (a consistent snapshot, WAL included, without stopping writers), or pg_dump's custom format.
 */
export async function backupDatabase(database: DatabaseConfig, file: string): Promise<void> {
  if (existsSync(file)) throw new BackupError(`${file} already exists; choose another --out`);
  mkdirSync(dirname(file), { recursive: true });
  if (database.kind === 'sqlite') {
    if (database.path === ':memory:' || !existsSync(database.path))
      throw new BackupError(`no SQLite database at ${database.path}`);
    const source = new DatabaseSync(database.path, { readOnly: true });
    try {
      await backup(source, file);
    } finally {
      source.close();
    }
    return;
  }
  const schema = database.schema ?? postgresSchema(database.url);
  await tool('pg_dump', [
    '--format=custom',
    '--no-owner',
    '--no-privileges',
    `--file=${file}`,
    ...(schema ? [`--schema=${schema}`] : []),
    database.url,
  ]);
}

/**
 * How many migrations the database has run: 0 for an empty or missing one. Any other answer
 * means a Weiloop database is there, whatever rows it holds now.
 */
export async function appliedMigrations(database: DatabaseConfig): Promise<number> {
  if (database.kind === 'sqlite') {
    if (database.path === ':memory:' || !existsSync(database.path) || statSync(database.path).size === 0)
      return 0;
    const db = new DatabaseSync(database.path, { readOnly: true });
    try {
      const table = db
        .prepare(`select 1 from sqlite_master where type = 'table' and name = '${MIGRATIONS}'`)
        .get();
      return table
        ? Number((db.prepare(`select count(*) as n from ${MIGRATIONS}`).get() as { n: number }).n)
        : 0;
    } finally {
      db.close();
    }
  }
  const schema = database.schema ?? postgresSchema(database.url);
  const client = new pg.Client({
    connectionString: database.url,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  await client.connect();
  try {
    const exists = await client.query(`select to_regclass('${MIGRATIONS}') as t`);
    if (!exists.rows[0]?.t) return 0;
    return Number((await client.query(`select count(*) as n from ${MIGRATIONS}`)).rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

function checkSqliteBackup(file: string): void {
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(file, { readOnly: true });
  } catch (error) {
    throw new BackupError(`${file} is not a SQLite database: ${(error as Error).message}`);
  }
  try {
    const check = db.prepare('pragma integrity_check').get() as { integrity_check?: string } | undefined;
    if (check?.integrity_check !== 'ok') throw new BackupError(`${file} fails SQLite's integrity check`);
    if (!db.prepare(`select 1 from sqlite_master where type = 'table' and name = '${MIGRATIONS}'`).get())
      throw new BackupError(`${file} is not a Weiloop backup (no ${MIGRATIONS} table)`);
  } catch (error) {
    if (error instanceof BackupError) throw error;
    throw new BackupError(`${file} is not a SQLite database: ${(error as Error).message}`);
  } finally {
    db.close();
  }
}

/**
 * Puts a backup back. Refuses a database that Weiloop has set up (it has run migrations) unless
 * `force`; with `force`, the SQLite file being replaced is first saved beside itself. Stop every
 * server and worker first.
 */
export async function restoreDatabase(
  database: DatabaseConfig,
  file: string,
  options: { force: boolean; now: Date },
): Promise<{ replaced: number; savedAs: string | null }> {
  if (!existsSync(file)) throw new BackupError(`no backup at ${file}`);
  if (database.kind === 'sqlite') checkSqliteBackup(file);
  else await tool('pg_restore', ['--list', file]);
  const live = await appliedMigrations(database);
  if (live > 0 && !options.force)
    throw new BackupError(
      'the database is in use (Weiloop has set it up); stop every server and worker, then run restore again with --force to replace it',
    );
  if (database.kind === 'sqlite') {
    const target = database.path;
    let savedAs: string | null = null;
    if (existsSync(target) && live > 0) {
      savedAs = `${target}.before-restore-${backupName(options.now, 'sqlite').slice('weiloop-'.length)}`;
      await backupDatabase(database, savedAs);
    }
    if (!existsSync(target)) {
      // A WAL left behind by a deleted database would be replayed into the restored one.
      rmSync(`${target}-wal`, { force: true });
      rmSync(`${target}-shm`, { force: true });
    }
    mkdirSync(dirname(target), { recursive: true });
    const source = new DatabaseSync(file, { readOnly: true });
    try {
      await backup(source, target);
    } finally {
      source.close();
    }
    return { replaced: live, savedAs };
  }
  await tool('pg_restore', [
    '--no-owner',
    '--no-privileges',
    '--clean',
    '--if-exists',
    '--single-transaction',
    `--dbname=${database.url}`,
    file,
  ]);
  return { replaced: live, savedAs: null };
}
