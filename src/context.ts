import type { Db } from './database.ts';
import type { AppDeps } from './deps.ts';
import type { Actor } from './platform/auth/roles.ts';
import type { DialectName } from './platform/db/database.ts';

/**
 * What every service call receives: which database (or open transaction), which merchant, who
 * acts, when, and the app's shared parts (config, cache, events, WeChat access). Services never
 * reach for globals, so tests control all of it.
 */
export interface Ctx {
  db: Db;
  dialect: DialectName;
  merchantId: string;
  actor: Actor;
  now: number;
  deps: AppDeps;
}

/** For work that is not one merchant's (sign-up, login, the CLI's set-up commands). */
export interface SystemCtx {
  db: Db;
  dialect: DialectName;
  now: number;
}

/** A context for one merchant, acting as the system (jobs, event subscribers) or as `actor`. */
export function merchantCtx(deps: AppDeps, merchantId: string, actor: Actor = { kind: 'system' }): Ctx {
  return { db: deps.db, dialect: deps.dialect, merchantId, actor, now: deps.clock.now(), deps };
}

/** The same context inside a transaction. */
export function inTrx(ctx: Ctx, trx: Db): Ctx {
  return { ...ctx, db: trx };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the admin auth hook: the merchant, the actor and the request's "now". */
    ctx: Ctx;
  }
}
