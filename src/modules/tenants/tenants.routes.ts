import { Type } from '@fastify/type-provider-typebox';
import type { Api, AppDeps } from '../../deps.ts';
import { ROLES, requireRole } from '../../platform/auth/roles.ts';
import { unauthorized } from '../../platform/http/errors.ts';
import { IdParams, Ok, withErrors } from '../../platform/http/schemas.ts';
import { SESSION_COOKIE } from './admin-auth.ts';
import { loginGuard } from './auth-failures.ts';
import {
  addMember,
  changeMemberRole,
  createApiToken,
  getMerchant,
  listApiTokens,
  listMembers,
  listUserMerchants,
  login,
  logout,
  removeMember,
  resolveSession,
  revokeApiToken,
  SESSION_TTL_MS,
  switchMerchant,
  updateMerchant,
} from './tenants.service.ts';

const Role = Type.Union(ROLES.map((r) => Type.Literal(r)));
const Merchant = Type.Object({
  id: Type.String(),
  slug: Type.String(),
  name: Type.String(),
  timezone: Type.String(),
  created_at: Type.Integer(),
});
const Member = Type.Object({
  user_id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  role: Role,
  created_at: Type.Integer(),
});
const ApiToken = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: Role,
  created_at: Type.Integer(),
  last_used_at: Type.Union([Type.Integer(), Type.Null()]),
});
const tags = ['tenants'];

/** Login and logout: reachable without a session. */
export function sessionRoutes(app: Api, deps: AppDeps): void {
  const system = () => ({ db: deps.db, dialect: deps.dialect, now: deps.clock.now() });
  const guardLogin = loginGuard(deps);

  app.post(
    '/auth/login',
    {
      schema: {
        tags,
        summary: '登录控制台 / Console login',
        security: [],
        body: Type.Object({
          email: Type.String({ minLength: 3, maxLength: 254 }),
          password: Type.String({ minLength: 1, maxLength: 200 }),
          merchant: Type.Optional(Type.String({ maxLength: 40 })),
        }),
        response: withErrors({ 200: Type.Object({ user_id: Type.String(), merchant_id: Type.String() }) }),
      },
    },
    async (request, reply) => {
      const { email, password, merchant } = request.body;
      const result = await guardLogin(request, email, () =>
        login(system(), { email, password, merchantSlug: merchant }),
      );
      reply.setCookie(SESSION_COOKIE, result.token, {
        httpOnly: true,
        sameSite: 'strict',
        secure: deps.config.publicUrl.startsWith('https:'),
        path: '/',
        maxAge: SESSION_TTL_MS / 1000,
      });
      return { user_id: result.userId, merchant_id: result.merchantId };
    },
  );

  app.get(
    '/auth/session',
    {
      schema: {
        tags,
        summary: '是否已登录（不需要登录）/ Whether this browser is signed in',
        security: [],
        response: withErrors({ 200: Type.Object({ signed_in: Type.Boolean() }) }),
      },
    },
    async (request) => {
      const token = request.cookies[SESSION_COOKIE];
      return { signed_in: Boolean(token && (await resolveSession(system(), token))) };
    },
  );

  app.post(
    '/auth/logout',
    { schema: { tags, security: [], response: withErrors({ 200: Ok }) } },
    async (request, reply) => {
      const token = request.cookies[SESSION_COOKIE];
      if (token) await logout(system(), token);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return { ok: true };
    },
  );
}

