import type { FastifyInstance } from 'fastify';
import type { MessageMode } from '../wechat/envelope.ts';
import { isEncodingAesKey } from '../wechat/message-crypto.ts';
import { readingControlRoute } from './datacube.routes.ts';
import { verifyServerUrl } from './delivery.ts';
import { type FanAction, fanActs, transcriptSince } from './fan-actions.ts';
import { massDeliveryCounts } from './mass-send.routes.ts';
import { controlRefused, type Query, type SimulatorDeps } from './sim-http.ts';
import { type AccountType, SimError } from './simulator.ts';

/** The simulator's own control API: make apps and fans, act as a fan, read transcripts. */
export function controlRoutes(app: FastifyInstance, deps: SimulatorDeps): void {
  const { sim, guard } = deps;
  if (guard) {
    // Acting as a fan reads their chat and their shop: only the merchant that owns the account may.
    app.addHook('onRequest', async (request, reply) => {
      const appId = (request.params as { appId?: string }).appId ?? null;
      if (!(await guard.mayControl(request, appId))) return controlRefused(reply);
    });
  }

  readingControlRoute(app, sim);

  app.post('/apps', async (request, reply) => {
    const body = (request.body ?? {}) as {
      appId?: string;
      secret?: string;
      name?: string;
      type?: AccountType;
      verified?: boolean;
    };
    if (body.type !== 'subscription' && body.type !== 'service') {
      return reply
        .status(400)
        .send({ error: { code: 'invalid_type', message: 'type must be subscription or service' } });
    }
    const created = sim.createApp({
      ...body,
      name: body.name ?? body.appId ?? '测试公众号',
      type: body.type,
    });
    return reply.status(201).send(created);
  });
  app.get('/apps', async (request) => {
    const apps = [];
    for (const { secret: _secret, ...rest } of sim.apps())
      if (!guard || (await guard.mayControl(request, rest.appId))) apps.push(rest);
    return apps;
  });
  app.get('/apps/:appId', async (request) => {
    const { secret: _secret, ...rest } = sim.app((request.params as { appId: string }).appId);
    return rest;
  });
  app.put('/apps/:appId/server', async (request, reply) => {
    const target = sim.app((request.params as { appId: string }).appId);
    const body = (request.body ?? {}) as {
      url?: string;
      token?: string;
      aesKey?: string;
      mode?: MessageMode;
    };
    if (!body.url || !body.token || !/^[A-Za-z0-9]{3,32}$/.test(body.token)) {
      return reply
        .status(400)
        .send({ error: { code: 'invalid_server', message: 'url and a 3–32 character token are required' } });
    }
    const mode = body.mode ?? 'plain';
    if (mode !== 'plain' && (!body.aesKey || !isEncodingAesKey(body.aesKey))) {
      return reply
        .status(400)
        .send({ error: { code: 'invalid_aes_key', message: 'EncodingAESKey must be 43 characters' } });
    }
    if (!(await verifyServerUrl(body.url, body.token, deps.transport))) {
      return reply
        .status(400)
        .send({ error: { code: 'token_verification_failed', message: '配置失败：Token 验证失败' } });
    }
    target.server = { url: body.url, token: body.token, aesKey: body.aesKey ?? null, mode };
    sim.changed();
    return { ok: true };
  });
  app.post('/apps/:appId/invalidate-tokens', async (request) => {
    sim.invalidateTokens((request.params as { appId: string }).appId);
    return { ok: true };
  });
  app.post('/apps/:appId/fans', async (request, reply) => {
    const body = (request.body ?? {}) as { openid?: string; nickname?: string };
    const fan = sim.ensureFan((request.params as { appId: string }).appId, body.openid, body.nickname);
    return reply.status(201).send(fan);
  });
  app.get('/apps/:appId/fans', async (request) =>
    sim.fans((request.params as { appId: string }).appId).map(({ transcript: _t, ...rest }) => rest),
  );
  app.post('/apps/:appId/fans/:openid/actions', async (request, reply) => {
    const { appId, openid } = request.params as { appId: string; openid: string };
    try {
      return await fanActs(deps, appId, openid, request.body as FanAction);
    } catch (error) {
      if (error instanceof SimError) {
        return reply.status(400).send({ error: { code: String(error.errcode), message: error.message } });
      }
      throw error;
    }
  });
  app.get('/apps/:appId/fans/:openid/transcript', async (request) => {
    const { appId, openid } = request.params as { appId: string; openid: string };
    const since = Number((request.query as Query).since ?? 0);
    const fan = sim.findFan(appId, openid);
    return fan ? transcriptSince(fan, since) : [];
  });
  /** Per-fan delivery counts of one mass message (its key): proves exactly-once sends. */
  app.get('/apps/:appId/mass-deliveries', async (request) => {
    const { appId } = request.params as { appId: string };
    const counts = massDeliveryCounts(sim, appId, String((request.query as Query).key ?? ''));
    let deliveries = 0;
    let duplicates = 0;
    for (const n of counts.values()) {
      deliveries += n;
      duplicates += n - 1;
    }
    return { fans: counts.size, deliveries, duplicates };
  });
}
