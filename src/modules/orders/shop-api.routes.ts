import { Type } from '@fastify/type-provider-typebox';
import type { Api, AppDeps } from '../../deps.ts';
import { badRequest, unauthorized } from '../../platform/http/errors.ts';
import { withErrors } from '../../platform/http/schemas.ts';
import { newSecret } from '../../platform/ids.ts';
import { oauthAuthorizeUrl, WeChatApiError } from '../../wechat/api-client.ts';
import { accountForCallback, apiClientFor } from '../accounts/index.ts';
import { buyerOf } from './buyer.ts';
import { listAddresses, placeOrder } from './checkout.service.ts';
import { FAN_COOKIE, FAN_SESSION_MS, requireFan, startFanSession } from './fan-session.ts';
import { buyerCancel, confirmReceipt } from './lifecycle.service.ts';
import { Me, OrderPage, OrderSchema } from './orders.schemas.ts';
import { getOrder, listOrders } from './queries.service.ts';
import { reviewOrder } from './reviews.service.ts';

const OAUTH_COOKIE = 'wl_oauth';

/** Where a fan's browser goes to authorise: the simulator in development, WeChat in production. */
function authorizeBase(deps: AppDeps): string {
  return deps.config.wechatApiBase.endsWith('/sim')
    ? deps.config.wechatApiBase
    : 'https://open.weixin.qq.com';
}

/**
 * The shop's fan-facing API under /shop/:appid. A fan is whoever WeChat's OAuth (snsapi_base)
 * says they are: no account, no password. The session cookie is scoped to this account's shop.
 */