/** Everything about the signed-in merchant: behind the admin auth hook. */
export function tenantsRoutes(app: Api): void {
  app.get(
    '/auth/me',
    {
      schema: {
        tags,
        summary: '当前用户与商户 / Who am I',
        response: withErrors({
          200: Type.Object({
            actor: Type.Object({ kind: Type.String(), id: Type.String(), role: Role }),
            merchant: Merchant,
            merchants: Type.Array(
              Type.Object({ id: Type.String(), slug: Type.String(), name: Type.String(), role: Role }),
            ),
          }),
        }),
      },
    },
    async (request) => {
      const { ctx } = request;
      const { actor } = ctx;
      if (actor.kind === 'system' || actor.kind === 'fan') throw unauthorized();
      const merchant = await getMerchant(ctx);
      const merchants =
        actor.kind === 'user'
          ? await listUserMerchants(ctx, actor.userId)
          : [{ ...merchant, role: actor.role }];
      const id = actor.kind === 'user' ? actor.userId : actor.tokenId;
      return { actor: { kind: actor.kind, id, role: actor.role }, merchant, merchants };
    },
  );

  app.post(
    '/auth/switch-merchant',
    {
      schema: {
        tags,
        summary: '切换商户 / Switch merchant',
        body: Type.Object({ merchant_id: Type.String({ maxLength: 64 }) }),
        response: withErrors({ 200: Ok }),
      },
    },
    async (request) => {
      const { ctx } = request;
      const token = request.cookies[SESSION_COOKIE];
      if (ctx.actor.kind !== 'user' || !token) throw unauthorized();
      await switchMerchant(ctx, token, ctx.actor.userId, request.body.merchant_id);
      return { ok: true };
    },
  );

  app.get(
    '/merchant',
    { schema: { tags, summary: '当前商户 / Current merchant', response: withErrors({ 200: Merchant }) } },
    (request) => getMerchant(request.ctx),
  );

  app.patch(
    '/merchant',
    {
      schema: {
        tags,
        summary: '修改商户 / Update merchant',
        body: Type.Object({
          name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
        }),
        response: withErrors({ 200: Merchant }),
      },
    },
    (request) => updateMerchant(request.ctx, request.body),
  );

  app.get(
    '/members',
    { schema: { tags, summary: '成员列表 / Members', response: withErrors({ 200: Type.Array(Member) }) } },
    (request) => listMembers(request.ctx),
  );

  app.post(
    '/members',
    {
      schema: {
        tags,
        summary: '添加成员 / Add member',
        body: Type.Object({
          email: Type.String({ minLength: 3, maxLength: 254 }),
          name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          password: Type.Optional(Type.String({ minLength: 8, maxLength: 200 })),
          role: Role,
        }),
        response: withErrors({ 201: Member }),
      },
    },
    async (request, reply) => {
      requireRole(request.ctx, 'owner');
      reply.status(201);
      return addMember(request.ctx, request.body);
    },
  );

  app.patch(
    '/members/:id',
    {
      schema: {
        tags,
        summary: '修改成员角色 / Change a member role',
        params: IdParams,
        body: Type.Object({ role: Role }),
        response: withErrors({ 200: Member }),
      },
    },
    (request) => changeMemberRole(request.ctx, request.params.id, request.body.role),
  );

  app.delete(
    '/members/:id',
    {
      schema: {
        tags,
        summary: '移除成员 / Remove member',
        params: IdParams,
        response: withErrors({ 200: Ok }),
      },
    },
    async (request) => {
      await removeMember(request.ctx, request.params.id);
      return { ok: true };
    },
  );

  app.get(
    '/tokens',
    {
      schema: { tags, summary: 'API 令牌 / API tokens', response: withErrors({ 200: Type.Array(ApiToken) }) },
    },
    (request) => listApiTokens(request.ctx),
  );

  app.post(
    '/tokens',
    {
      schema: {
        tags,
        summary: '创建 API 令牌（仅显示一次）/ Create an API token (shown once)',
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }), role: Role }),
        response: withErrors({ 201: Type.Intersect([ApiToken, Type.Object({ token: Type.String() })]) }),
      },
    },
    async (request, reply) => {
      requireRole(request.ctx, 'owner');
      reply.status(201);
      return createApiToken(request.ctx, request.body);
    },
  );

  app.delete(
    '/tokens/:id',
    {
      schema: {
        tags,
        summary: '吊销 API 令牌 / Revoke an API token',
        params: IdParams,
        response: withErrors({ 200: Ok }),
      },
    },
    async (request) => {
      await revokeApiToken(request.ctx, request.params.id);
      return { ok: true };
    },
  );
}
