import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { DialectName } from '../db/database.ts';
import { newSecret } from '../ids.ts';
import type { JobsTable, JobTables } from './jobs.schema.ts';
import { claimJobs, completeJob, extendLease, failJob, pruneFinishedJobs } from './jobs.ts';

export interface JobContext {
  id: string;
  type: string;
  merchantId: string | null;
  payload: Record<string, unknown>;
  attempt: number;
}

export type JobHandler = (job: JobContext) => Promise<void>;

export class PermanentJobError extends Error {}

export interface WorkerOptions {
  db: Kysely<JobTables>;
  dialect: DialectName;
  clock: Clock;
  logger: Logger;
  handlers: ReadonlyMap<string, JobHandler>;
  concurrency?: number;
  pollMs?: number;
  leaseMs?: number;
  keepFinishedMs?: number;
}

export interface JobWorker {
  readonly id: string;
  start(): void;
  /** Stops claiming, waits for running jobs to finish. */
  stop(): Promise<void>;
  /** Claims and runs due jobs until none is left; for tests and the CLI. */
  drain(): Promise<number>;
  /** Looks for work now instead of at the next poll. */
  wake(): void;
}

export function createJobWorker(options: WorkerOptions): JobWorker {
  const { db, dialect, clock, logger, handlers } = options;
  const concurrency = options.concurrency ?? 4;
  const pollMs = options.pollMs ?? 500;
  const leaseMs = options.leaseMs ?? 5 * 60_000;
  const keepFinishedMs = options.keepFinishedMs ?? 7 * 24 * 3_600_000;
  const id = `${hostname()}:${process.pid}:${newSecret(4)}`;
  const running = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | null = null;
  let stopped = true;
  let polling = false;
  let lastPrune = 0;

  async function runOne(job: JobsTable): Promise<void> {
    const handler = handlers.get(job.type);
    // While the handler runs, its lease is renewed at a third of its length: only a worker that
    // died (and renews nothing) lets its job be claimed again.
    const renew = setInterval(
      () => {
        extendLease(db, job, clock.now() + leaseMs).then(
          (held) => held || logger.warn({ job: job.id, type: job.type }, 'job lease lost while running'),
          (error) => logger.warn({ job: job.id, err: error }, 'job lease renewal failed'),
        );
      },
      Math.max(leaseMs / 3, 50),
    );
    renew.unref();
    try {
      if (!handler) throw new PermanentJobError(`no handler for job type ${job.type}`);
      await handler({
        id: job.id,
        type: job.type,
        merchantId: job.merchant_id,
        payload: JSON.parse(job.payload) as Record<string, unknown>,
        attempt: job.attempts,
      });
      await completeJob(db, job, clock.now());
    } catch (error) {
      const permanent = error instanceof PermanentJobError;
      logger.warn({ job: job.id, type: job.type, attempt: job.attempts, err: error }, 'job failed');
      await failJob(db, permanent ? { ...job, max_attempts: job.attempts } : job, error, clock.now());
    } finally {
      clearInterval(renew);
    }
  }

  async function claimAndRun(): Promise<number> {
    const free = concurrency - running.size;
    if (free <= 0) return 0;
    const jobs = await claimJobs(db, dialect, id, free, clock.now(), leaseMs);
    for (const job of jobs) {
      const task = runOne(job).finally(() => running.delete(task));
      running.add(task);
    }
    return jobs.length;
  }

  async function poll(): Promise<void> {
    if (polling || stopped) return;
    polling = true;
    try {
      while (!stopped && (await claimAndRun()) > 0) {
        await Promise.race(running);
      }
      const now = clock.now();
      if (now - lastPrune > 3_600_000) {
        lastPrune = now;
        await pruneFinishedJobs(db, now, keepFinishedMs);
      }
    } catch (error) {
      logger.error({ err: error }, 'job poll failed');
    } finally {
      polling = false;
      if (!stopped) timer = setTimeout(poll, pollMs);
    }
  }

  return {
    id,
    start() {
      if (!stopped) return;
      stopped = false;
      timer = setTimeout(poll, 0);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await Promise.allSettled([...running]);
    },
    async drain() {
      let total = 0;
      for (;;) {
        const claimed = await claimAndRun();
        total += claimed;
        if (running.size === 0 && claimed === 0) return total;
        await Promise.race(running);
      }
    },
    wake() {
      if (stopped || polling) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(poll, 0);
    },
  };
}
