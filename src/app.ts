import { join } from 'node:path';
import cookie from '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import { type Kysely, sql } from 'kysely';
import pino, { type Logger } from 'pino';
import type { Config } from './config.ts';
import type { DB } from './database.ts';
import type { Api, AppDeps } from './deps.ts';
import { migrations } from './migrations.ts';
import { accountForCallback, accountsRoutes, sealStoredAccountSecrets } from './modules/accounts/index.ts';
import { analyticsRoutes, registerAnalyticsJobs, scheduleAnalytics } from './modules/analytics/index.ts';
import { catalogRoutes } from './modules/catalog/index.ts';
import {
  callbackRoutes,
  channelRoutes,
  registerChannelJobs,
  scheduleMessagePruning,
} from './modules/channel/index.ts';
import {
  communityAdminRoutes,
  communityPageRoutes,
  communityShopRoutes,
  registerCommunityJobs,
} from './modules/community/index.ts';
import { crmRoutes, registerCrmJobs, registerTagSyncJobs, scheduleTagPulls } from './modules/crm/index.ts';
import {
  agentAdminRoutes,
  distributionAdminRoutes,
  distributionPageRoutes,
  distributionShopApi,
  drawAdminRoutes,
  drawShopRoutes,
  growthAdminRoutes,
  growthPageRoutes,
  growthShopRoutes,
  redPacketAdminRoutes,
  redPacketShopRoutes,
  registerDistributionJobs,
  registerDrawJobs,
  registerRedPacketJobs,
  registerShareJobs,
  registerTrialJobs,
  shareAdminRoutes,
  shareShopRoutes,
} from './modules/growth/index.ts';
import { inboxRoutes, inboxTail } from './modules/inbox/index.ts';
import {
  cardPageRoutes,
  clerkCardPageRoutes,
  loyaltyAdminRoutes,
  loyaltyShopRoutes,
  registerLoyaltyJobs,
  scheduleBirthdays,
} from './modules/loyalty/index.ts';
import {
  couponAdminRoutes,
  couponShopRoutes,
  flashAdminRoutes,
  flashShopRoutes,
  marketingPageRoutes,
  registerMarketingJobs,
  voucherRoutes,
} from './modules/marketing/index.ts';
import { clickRoutes, messagingRoutes, registerMessagingJobs } from './modules/messaging/index.ts';
import { ordersRoutes, shopApiRoutes } from './modules/orders/index.ts';
import {
  paymentsRoutes,
  payNotifyRoutes,
  registerPaymentJobs,
  sealStoredPaymentSecrets,
  shopPayRoutes,
} from './modules/payments/index.ts';
import { catalogPageRoutes, checkoutApiRoutes, checkoutPageRoutes } from './modules/shop/index.ts';
import {
  adminAuthHook,
  authFailureRoutes,
  principalOf,
  sessionRoutes,
  tenantsRoutes,
} from './modules/tenants/index.ts';
import { type Cache, memoryCache, redisCache } from './platform/cache/cache.ts';
import { type Clock, systemClock } from './platform/clock.ts';
import { type Database, openDatabase } from './platform/db/database.ts';
import { migrateToLatest } from './platform/db/migrate.ts';
import { createEventBus } from './platform/events/events.ts';
import { injectFetch } from './platform/http/inject-fetch.ts';
import { createServer, type Server } from './platform/http/server.ts';
import { serveBuiltApp } from './platform/http/static-files.ts';
import type { JobTables } from './platform/jobs/jobs.schema.ts';
import { createJobWorker, type JobHandler, type JobWorker } from './platform/jobs/worker.ts';
import { createLocalState } from './platform/local-state.ts';
import { loadMasterKeys } from './platform/vault/master-key.ts';
import type { VaultTables } from './platform/vault/vault.schema.ts';
import { createVault } from './platform/vault/vault.ts';
import { type EmbeddedSimulator, mountSimulator } from './simulator/embedded.ts';
import type { SimulatorState } from './simulator/simulator.ts';
import { keepAliveTransport } from './wechat/http-transport.ts';

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

export interface AppCore {
  deps: AppDeps;
  worker: JobWorker;
  /** Queues recurring maintenance (message-log retention); call before starting the worker. */
  scheduleMaintenance(): Promise<void>;
  /** Stops the worker, then closes the cache and the database. */
  close(): Promise<void>;
}

/**
 * Everything but HTTP: database (migrated), cache, events, the job worker and every module's job
 * handlers and event subscribers (so an event published here always has its subscribers' jobs).
 * The CLI runs its commands on this; `buildApp` adds the server.
 */
