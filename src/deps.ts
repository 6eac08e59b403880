import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Db } from './database.ts';
import type { OfficialAccountsTable } from './modules/accounts/accounts.schema.ts';
import type { Cache } from './platform/cache/cache.ts';
import type { Clock } from './platform/clock.ts';
import type { DialectName } from './platform/db/database.ts';
import type { EventBus } from './platform/events/events.ts';
import type { JobHandler } from './platform/jobs/worker.ts';
import type { LocalState } from './platform/local-state.ts';
import type { Vault } from './platform/vault/vault.ts';
import type { HttpTransport } from './wechat/http-transport.ts';

/** What route plugins and job handlers are built from. Created once in app.ts. */
export interface AppDeps {
  db: Db;
  /**
   * The same database for work an agent watches live (the inbox's log reader): its own small
   * pool on PostgreSQL, so a burst of pushes waiting for `db` does not delay the screen.
   */
  liveDb: Db;
  dialect: DialectName;
  clock: Clock;
  config: Config;
  logger: Logger;
  cache: Cache;
  /** Job handlers by type; modules add theirs while the app is built. */
  jobHandlers: Map<string, JobHandler>;
  /** Domain events through the jobs outbox; modules subscribe while the app is built. */
  events: EventBus;
  /** This app's in-process caches (never shared with another app in the same process). */
  local: LocalState;
  /** Seals and opens secret columns with the merchant's data key. */
  vault: Vault;
  /** How Weiloop reaches WeChat's API (tests route it into the in-process simulator). */
  wechatFetch: typeof fetch;
  /** The same, for the API's JSON calls: kept-alive node:http, or into the in-process simulator. */
  wechatTransport: HttpTransport;
  /**
   * Called after an account is connected or changed. With the in-process simulator on, it
   * registers the account there, as an operator would in WeChat's own console.
   */
  onAccountSaved?(account: OfficialAccountsTable): Promise<void>;
  /** Tells the in-process worker that a job was committed, so it runs now rather than at the next poll. */
  wakeJobs(): void;
}

/** A Fastify scope whose schemas are TypeBox, so handlers get typed bodies and params. */
export type Api = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;
