import type { Kysely } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testDatabase } from '../../../test/support/test-app.ts';
import { manualClock, systemClock } from '../clock.ts';
import { type Database, inTransaction, openDatabase } from '../db/database.ts';
import { migrateToLatest } from '../db/migrate.ts';
import type { JobTables } from './jobs.schema.ts';
import { claimJobs, enqueueJob, retryDelayMs } from './jobs.ts';
import { jobsMigrations } from './migrations/index.ts';
import { createJobWorker, type JobHandler, PermanentJobError } from './worker.ts';

const logger = pino({ level: 'silent' });
let first: Database<JobTables>;
let second: Database<JobTables>;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const test = await testDatabase();
  cleanup = test.cleanup;
  first = openDatabase<JobTables>(test.database);
  // A second handle is a second process: its own connection(s) to the same database.
  second = openDatabase<JobTables>(test.database);
  await migrateToLatest(first.db as Kysely<unknown>, [jobsMigrations]);
});

afterAll(async () => {
  await first.close();
  await second.close();
  await cleanup();
});

beforeEach(async () => {
  await first.db.deleteFrom('jobs').execute();
});

describe('jobs', () => {
  it('exists only if the business transaction commits (outbox)', async () => {
    const now = Date.now();
    await expect(
      inTransaction(first.db, async (trx) => {
        await enqueueJob(trx, { type: 'notice.send', key: 'order-1' }, now);
        throw new Error('business write failed');
      }),
    ).rejects.toThrow('business write failed');
    expect(await first.db.selectFrom('jobs').selectAll().execute()).toHaveLength(0);
  });

  it('treats a second enqueue with the same key as a no-op', async () => {
    const now = Date.now();
    expect(
      await enqueueJob(first.db, { type: 'notice.send', key: 'order-1', payload: { orderId: 'o1' } }, now),
    ).toBe(true);
    expect(
      await enqueueJob(first.db, { type: 'notice.send', key: 'order-1', payload: { orderId: 'o1' } }, now),
    ).toBe(false);
    expect(await first.db.selectFrom('jobs').selectAll().execute()).toHaveLength(1);
  });

  it('renews the lease of a job that runs longer than it, so no other worker runs it again', async () => {
    await enqueueJob(first.db, { type: 'long.send', key: 'send-1' }, Date.now());
    let runs = 0;
    const handlers = new Map<string, JobHandler>([
      [
        'long.send',
        async () => {
          runs += 1;
          await new Promise((r) => setTimeout(r, 900));
        },
      ],
    ]);
    const options = { clock: systemClock, logger, handlers, leaseMs: 200, dialect: first.dialect };
    const a = createJobWorker({ ...options, db: first.db });
    const b = createJobWorker({ ...options, db: second.db });
    const running = a.drain();
    // B looks for due work again and again while A's job outlives its 200 ms lease four times over.
    const end = Date.now() + 800;
    while (Date.now() < end) {
      await b.drain();
      await new Promise((r) => setTimeout(r, 40));
    }
    await running;
    expect(runs).toBe(1);
    const [row] = await first.db.selectFrom('jobs').selectAll().execute();
    expect(row).toMatchObject({ status: 'done', attempts: 1 });
  });

  it('never lets two workers take the same job', async () => {
    const clock = manualClock();
    const total = 120;
    for (let i = 0; i < total; i++)
      await enqueueJob(first.db, { type: 'count', key: String(i), payload: { i } }, clock.now());
    const seen: number[] = [];
    const handler: JobHandler = async (job) => {
      seen.push(job.payload.i as number);
      await new Promise((r) => setTimeout(r, 1));
    };
    const make = (db: Database<JobTables>) =>
      createJobWorker({ ...db, clock, logger, handlers: new Map([['count', handler]]), concurrency: 4 });
    const [a, b] = [make(first), make(second)];
    const [ranA, ranB] = await Promise.all([a.drain(), b.drain()]);
    expect(ranA + ranB).toBe(total);
    expect(ranA).toBeGreaterThan(0);
    expect(ranB).toBeGreaterThan(0);
    expect(new Set(seen).size).toBe(total);
    expect(seen).toHaveLength(total);
    const done = await first.db.selectFrom('jobs').select('id').where('status', '=', 'done').execute();
    expect(done).toHaveLength(total);
  });

  it('retries a failing job later with backoff, then gives up after max attempts', async () => {
    const clock = manualClock();
    await enqueueJob(first.db, { type: 'flaky', key: 'x', maxAttempts: 3 }, clock.now());
    let calls = 0;
    const failing = new Map<string, JobHandler>([
      [
        'flaky',
        async () => {
          calls++;
          throw new Error('upstream 500');
        },
      ],
    ]);
    const retrying = createJobWorker({ ...first, clock, logger, handlers: failing });
    expect(await retrying.drain()).toBe(1);
    let job = await first.db.selectFrom('jobs').selectAll().executeTakeFirstOrThrow();
    expect(job.status).toBe('queued');
    expect(job.last_error).toBe('upstream 500');
    expect(job.run_at).toBeGreaterThanOrEqual(clock.now() + 1600);
    // Not due yet: nothing runs.
    expect(await retrying.drain()).toBe(0);
    clock.advance(60_000);
    await retrying.drain();
    clock.advance(60_000);
    await retrying.drain();
    job = await first.db.selectFrom('jobs').selectAll().executeTakeFirstOrThrow();
    expect(calls).toBe(3);
    expect(job.status).toBe('failed');
    clock.advance(3_600_000);
    expect(await retrying.drain()).toBe(0);
  });

  it('fails a permanent error at once', async () => {
    const clock = manualClock();
    await enqueueJob(first.db, { type: 'bad', key: 'x' }, clock.now());
    const worker = createJobWorker({
      ...first,
      clock,
      logger,
      handlers: new Map([
        [
          'bad',
          async () => {
            throw new PermanentJobError('order no longer exists');
          },
        ],
      ]),
    });
    await worker.drain();
    const job = await first.db.selectFrom('jobs').selectAll().executeTakeFirstOrThrow();
    expect(job.status).toBe('failed');
    expect(job.attempts).toBe(1);
  });

  it('gives a job back when its worker died holding it', async () => {
    const clock = manualClock();
    await enqueueJob(first.db, { type: 'count', key: 'lost' }, clock.now());
    const claimed = await claimJobs(first.db, first.dialect, 'dead-worker', 10, clock.now(), 1000);
    expect(claimed).toHaveLength(1);
    expect(await claimJobs(second.db, second.dialect, 'other', 10, clock.now(), 1000)).toHaveLength(0);
    clock.advance(1001);
    const reclaimed = await claimJobs(second.db, second.dialect, 'other', 10, clock.now(), 1000);
    expect(reclaimed.map((j) => j.attempts)).toEqual([2]);
  });

  it('backs off exponentially with jitter, capped at an hour', () => {
    expect(retryDelayMs(1, () => 0.5)).toBe(2000);
    expect(retryDelayMs(3, () => 0.5)).toBe(8000);
    expect(retryDelayMs(30, () => 0.5)).toBe(3_600_000);
  });
});
