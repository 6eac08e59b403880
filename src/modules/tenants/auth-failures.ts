import { Type } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Ctx, SystemCtx } from '../../context.ts';
import type { Api, AppDeps } from '../../deps.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { hashToken } from '../../platform/auth/secrets.ts';
import { failureThrottle, LOGIN_POLICY } from '../../platform/auth/throttle.ts';
import { AppError } from '../../platform/http/errors.ts';
import { withErrors } from '../../platform/http/schemas.ts';
import { newId } from '../../platform/ids.ts';
import type { AuthFailuresTable } from './tenants.schema.ts';

const RETENTION_MS = 90 * 24 * 3_600_000;

async function record(
  ctx: SystemCtx,
  request: FastifyRequest,
  row: Pick<AuthFailuresTable, 'merchant_id' | 'user_id' | 'kind' | 'reason' | 'email'>,
): Promise<void> {
  await ctx.db
    .insertInto('auth_failures')
    .values({
      id: newId('af', ctx.now),
      ...row,
      ip: request.ip,
      user_agent: String(request.headers['user-agent'] ?? '').slice(0, 200),
      created_at: ctx.now,
    })
    .execute();
  await ctx.db
    .deleteFrom('auth_failures')
    .where('created_at', '<', ctx.now - RETENTION_MS)
    .execute();
}

/**
 * Wraps a password check: per-IP and per-account throttling (429 + Retry-After), the account's
 * failures cleared by a success, and every wrong password recorded for the owners to see.
 */
export function loginGuard(deps: Pick<AppDeps, 'db' | 'dialect' | 'cache' | 'clock' | 'logger'>) {
  const throttle = failureThrottle(deps.cache, deps.clock.now, 'login', LOGIN_POLICY);
  return async <T>(request: FastifyRequest, email: string, check: () => Promise<T>): Promise<T> => {
    const account = email.trim().toLowerCase().slice(0, 254);
    const release = await throttle.enter({ ip: request.ip, account });
    try {
      const result = await check();
      await throttle.succeeded(account);
      return result;
    } catch (error) {
      if (error instanceof AppError && error.status === 401) {
        await throttle.failed({ ip: request.ip, account });
        const ctx = { db: deps.db, dialect: deps.dialect, now: deps.clock.now() };
        const user = await ctx.db
          .selectFrom('users')
          .select('id')
          .where('email', '=', account)
          .executeTakeFirst();
        await record(ctx, request, {
          merchant_id: null,
          user_id: user?.id ?? null,
          kind: 'login',
          reason: user ? 'wrong_password' : 'unknown_email',
          email: account,
        });
        deps.logger.warn({ ip: request.ip, known: Boolean(user) }, 'failed console login');
      }
      throw error;
    } finally {
      await release();
    }
  };
}

/** The same for Bearer tokens: an IP that keeps presenting wrong tokens is made to wait. */
export function apiTokenGuard(deps: Pick<AppDeps, 'db' | 'dialect' | 'cache' | 'clock' | 'logger'>) {
  const throttle = failureThrottle(deps.cache, deps.clock.now, 'api_token', LOGIN_POLICY);
  return {
    /** Throws 429 while this IP must wait. */
    enter: (request: FastifyRequest) => throttle.enter({ ip: request.ip }).then(() => undefined),
    async failed(request: FastifyRequest, token: string): Promise<void> {
      await throttle.failed({ ip: request.ip });
      const ctx = { db: deps.db, dialect: deps.dialect, now: deps.clock.now() };
      // A revoked token still names its merchant: that owner should know it is being used.
      const revoked = await ctx.db
        .selectFrom('api_tokens')
        .select('merchant_id')
        .where('token_hash', '=', hashToken(token))
        .executeTakeFirst();
      await record(ctx, request, {
        merchant_id: revoked?.merchant_id ?? null,
        user_id: null,
        kind: 'api_token',
        reason: revoked ? 'revoked_token' : 'unknown_token',
        email: null,
      });
      deps.logger.warn({ ip: request.ip, revoked: Boolean(revoked) }, 'failed API token');
    },
  };
}

const AuthFailure = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  reason: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
  user_id: Type.Union([Type.String(), Type.Null()]),
  ip: Type.String(),
  user_agent: Type.String(),
  created_at: Type.Integer(),
});

/** Failed sign-ins of this merchant's members and uses of its revoked tokens, newest first. */
export async function listAuthFailures(ctx: Ctx, limit: number) {
  requireRole(ctx, 'owner');
  const members = ctx.db
    .selectFrom('memberships')
    .select('user_id')
    .where('merchant_id', '=', ctx.merchantId);
  return ctx.db
    .selectFrom('auth_failures')
    .select(['id', 'kind', 'reason', 'email', 'user_id', 'ip', 'user_agent', 'created_at'])
    .where((eb) => eb.or([eb('merchant_id', '=', ctx.merchantId), eb('user_id', 'in', members)]))
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

export function authFailureRoutes(app: Api): void {
  app.get(
    '/security/auth-failures',
    {
      schema: {
        tags: ['tenants'],
        summary: '登录与 API 令牌失败记录（仅所有者）/ Failed sign-ins and API-token uses (owners)',
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
        }),
        response: withErrors({ 200: Type.Object({ items: Type.Array(AuthFailure) }) }),
      },
    },
    async (request) => ({ items: await listAuthFailures(request.ctx, request.query.limit ?? 100) }),
  );
}
