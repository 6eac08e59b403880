import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createLocalState } from '../local-state.ts';
import { openDatabase, withSqliteCache } from './database.ts';

describe("a process's SQLite page cache", () => {
  it('is what the process asked for, large while a bulk job runs, and small again when the last one ends', async () => {
    const database = openDatabase({
      kind: 'sqlite',
      path: join(mkdtempSync(join(tmpdir(), 'weiloop-cache-')), 'cache.db'),
      cacheMiB: 8,
    });
    const deps = { db: database.db, dialect: database.dialect, local: createLocalState() };
    const cacheKiB = async () =>
      -Number(
        (await sql<{ cache_size: number }>`pragma cache_size`.execute(database.db)).rows[0]?.cache_size,
      );
    try {
      expect(await cacheKiB()).toBe(8 * 1024);
      let releaseFirst = () => {};
      const first = withSqliteCache(deps, 64, () => new Promise<void>((r) => (releaseFirst = r)));
      await new Promise((r) => setTimeout(r, 10));
      expect(await cacheKiB()).toBe(64 * 1024);
      let releaseSecond = () => {};
      const second = withSqliteCache(deps, 64, () => new Promise<void>((r) => (releaseSecond = r)));
      releaseFirst();
      await first;
      // The second import still runs: it keeps the large cache.
      expect(await cacheKiB()).toBe(64 * 1024);
      releaseSecond();
      await second;
      expect(await cacheKiB()).toBe(8 * 1024);
    } finally {
      await database.close();
    }
  });
});
