import type { Kysely } from 'kysely';
import type { JobTables } from '../jobs/jobs.schema.ts';
import { enqueueJob, enqueueJobs } from '../jobs/jobs.ts';
import type { JobHandler } from '../jobs/worker.ts';

type Scalar = string | number | boolean | null;

/** Something that happened in a module that others may act upon, e.g. `order.paid`. */
export interface DomainEvent {
  name: string;
  merchantId: string;
  /** Unique per occurrence (e.g. the order id for `order.paid`): a second publish is a no-op. */
  key: string;
  /** Ids, not snapshots: subscribers read fresh rows through the owner's service. */
  payload: Record<string, Scalar>;
  /** When subscribers should hear it (default: now), e.g. after a window of pushes has closed. */
  runAt?: number;
}

export interface ReceivedEvent {
  name: string;
  merchantId: string;
  payload: Record<string, unknown>;
  attempt: number;
}

export type EventHandler = (event: ReceivedEvent) => Promise<void>;

/**
 * Domain events through the jobs outbox: publishing in the business transaction enqueues one job
 * per subscriber, so an event exists if and only if the change commits, and each subscriber is
 * retried on its own. This is how a module tells another something without importing it.
 */
export interface EventBus {
  /** Registers `subscriber` (a stable name, e.g. "payments.close") for events called `name`. */
  subscribe(name: string, subscriber: string, handler: EventHandler): void;
  publish<T extends JobTables>(db: Kysely<T>, event: DomainEvent, now: number): Promise<void>;
  /** Publishes many events in one statement (a batch written in one transaction). */
  publishMany<T extends JobTables>(db: Kysely<T>, events: readonly DomainEvent[], now: number): Promise<void>;
}

export function createEventBus(jobHandlers: Map<string, JobHandler>): EventBus {
  const subscribers = new Map<string, string[]>();
  return {
    subscribe(name, subscriber, handler) {
      const type = `event:${name}:${subscriber}`;
      if (jobHandlers.has(type)) throw new Error(`${subscriber} already subscribes to ${name}`);
      subscribers.set(name, [...(subscribers.get(name) ?? []), type]);
      jobHandlers.set(type, async (job) => {
        if (!job.merchantId) throw new Error(`event ${name} without a merchant`);
        await handler({ name, merchantId: job.merchantId, payload: job.payload, attempt: job.attempt });
      });
    },
    async publish(db, event, now) {
      for (const type of subscribers.get(event.name) ?? []) {
        await enqueueJob(
          db,
          {
            type,
            key: event.key,
            merchantId: event.merchantId,
            payload: event.payload,
            ...(event.runAt === undefined ? {} : { runAt: event.runAt }),
          },
          now,
        );
      }
    },
    async publishMany(db, events, now) {
      const jobs = events.flatMap((event) =>
        (subscribers.get(event.name) ?? []).map((type) => ({
          type,
          key: event.key,
          merchantId: event.merchantId,
          payload: event.payload,
        })),
      );
      if (jobs.length > 0) await enqueueJobs(db, jobs, now);
    },
  };
}
