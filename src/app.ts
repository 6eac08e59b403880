import { join } from 'node:path';
import cookie from '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import pino, { type Logger } from 'pino';
import type { Config } from './config.ts';
import type { DB } from './database.ts';
import type { Api, AppDeps } from './deps.ts';
import { accountsRoutes } from './modules/accounts/accounts.routes.ts';
import { analyticsRoutes } from './modules/analytics/analytics.routes.ts';
import { catalogRoutes } from './modules/catalog/catalog.routes.ts';
import { shopPageRoutes } from './modules/catalog/shop-pages.routes.ts';
import { callbackRoutes } from './modules/channel/callback.routes.ts';
import { registerChannelJobs, scheduleMessagePruning } from './modules/channel/channel.jobs.ts';
import { channelRoutes } from './modules/channel/channel.routes.ts';
import { registerOrderJobs } from './modules/orders/orders.jobs.ts';
import { ordersRoutes } from './modules/orders/orders.routes.ts';
import { shopApiRoutes } from './modules/orders/shop-api.routes.ts';
import { shopCheckoutPages } from './modules/orders/shop-checkout.pages.ts';
import { payNotifyRoutes } from './modules/payments/notify.routes.ts';
import { adminAuthHook } from './modules/tenants/admin-auth.ts';
import { authFailureRoutes } from './modules/tenants/auth-failures.ts';
import { sessionRoutes, tenantsRoutes } from './modules/tenants/tenants.routes.ts';
import { type Cache, memoryCache, redisCache } from './platform/cache/cache.ts';
import { type Clock, systemClock } from './platform/clock.ts';
import { type Database, openDatabase } from './platform/db/database.ts';
import { migrateToLatest } from './platform/db/migrate.ts';
import { injectFetch } from './platform/http/inject-fetch.ts';
import { createServer, type Server } from './platform/http/server.ts';
import { serveBuiltApp } from './platform/http/static-files.ts';
import type { JobTables } from './platform/jobs/jobs.schema.ts';
import { createJobWorker, type JobHandler, type JobWorker } from './platform/jobs/worker.ts';
import { type EmbeddedSimulator, mountSimulator } from './simulator/embedded.ts';
import type { SimulatorState } from './simulator/simulator.ts';

export interface BuildOptions {
  clock?: Clock;
  logger?: Logger;
  /** Run migrations before serving (default true). */
  migrate?: boolean;
  /** A simulator state to mount instead of a fresh one (tests drive it directly). */
  simulator?: SimulatorState;
  /** How long the simulator waits for the callback's reply (WeChat: 5 s). */
  simulatorReplyTimeoutMs?: number;
}

export interface Weiloop {
  app: Server;
  deps: AppDeps;
  worker: JobWorker;
  /** Queues recurring maintenance (message-log retention); call before starting the worker. */
  scheduleMaintenance(): Promise<void>;
  /** The in-process WeChat simulator, when it is on. */
  simulator: EmbeddedSimulator | null;
  /** Drains HTTP, then running jobs, then closes the database and cache. */
  close(): Promise<void>;
}

export function createLogger(config: Config): Logger {
  return pino({ level: config.logLevel, base: { service: 'weiloop' } });
}

/** The composition root: config → database → cache → services → HTTP. Nothing listens yet. */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<Weiloop> {
  const logger = options.logger ?? createLogger(config);
  const clock = options.clock ?? systemClock;
  const database: Database<DB> = openDatabase<DB>(config.database);
  let cache: Cache | null = null;
  try {
    if (options.migrate !== false) await migrateToLatest(database.db as Kysely<unknown>);
    cache = config.redisUrl ? await redisCache(config.redisUrl, config.redisPrefix) : memoryCache(clock.now);
  } catch (error) {
    await database.close();
    throw error;
  }

  const jobHandlers = new Map<string, JobHandler>();
  let worker: JobWorker | null = null;
  const deps: AppDeps = {
    db: database.db,
    dialect: database.dialect,
    clock,
    config,
    logger,
    cache,
    jobHandlers,
    wakeJobs: () => worker?.wake(),
    wechatFetch: fetch,
  };
  worker = createJobWorker({
    db: database.db as unknown as Kysely<JobTables>,
    dialect: database.dialect,
    clock,
    logger,
    handlers: jobHandlers,
  });

  const app = await createServer({
    logger,
    bodyLimitBytes: config.bodyLimitBytes,
    version: config.version,
    https: config.publicUrl.startsWith('https:'),
    trustProxy: config.trustProxy,
  });
  await app.register(cookie);

  let simulator: EmbeddedSimulator | null = null;
  if (config.simulator) {
    simulator = await mountSimulator(app as unknown as FastifyInstance, config, {
      sim: options.simulator,
      replyTimeoutMs: options.simulatorReplyTimeoutMs,
    });
    // The simulator lives in this process: reach it without a socket.
    deps.wechatFetch = injectFetch(app as unknown as FastifyInstance, config.publicUrl);
    deps.onAccountSaved = simulator.provision;
  }
  registerChannelJobs(deps);
  registerOrderJobs(deps);
  await app.register(async (scope) => callbackRoutes(scope, deps));
  await app.register(async (scope) => shopPageRoutes(scope, deps));
  await app.register(async (scope) => shopApiRoutes(scope as unknown as Api, deps));
  await app.register(async (scope) => shopCheckoutPages(scope, deps));
  await app.register(async (scope) => payNotifyRoutes(scope, deps));

  serveBuiltApp(
    app as unknown as FastifyInstance,
    '/console',
    join(import.meta.dirname, '..', 'web', 'admin', 'dist'),
  );
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/console/'));

  // Browsers ask for it on every page; answer without a 404 in their console.
  app.get('/favicon.ico', { schema: { hide: true } }, async (_request, reply) => reply.status(204).send());

  app.get('/healthz', { schema: { hide: true } }, async () => {
    await database.db.selectFrom('merchants').select('id').limit(1).execute();
    return { ok: true, db: database.dialect, version: config.version };
  });

  await app.register(
    async (scope) => {
      const api = scope as unknown as Api;
      sessionRoutes(api, deps);
      await api.register(async (admin) => {
        const adminApi = admin as unknown as Api;
        adminApi.addHook('onRequest', adminAuthHook(deps));
        tenantsRoutes(adminApi);
        authFailureRoutes(adminApi);
        accountsRoutes(adminApi, deps);
        channelRoutes(adminApi, deps);
        catalogRoutes(adminApi);
        ordersRoutes(adminApi, deps);
        analyticsRoutes(adminApi);
      });
    },
    { prefix: '/api/v1' },
  );

  const ownedCache = cache;
  const runningWorker = worker;
  return {
    app,
    deps,
    worker: runningWorker,
    simulator,
    scheduleMaintenance: () => scheduleMessagePruning(deps, clock.now()),
    async close() {
      await app.close();
      await runningWorker.stop();
      simulator?.sim.flush();
      await ownedCache.close();
      await database.close();
    },
  };
}
