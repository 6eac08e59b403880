import type { FastifyRequest } from 'fastify';
import type { AppDeps } from '../../deps.ts';
import { unauthorized } from '../../platform/http/errors.ts';
import { cachedApiToken } from './api-token-cache.ts';
import { apiTokenGuard } from './auth-failures.ts';
import { resolveApiToken, resolveSession } from './tenants.service.ts';

export const SESSION_COOKIE = 'wl_session';

/** Who a request is signed in as: a Bearer API token or the console's session cookie. */
export async function principalOf(deps: AppDeps, request: FastifyRequest, now = deps.clock.now()) {
  const system = { db: deps.db, dialect: deps.dialect, now };
  const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  const cookie = request.cookies?.[SESSION_COOKIE];
  if (bearer) return cachedApiToken(deps, now, bearer, () => resolveApiToken(system, bearer));
  return cookie ? resolveSession(system, cookie) : null;
}

/** onRequest hook for /api/v1: a Bearer API token or the console's session cookie, else 401. */
export function adminAuthHook(deps: AppDeps) {
  const tokens = apiTokenGuard(deps);
  return async (request: FastifyRequest) => {
    const now = deps.clock.now();
    const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (bearer) await tokens.enter(request);
    const principal = await principalOf(deps, request, now);
    if (!principal) {
      if (bearer) await tokens.failed(request, bearer);
      throw unauthorized();
    }
    request.ctx = {
      db: deps.db,
      dialect: deps.dialect,
      merchantId: principal.merchantId,
      actor: principal.actor,
      now,
      deps,
    };
  };
}