export async function openApp(config: Config, options: BuildOptions = {}): Promise<AppCore> {
  const logger = options.logger ?? createLogger(config);
  const clock = options.clock ?? systemClock;
  // A missing or malformed master key stops the start with one clear line, before anything opens.
  const masterKeys = loadMasterKeys(config.masterKey);
  const database: Database<DB> = openDatabase<DB>(config.database);
  let cache: Cache | null = null;
  try {
    if (options.migrate !== false) await migrateToLatest(database.db as Kysely<unknown>, migrations);
    cache = config.redisUrl ? await redisCache(config.redisUrl, config.redisPrefix) : memoryCache(clock.now);
  } catch (error) {
    await database.close();
    throw error;
  }

  const jobHandlers = new Map<string, JobHandler>();
  let worker: JobWorker | null = null;
  const deps: AppDeps = {
    db: database.db,
    liveDb: database.live,
    dialect: database.dialect,
    clock,
    config,
    logger,
    cache,
    jobHandlers,
    events: createEventBus(jobHandlers),
    local: createLocalState(),
    vault: createVault(database.db as unknown as Kysely<VaultTables>, masterKeys, clock.now),
    wakeJobs: () => worker?.wake(),
    wechatFetch: fetch,
    wechatTransport: keepAliveTransport(),
  };
  worker = createJobWorker({
    db: database.db as unknown as Kysely<JobTables>,
    dialect: database.dialect,
    clock,
    logger,
    handlers: jobHandlers,
  });
  registerChannelJobs(deps);
  registerPaymentJobs(deps);
  registerCrmJobs(deps);
  registerTagSyncJobs(deps);
  inboxTail(deps);
  registerMarketingJobs(deps);
  registerTrialJobs(deps);
  registerRedPacketJobs(deps);
  registerDistributionJobs(deps);
  registerShareJobs(deps);
  registerDrawJobs(deps);
  registerMessagingJobs(deps);
  registerLoyaltyJobs(deps);
  registerCommunityJobs(deps);
  registerAnalyticsJobs(deps);
  if (options.migrate !== false) {
    // Secrets written before encryption at rest are sealed once; later starts find nothing to do.
    const sealed = (await sealStoredAccountSecrets(deps)) + (await sealStoredPaymentSecrets(deps));
    if (sealed) logger.info({ sealed }, 'sealed secrets stored in clear by an earlier version');
  }
  const ownedCache = cache;
  const runningWorker = worker;
  return {
    deps,
    worker: runningWorker,
    async scheduleMaintenance() {
      await scheduleMessagePruning(deps, deps.clock.now());
      await scheduleBirthdays(deps, deps.clock.now());
      await scheduleAnalytics(deps, deps.clock.now());
      await scheduleTagPulls(deps);
    },
    async close() {
      await runningWorker.stop();
      await ownedCache.close();
      await database.close();
    },
  };
}

/** The composition root: config → database → cache → services → HTTP. Nothing listens yet. */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<Weiloop> {
  const core = await openApp(config, options);
  const { deps, worker } = core;
  const { logger } = deps;
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
      // Acting as a fan takes a console sign-in of the merchant that owns the account.
      guard: {
        async mayControl(request, appId) {
          const principal = await principalOf(deps, request);
          if (!principal) return false;
          if (appId === null) return true;
          const found = await accountForCallback(deps, appId, deps.clock.now());
          return found?.account.merchant_id === principal.merchantId;
        },
      },
    });
    // The simulator lives in this process: reach it without a socket.
    deps.wechatFetch = injectFetch(app as unknown as FastifyInstance, config.publicUrl);
    deps.wechatTransport = simulator.transport;
    deps.onAccountSaved = simulator.provision;
  }
  await app.register(async (scope) => callbackRoutes(scope, deps));
  await app.register(async (scope) => catalogPageRoutes(scope, deps));
  await app.register(async (scope) => checkoutPageRoutes(scope, deps));
  await app.register(async (scope) => marketingPageRoutes(scope, deps));
  await app.register(async (scope) => clickRoutes(scope, deps));
  await app.register(async (scope) => cardPageRoutes(scope, deps));
  await app.register(async (scope) => clerkCardPageRoutes(scope));
  await app.register(async (scope) => communityPageRoutes(scope, deps));
  await app.register(async (scope) => distributionPageRoutes(scope, deps));
  await app.register(async (scope) => growthPageRoutes(scope, deps));
  await app.register(async (scope) => {
    shopApiRoutes(scope as unknown as Api, deps);
    shopPayRoutes(scope as unknown as Api, deps);
    couponShopRoutes(scope as unknown as Api, deps);
    flashShopRoutes(scope as unknown as Api, deps);
    growthShopRoutes(scope as unknown as Api, deps);
    redPacketShopRoutes(scope as unknown as Api, deps);
    distributionShopApi(scope as unknown as Api, deps);
    shareShopRoutes(scope as unknown as Api, deps);
    drawShopRoutes(scope as unknown as Api, deps);
    loyaltyShopRoutes(scope as unknown as Api, deps);
    checkoutApiRoutes(scope as unknown as Api, deps);
    communityShopRoutes(scope as unknown as Api, deps);
  });
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
    await sql`select 1`.execute(deps.db);
    return { ok: true, db: deps.dialect, version: config.version };
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
        paymentsRoutes(adminApi);
        analyticsRoutes(adminApi);
        crmRoutes(adminApi);
        inboxRoutes(adminApi, deps);
        couponAdminRoutes(adminApi);
        voucherRoutes(adminApi);
        flashAdminRoutes(adminApi);
        growthAdminRoutes(adminApi, deps);
        redPacketAdminRoutes(adminApi);
        distributionAdminRoutes(adminApi);
        agentAdminRoutes(adminApi);
        shareAdminRoutes(adminApi);
        drawAdminRoutes(adminApi);
        messagingRoutes(adminApi);
        loyaltyAdminRoutes(adminApi, deps);
        communityAdminRoutes(adminApi);
      });
    },
    { prefix: '/api/v1' },
  );

  return {
    app,
    deps,
    worker,
    simulator,
    scheduleMaintenance: core.scheduleMaintenance,
    async close() {
      await app.close();
      simulator?.sim.flush();
      await core.close();
    },
  };
}
