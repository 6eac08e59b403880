import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { engine, testDatabase } from '../../../test/support/test-app.ts';
import { openDatabase } from './database.ts';

describe(`the live connection (the inbox's log reader) on ${engine}`, () => {
  it.runIf(engine === 'postgres')('answers while every connection of the main pool is busy', async () => {
    const { database, cleanup } = await testDatabase();
    const opened = openDatabase(database);
    try {
      // A burst: more requests than the main pool has connections, each holding one a while.
      const busy = Array.from({ length: 12 }, () => sql`select pg_sleep(2)`.execute(opened.db));
      await new Promise((r) => setTimeout(r, 200));
      const started = Date.now();
      const { rows } = await sql<{ one: number }>`select 1 as one`.execute(opened.live);
      expect(rows[0]?.one).toBe(1);
      expect(Date.now() - started).toBeLessThan(1_500);
      await Promise.all(busy);
    } finally {
      await opened.close();
      await cleanup();
    }
  });

  it.runIf(engine === 'sqlite')('is the one SQLite connection itself', async () => {
    const { database, cleanup } = await testDatabase();
    const opened = openDatabase(database);
    try {
      expect(opened.live).toBe(opened.db);
    } finally {
      await opened.close();
      await cleanup();
    }
  });
});
