import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../db/database.ts';
import { newId } from '../ids.ts';
import type { JobsTable, JobTables } from './jobs.schema.ts';

export interface EnqueueInput {
  type: string;
  /** Unique per unit of work: a second enqueue with the same key is a no-op. */
  key: string;
  payload?: Record<string, string | number | boolean | null>;
  merchantId?: string | null;
  runAt?: number;
  maxAttempts?: number;
}

/**
 * Adds a job in the caller's transaction (the outbox): it exists if and only if the business
 * change commits. Returns false when a job with this key already existed.
 */
export async function enqueueJob<T extends JobTables>(
  db: Kysely<T>,
  input: EnqueueInput,
  now: number,
): Promise<boolean> {
  // Any database that has the jobs table will do, including the caller's open transaction.
  const jobs = db as unknown as Kysely<JobTables>;
  const result = await jobs
    .insertInto('jobs')
    .values(jobRow(input, now))
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

/**
 * Adds many jobs in one statement (a batch of orders placed together): the same outbox rule and
 * the same per-key no-op as enqueueJob, one round trip instead of one each.
 */
export async function enqueueJobs<T extends JobTables>(
  db: Kysely<T>,
  inputs: readonly EnqueueInput[],
  now: number,
): Promise<void> {
  const jobs = db as unknown as Kysely<JobTables>;
  for (let i = 0; i < inputs.length; i += 200) {
    await jobs
      .insertInto('jobs')
      .values(inputs.slice(i, i + 200).map((input) => jobRow(input, now)))
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .execute();
  }
}

function jobRow(input: EnqueueInput, now: number): JobsTable {
  return {
    id: newId('job', now),
    merchant_id: input.merchantId ?? null,
    type: input.type,
    payload: JSON.stringify(input.payload ?? {}),
    idempotency_key: `${input.type}:${input.key}`,
    status: 'queued',
    attempts: 0,
    max_attempts: input.maxAttempts ?? 8,
    run_at: input.runAt ?? now,
    locked_by: null,
    locked_until: null,
    last_error: null,
    created_at: now,
    finished_at: null,
  };
}

/**
 * Claims up to `limit` due jobs for `workerId` until `now + leaseMs`. A job whose lease ran out
 * (its worker died) is due again. On Postgres, SKIP LOCKED lets many workers claim side by side
 * without waiting on or double-taking a row; SQLite has one writer at a time, so the UPDATE is
 * atomic as it stands.
 */
export async function claimJobs(
  db: Kysely<JobTables>,
  dialect: DialectName,
  workerId: string,
  limit: number,
  now: number,
  leaseMs: number,
): Promise<JobsTable[]> {
  const lockClause = dialect === 'postgres' ? sql`for update skip locked` : sql``;
  const { rows } = await sql<JobsTable>`
    update jobs
       set status = 'running', attempts = attempts + 1, locked_by = ${workerId}, locked_until = ${now + leaseMs}
     where id in (
       select id from jobs
        where (status = 'queued' and run_at <= ${now})
           or (status = 'running' and locked_until < ${now})
        order by run_at
        limit ${limit}
        ${lockClause}
     )
    returning *`.execute(db);
  return rows;
}

/**
 * Pushes a running job's lease out to `until` while this worker still holds it: a long job (a
 * mass send of a million fans) is not taken for dead and run a second time beside itself.
 * False when the lease was lost (it ran out and another worker claimed the job).
 */
export async function extendLease(db: Kysely<JobTables>, job: JobsTable, until: number): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set({ locked_until: until })
    .where('id', '=', job.id)
    .where('locked_by', '=', job.locked_by)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function completeJob(db: Kysely<JobTables>, job: JobsTable, now: number): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ status: 'done', finished_at: now, locked_by: null, locked_until: null, last_error: null })
    .where('id', '=', job.id)
    .where('locked_by', '=', job.locked_by)
    .execute();
}

/** Exponential backoff with jitter: 2 s, 4 s, 8 s … capped at one hour. */
export function retryDelayMs(attempts: number, random: () => number = Math.random): number {
  const base = Math.min(2 ** attempts * 1000, 3_600_000);
  return Math.round(base * (0.8 + random() * 0.4));
}

export async function failJob(
  db: Kysely<JobTables>,
  job: JobsTable,
  error: unknown,
  now: number,
): Promise<void> {
  const message = (error instanceof Error ? error.message : String(error)).slice(0, 2000);
  const exhausted = job.attempts >= job.max_attempts;
  await db
    .updateTable('jobs')
    .set({
      status: exhausted ? 'failed' : 'queued',
      run_at: exhausted ? job.run_at : now + retryDelayMs(job.attempts),
      finished_at: exhausted ? now : null,
      locked_by: null,
      locked_until: null,
      last_error: message,
    })
    .where('id', '=', job.id)
    .where('locked_by', '=', job.locked_by)
    .execute();
}

/** Retention: finished jobs are history, kept `keepMs` then deleted. */
export async function pruneFinishedJobs(db: Kysely<JobTables>, now: number, keepMs: number): Promise<number> {
  const result = await db
    .deleteFrom('jobs')
    .where('status', 'in', ['done', 'failed'])
    .where('finished_at', '<', now - keepMs)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
