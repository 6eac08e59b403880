import { Type } from '@fastify/type-provider-typebox';
import type { Api, AppDeps } from '../../deps.ts';
import { IdParams, Ok, withErrors } from '../../platform/http/schemas.ts';
import {
  accountView,
  createAccount,
  deleteAccount,
  getAccount,
  listAccounts,
  updateAccount,
  verifyCallback,
} from './accounts.service.ts';

const tags = ['accounts'];
const Mode = Type.Union([Type.Literal('plain'), Type.Literal('compatible'), Type.Literal('safe')]);
const AccountType = Type.Union([Type.Literal('subscription'), Type.Literal('service')]);
const SecretHint = Type.Object({ mask: Type.String(), fingerprint: Type.String() });
const Account = Type.Object({
  id: Type.String(),
  merchant_id: Type.String(),
  name: Type.String(),
  appid: Type.String(),
  original_id: Type.Union([Type.String(), Type.Null()]),
  type: AccountType,
  verified: Type.Boolean(),
  mode: Mode,
  secrets: Type.Object(
    { token: SecretHint, aes_key: Type.Union([SecretHint, Type.Null()]), app_secret: SecretHint },
    { description: '密钥从不返回：仅掩码与指纹 / Secrets are never returned: a mask and a fingerprint' },
  ),
  callback_url: Type.String({ description: '填写到微信公众平台「服务器地址(URL)」' }),
  created_at: Type.Integer(),
  updated_at: Type.Integer(),
});
const editable = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  secret: Type.String({ minLength: 8, maxLength: 64, description: 'AppSecret (never shown again)' }),
  type: AccountType,
  verified: Type.Optional(Type.Boolean()),
  token: Type.String({ minLength: 3, maxLength: 32 }),
  aes_key: Type.Optional(Type.Union([Type.String({ minLength: 43, maxLength: 43 }), Type.Null()])),
  mode: Mode,
  original_id: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
};

export function accountsRoutes(app: Api, deps: AppDeps): void {
  const view = (a: Parameters<typeof accountView>[0]) => accountView(a, deps.config.publicUrl);

  app.get(
    '/accounts',
    {
      schema: {
        tags,
        summary: '公众号列表 / Official accounts',
        response: withErrors({ 200: Type.Array(Account) }),
      },
    },
    async (request) => (await listAccounts(request.ctx)).map(view),
  );
  app.post(
    '/accounts',
    {
      schema: {
        tags,
        summary: '接入公众号 / Connect an official account',
        body: Type.Object({ ...editable, appid: Type.String({ minLength: 3, maxLength: 32 }) }),
        response: withErrors({ 201: Account }),
      },
    },
    async (request, reply) => {
      reply.status(201);
      return view(await createAccount(request.ctx, deps, request.body));
    },
  );
  app.get(
    '/accounts/:id',
    { schema: { tags, params: IdParams, response: withErrors({ 200: Account }) } },
    async (request) => view(await getAccount(request.ctx, request.params.id)),
  );
  app.patch(
    '/accounts/:id',
    {
      schema: {
        tags,
        params: IdParams,
        body: Type.Partial(Type.Object(editable)),
        response: withErrors({ 200: Account }),
      },
    },
    async (request) => view(await updateAccount(request.ctx, deps, request.params.id, request.body)),
  );
  app.post(
    '/accounts/:id/verify-callback',
    {
      schema: {
        tags,
        summary: '像微信一样校验服务器地址与 Token / Check the callback URL and token the way WeChat does',
        params: IdParams,
        response: withErrors({
          200: Type.Object({
            url: Type.String(),
            ok: Type.Boolean(),
            status: Type.Integer(),
            error: Type.Optional(Type.String()),
          }),
        }),
      },
    },
    (request) => verifyCallback(request.ctx, deps, request.params.id),
  );
  app.delete(
    '/accounts/:id',
    { schema: { tags, params: IdParams, response: withErrors({ 200: Ok }) } },
    async (request) => {
      await deleteAccount(request.ctx, request.params.id);
      return { ok: true };
    },
  );
}