export function shopApiRoutes(app: Api, deps: AppDeps): void {
  const account = async (appid: string) => {
    const found = await accountForCallback(deps, appid, deps.clock.now());
    if (!found) throw unauthorized();
    return found.account;
  };

  app.get<{ Params: { appid: string }; Querystring: { next?: string } }>(
    '/shop/:appid/oauth',
    async (request, reply) => {
      const { appid } = request.params;
      await account(appid);
      const next = safeNext(appid, request.query.next);
      // The sign-in is bound to this browser: the state WeChat echoes back must match a cookie
      // only this browser holds, so a code obtained elsewhere cannot be redeemed here.
      const state = newSecret(12).replace(/[^A-Za-z0-9]/g, '');
      reply.setCookie(OAUTH_COOKIE, `${state}.${Buffer.from(next).toString('base64url')}`, {
        httpOnly: true,
        sameSite: 'lax',
        path: `/shop/${appid}`,
        maxAge: 600,
        secure: deps.config.publicUrl.startsWith('https:'),
      });
      const redirectUri = `${deps.config.publicUrl}/shop/${appid}/oauth/callback`;
      return reply.redirect(
        oauthAuthorizeUrl({
          authorizeBase: authorizeBase(deps),
          appId: appid,
          redirectUri,
          scope: 'snsapi_base',
          state,
        }),
      );
    },
  );

  app.get<{ Params: { appid: string }; Querystring: { code?: string; state?: string } }>(
    '/shop/:appid/oauth/callback',
    async (request, reply) => {
      const { appid } = request.params;
      const found = await account(appid);
      if (!request.query.code)
        return reply.status(400).send({ error: { code: 'oauth_denied', message: '未获得微信授权' } });
      const [nonce, encodedNext] = (request.cookies[OAUTH_COOKIE] ?? '').split('.');
      if (!nonce || nonce !== request.query.state)
        throw badRequest(
          'oauth_state_mismatch',
          '请在同一个浏览器中完成微信授权',
          'Finish the WeChat sign-in in the browser that started it',
        );
      reply.clearCookie(OAUTH_COOKIE, { path: `/shop/${appid}` });
      const next = safeNext(appid, Buffer.from(encodedNext ?? '', 'base64url').toString());
      const { openid } = await apiClientFor(deps, found)
        .oauthExchange(request.query.code)
        .catch((error) => {
          // A stale, reused or forged code: WeChat refuses it, and so do we.
          if (error instanceof WeChatApiError)
            throw badRequest(
              'oauth_failed',
              '微信授权已失效，请重新打开页面',
              'WeChat sign-in failed; open the page again',
            );
          throw error;
        });
      const token = await startFanSession(deps, found, openid);
      reply.setCookie(FAN_COOKIE, token, {
        httpOnly: true,
        sameSite: 'lax',
        path: `/shop/${appid}`,
        maxAge: FAN_SESSION_MS / 1000,
        secure: deps.config.publicUrl.startsWith('https:'),
      });
      return reply.redirect(next);
    },
  );

  const buyer = (request: Parameters<typeof requireFan>[1]) => requireFan(deps, request);

  const tags = ['shop'];
  const Params = Type.Object({ appid: Type.String({ maxLength: 32 }) });
  const OrderParams = Type.Object({
    appid: Type.String({ maxLength: 32 }),
    id: Type.String({ maxLength: 64 }),
  });
  const Address = Type.Object({
    name: Type.String({ minLength: 1, maxLength: 30 }),
    phone: Type.String({ minLength: 5, maxLength: 20 }),
    region: Type.String({ minLength: 1, maxLength: 60 }),
    detail: Type.String({ minLength: 1, maxLength: 120 }),
  });

  app.get(
    '/shop/:appid/api/me',
    { schema: { tags, params: Params, response: withErrors({ 200: Me }) } },
    async (request) => {
      const ctx = await buyer(request);
      return { openid: buyerOf(ctx).openid, addresses: await listAddresses(ctx) };
    },
  );

  app.post(
    '/shop/:appid/api/orders',
    {
      schema: {
        tags,
        summary: '下单（服务端重新计算价格，预占库存）/ Place an order',
        response: withErrors({ 201: OrderSchema }),
        params: Params,
        body: Type.Object({
          items: Type.Array(
            Type.Object({
              sku_id: Type.String({ maxLength: 64 }),
              quantity: Type.Integer({ minimum: 1, maximum: 999 }),
            }),
            { minItems: 1, maxItems: 50 },
          ),
          address: Type.Optional(Address),
          address_id: Type.Optional(Type.String({ maxLength: 64 })),
          pickup_store_id: Type.Optional(
            Type.String({ maxLength: 64, description: '到店自提门店 / collect at this store' }),
          ),
          payment_method: Type.Union([Type.Literal('wechat'), Type.Literal('cod')]),
          expected_total: Type.Optional(Type.Integer({ minimum: 0 })),
          note: Type.Optional(Type.String({ maxLength: 200 })),
          source: Type.Optional(Type.String({ maxLength: 40 })),
          idempotency_key: Type.Optional(Type.String({ maxLength: 64 })),
        }),
      },
    },
    async (request, reply) => {
      const ctx = await buyer(request);
      const order = await placeOrder(ctx, request.body);
      deps.wakeJobs();
      return reply.status(201).send(order);
    },
  );

  app.get(
    '/shop/:appid/api/orders',
    { schema: { tags, params: Params, response: withErrors({ 200: OrderPage }) } },
    async (request) => {
      const ctx = await buyer(request);
      return listOrders(ctx, { openid: buyerOf(ctx).openid, limit: 50 });
    },
  );

  app.get(
    '/shop/:appid/api/orders/:id',
    { schema: { tags, params: OrderParams, response: withErrors({ 200: OrderSchema }) } },
    async (request) => {
      const ctx = await buyer(request);
      return getOrder({ ...ctx, openid: buyerOf(ctx).openid }, request.params.id);
    },
  );

  app.post(
    '/shop/:appid/api/orders/:id/cancel',
    { schema: { tags, params: OrderParams, response: withErrors({ 200: OrderSchema }) } },
    async (request) => {
      const ctx = await buyer(request);
      const order = await buyerCancel(ctx, request.params.id);
      deps.wakeJobs();
      return order;
    },
  );

  app.post(
    '/shop/:appid/api/orders/:id/receive',
    {
      schema: {
        tags,
        summary: '确认收货 / Confirm receipt',
        params: OrderParams,
        response: withErrors({ 200: OrderSchema }),
      },
    },
    async (request) => confirmReceipt(await buyer(request), request.params.id),
  );

  app.post(
    '/shop/:appid/api/orders/:id/reviews',
    {
      schema: {
        tags,
        params: OrderParams,
        response: withErrors({ 201: Type.Object({ ok: Type.Boolean() }) }),
        body: Type.Object({
          product_id: Type.String({ maxLength: 64 }),
          rating: Type.Integer({ minimum: 1, maximum: 5 }),
          text: Type.String({ maxLength: 500 }),
        }),
      },
    },
    async (request, reply) => {
      await reviewOrder(await buyer(request), request.params.id, request.body);
      return reply.status(201).send({ ok: true });
    },
  );
}

/** Only paths inside this account's shop: never an open redirect, never a header injection. */
function safeNext(appid: string, next: string | undefined): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  if (next && /[\u0000-\u001f\u007f]/.test(next))
    throw badRequest(
      'invalid_next',
      '跳转地址含有非法字符',
      'The return address contains control characters',
    );
  const base = `/shop/${appid}/`;
  return next?.startsWith(base) && !next.includes('//') && !next.includes('\\') ? next : base;
}
