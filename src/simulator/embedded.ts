import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import type { OfficialAccountsTable } from '../modules/accounts/index.ts';
import { callbackUrl } from '../modules/accounts/index.ts';
import { keepAliveTransport } from '../wechat/http-transport.ts';
import type { Transport } from './delivery.ts';
import { bindAppid, payRoutes } from './pay.routes.ts';
import { phoneRoutes } from './phone.routes.ts';
import { type SimulatorGuard, simulatorRoutes } from './simulator.routes.ts';
import { createSimulatorState, type SimulatorState } from './simulator.ts';

/** A transport that reaches this same server in process and anything else over HTTP. */
export function appTransport(app: FastifyInstance, publicUrl: string): Transport {
  const origin = new URL(publicUrl).origin;
  const outside = keepAliveTransport();
  return async (url, init) => {
    const target = new URL(url);
    if (target.origin !== origin) return outside(url, init);
    const response = await app.inject({
      method: init.method as 'GET',
      url: `${target.pathname}${target.search}`,
      headers: init.headers,
      ...(init.body === undefined ? {} : { payload: init.body }),
    });
    return { status: response.statusCode, body: response.body };
  };
}

export interface EmbeddedSimulator {
  sim: SimulatorState;
  transport: Transport;
  /** Registers a connected account in the simulated WeChat, server URL included. */
  provision(account: OfficialAccountsTable): Promise<void>;
}

/** Serves the simulator at /sim inside the main server (the embedded, demo and test setup). */
export async function mountSimulator(
  app: FastifyInstance,
  config: Config,
  options: {
    sim?: SimulatorState;
    replyTimeoutMs?: number;
    payRetryScale?: number;
    guard?: SimulatorGuard;
  } = {},
): Promise<EmbeddedSimulator> {
  const persistTo =
    config.database.kind === 'sqlite' && config.database.path !== ':memory:'
      ? join(dirname(config.database.path), 'simulator.json')
      : null;
  const sim = options.sim ?? createSimulatorState({ stateFile: persistTo });
  const transport = appTransport(app, config.publicUrl);
  await app.register(
    async (scope) =>
      simulatorRoutes(scope, {
        sim,
        transport,
        replyTimeoutMs: options.replyTimeoutMs,
        guard: options.guard,
      }),
    { prefix: '/sim' },
  );
  await app.register(
    async (scope) => payRoutes(scope, { sim, transport, retryScale: options.payRetryScale }),
    {
      prefix: '/sim',
    },
  );
  await app.register(async (scope) => phoneRoutes(scope, '/sim'), { prefix: '/sim' });
  return {
    sim,
    transport,
    async provision(account) {
      const app = sim.createApp({
        appId: account.appid,
        secret: account.app_secret,
        name: account.name,
        type: account.type,
        verified: account.verified === 1,
      });
      app.server = {
        url: callbackUrl(config.publicUrl, account.appid),
        token: account.token,
        aesKey: account.aes_key,
        mode: account.mode,
      };
      // The merchant's operator binds each new account to its WeChat Pay merchant number.
      for (const merchant of Object.values(sim.pay().merchants)) {
        if (merchant.owner === account.merchant_id) bindAppid(merchant, account.appid);
      }
      sim.changed();
    },
  };
}
