import type { FastifyInstance } from 'fastify';
import { controlRoutes } from './control.routes.ts';
import { datacubeRoutes } from './datacube.routes.ts';
import { massSendRoutes } from './mass-send.routes.ts';
import type { SimulatorDeps } from './sim-http.ts';
import { SimError } from './simulator.ts';
import { wechatApiRoutes } from './wechat-api.routes.ts';

export type { FanAction } from './fan-actions.ts';
export { fanActs } from './fan-actions.ts';
export type { SimulatorDeps, SimulatorGuard } from './sim-http.ts';

/** WeChat's Official Account API (the subset Weiloop uses) and the simulator's own control API. */
export function simulatorRoutes(app: FastifyInstance, deps: SimulatorDeps): void {
  app.addContentTypeParser(
    'multipart/form-data',
    { parseAs: 'buffer', bodyLimit: 10 * 1024 * 1024 },
    (_req, body, done) => done(null, body),
  );
  app.addContentTypeParser(['text/xml', 'application/xml'], { parseAs: 'string' }, (_req, body, done) =>
    done(null, body),
  );
  wechatApiRoutes(app, deps);
  massSendRoutes(app, deps);
  datacubeRoutes(app, deps);
  // In a scope of its own, so its sign-in check does not cover WeChat's API.
  app.register(async (scope) => controlRoutes(scope, deps));

  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof SimError)
      return reply.status(400).send({ error: { code: String(error.errcode), message: error.message } });
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    return reply.status(status).send({
      error: { code: status >= 500 ? 'internal_error' : 'bad_request', message: (error as Error).message },
    });
  });
}
