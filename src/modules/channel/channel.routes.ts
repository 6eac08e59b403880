import { Type } from '@fastify/type-provider-typebox';
import type { Api, AppDeps } from '../../deps.ts';
import { IdParams, Ok, withErrors } from '../../platform/http/schemas.ts';
import type { ButtonSpec } from '../../wechat/api-client.ts';
import type { PassiveReply } from '../../wechat/messages.ts';
import { createQrCode, getFollower, getQrCode, listFollowers, listQrCodes } from './audience.service.ts';
import { getMenu, publishMenu, saveMenu } from './menus.service.ts';
import {
  createRule,
  deleteRule,
  getRule,
  listRules,
  previewReply,
  setSingletonRule,
  updateRule,
} from './replies.service.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

const Reply = Type.Union([
  Type.Object({ type: Type.Literal('text'), content: Type.String({ minLength: 1, maxLength: 2048 }) }),
  Type.Object({ type: Type.Literal('image'), mediaId: Type.String({ minLength: 1, maxLength: 128 }) }),
  Type.Object({
    type: Type.Literal('news'),
    articles: Type.Array(
      Type.Object({
        title: Type.String({ minLength: 1, maxLength: 64 }),
        description: Type.Optional(Type.String({ maxLength: 512 })),
        picUrl: Type.Optional(Type.String({ maxLength: 1024 })),
        url: Type.Optional(Type.String({ maxLength: 1024 })),
      }),
      { minItems: 1, maxItems: 1 },
    ),
  }),
  // Hands the fan to customer service (the inbox keeps such a rule for its handoff words).
  Type.Object({ type: Type.Literal('transfer_customer_service') }),
]);
const RuleKind = Type.Union([
  Type.Literal('keyword'),
  Type.Literal('default'),
  Type.Literal('welcome'),
  Type.Literal('click'),
]);
const MatchType = Type.Union([Type.Literal('exact'), Type.Literal('contains'), Type.Literal('regex')]);
const Rule = Type.Object({
  id: Type.String(),
  account_id: Type.String(),
  kind: RuleKind,
  match_type: Nullable(MatchType),
  keyword: Nullable(Type.String()),
  priority: Type.Integer(),
  reply: Reply,
  tag_fan: Nullable(Type.String()),
  enabled: Type.Boolean(),
  starts_at: Nullable(Type.Integer()),
  ends_at: Nullable(Type.Integer()),
  created_at: Type.Integer(),
  updated_at: Type.Integer(),
});
const ruleFields = {
  match_type: Type.Optional(MatchType),
  keyword: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  priority: Type.Optional(Type.Integer({ minimum: -1000, maximum: 1000 })),
  reply: Reply,
  tag_fan: Type.Optional(Nullable(Type.String({ maxLength: 30 }))),
  enabled: Type.Optional(Type.Boolean()),
  starts_at: Type.Optional(Nullable(Type.Integer({ minimum: 0 }))),
  ends_at: Type.Optional(Nullable(Type.Integer({ minimum: 0 }))),
};

const Leaf = Type.Object({
  type: Type.String({ maxLength: 32 }),
  name: Type.String({ minLength: 1, maxLength: 60 }),
  key: Type.Optional(Type.String({ maxLength: 128 })),
  url: Type.Optional(Type.String({ maxLength: 1024 })),
});
const Button = Type.Object({
  type: Type.Optional(Type.String({ maxLength: 32 })),
  name: Type.String({ minLength: 1, maxLength: 60 }),
  key: Type.Optional(Type.String({ maxLength: 128 })),
  url: Type.Optional(Type.String({ maxLength: 1024 })),
  sub_button: Type.Optional(Type.Array(Leaf, { maxItems: 10 })),
});
const Menu = Type.Object({
  account_id: Type.String(),
  buttons: Type.Array(Button),
  published_at: Nullable(Type.Integer()),
  updated_at: Nullable(Type.Integer()),
});
const QrCode = Type.Object({
  id: Type.String(),
  account_id: Type.String(),
  name: Type.String(),
  scene: Type.String(),
  permanent: Type.Boolean(),
  ticket: Type.String(),
  url: Type.String(),
  image_url: Type.String(),
  expires_at: Nullable(Type.Integer()),
  created_at: Type.Integer(),
  followers: Type.Integer({ description: '首次由此码关注的粉丝数' }),
  scans: Type.Integer(),
});
const Follower = Type.Object({
  id: Type.String(),
  account_id: Type.String(),
  openid: Type.String(),
  unionid: Nullable(Type.String()),
  subscribed: Type.Boolean(),
  first_subscribed_at: Nullable(Type.Integer()),
  subscribed_at: Nullable(Type.Integer()),
  unsubscribed_at: Nullable(Type.Integer()),
  source_qrcode_id: Nullable(Type.String()),
  source_name: Nullable(Type.String()),
  last_interaction_at: Nullable(Type.Integer()),
  tags: Type.Array(Type.String()),
  created_at: Type.Integer(),
});

export function channelRoutes(app: Api, deps: AppDeps): void {
  // --- keyword, default and welcome replies ---
  const rules = ['replies'];
  app.get(
    '/replies',
    {
      schema: {
        tags: rules,
        summary: '自动回复规则 / Reply rules',
        querystring: Type.Object({
          account_id: Type.Optional(Type.String({ maxLength: 64 })),
          kind: Type.Optional(RuleKind),
        }),
        response: withErrors({ 200: Type.Array(Rule) }),
      },
    },
    (request) => listRules(request.ctx, request.query),
  );
  app.post(
    '/replies',
    {
      schema: {
        tags: rules,
        summary: '新建回复规则（default / welcome 每个公众号仅一条，新建即替换）/ Create a reply rule',
        body: Type.Object({ account_id: Type.String({ maxLength: 64 }), kind: RuleKind, ...ruleFields }),
        response: withErrors({ 201: Rule }),
      },
    },
    async (request, reply) => {
      const input = { ...request.body, reply: request.body.reply as PassiveReply };
      reply.status(201);
      return input.kind === 'default' || input.kind === 'welcome'
        ? setSingletonRule(request.ctx, { ...input, kind: input.kind })
        : createRule(request.ctx, input);
    },
  );
  app.post(
    '/replies/preview',
    {
      schema: {
        tags: rules,
        summary: '测试：粉丝发送这句话会收到什么 / What would a fan get for this text',
        body: Type.Object({
          account_id: Type.String({ maxLength: 64 }),
          text: Type.String({ minLength: 1, maxLength: 2000 }),
        }),
        response: withErrors({
          200: Type.Object({
            input: Type.String(),
            matched_rule_id: Nullable(Type.String()),
            used_default: Type.Boolean(),
            reply: Nullable(Reply),
            tag_fan: Nullable(Type.String()),
          }),
        }),
      },
    },
    async (request) => {
      const result = await previewReply(request.ctx, request.body.account_id, request.body.text);
      return result;
    },
  );
  app.get(
    '/replies/:id',
    { schema: { tags: rules, params: IdParams, response: withErrors({ 200: Rule }) } },
    (request) => getRule(request.ctx, request.params.id),
  );
  app.patch(
    '/replies/:id',
    {
      schema: {
        tags: rules,
        params: IdParams,
        body: Type.Partial(Type.Object(ruleFields)),
        response: withErrors({ 200: Rule }),
      },
    },
    (request) =>
      updateRule(request.ctx, request.params.id, {
        ...request.body,
        reply: request.body.reply as PassiveReply | undefined,
      }),
  );
  app.delete(
    '/replies/:id',
    { schema: { tags: rules, params: IdParams, response: withErrors({ 200: Ok }) } },
    async (request) => {
      await deleteRule(request.ctx, request.params.id);
      return { ok: true };
    },
  );

  // --- custom menus ---
  const menus = ['menus'];
  app.get(
    '/accounts/:id/menu',
    {
      schema: {
        tags: menus,
        summary: '自定义菜单 / Custom menu',
        params: IdParams,
        response: withErrors({ 200: Menu }),
      },
    },
    (request) => getMenu(request.ctx, request.params.id),
  );
  app.put(
    '/accounts/:id/menu',
    {
      schema: {
        tags: menus,
        summary: '保存菜单草稿（按微信规则校验）/ Save a menu draft',
        params: IdParams,
        body: Type.Object({ buttons: Type.Array(Button, { maxItems: 10 }) }),
        response: withErrors({ 200: Menu }),
      },
    },
    (request) => saveMenu(request.ctx, request.params.id, request.body.buttons as ButtonSpec[]),
  );
  app.post(
    '/accounts/:id/menu/publish',
    {
      schema: {
        tags: menus,
        summary: '发布菜单到微信 / Publish the menu to WeChat',
        params: IdParams,
        response: withErrors({ 200: Menu, 502: Type.Ref('Error') }),
      },
    },
    (request) => publishMenu(request.ctx, deps, request.params.id),
  );

  // --- channel QR codes ---
  const qr = ['qrcodes'];
  app.get(
    '/qrcodes',
    {
      schema: {
        tags: qr,
        summary: '渠道二维码及其带来的粉丝数 / Channel QR codes with follower counts',
        querystring: Type.Object({ account_id: Type.Optional(Type.String({ maxLength: 64 })) }),
        response: withErrors({ 200: Type.Array(QrCode) }),
      },
    },
    (request) => listQrCodes(request.ctx, deps, request.query),
  );
  app.post(
    '/qrcodes',
    {
      schema: {
        tags: qr,
        summary: '新建渠道二维码 / Create a channel QR code',
        body: Type.Object({
          account_id: Type.String({ maxLength: 64 }),
          name: Type.String({ minLength: 1, maxLength: 60 }),
          permanent: Type.Optional(Type.Boolean()),
          expire_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 30 })),
        }),
        response: withErrors({ 201: QrCode, 502: Type.Ref('Error') }),
      },
    },
    async (request, reply) => {
      reply.status(201);
      return createQrCode(request.ctx, deps, request.body);
    },
  );
  app.get(
    '/qrcodes/:id',
    { schema: { tags: qr, params: IdParams, response: withErrors({ 200: QrCode }) } },
    (request) => getQrCode(request.ctx, deps, request.params.id),
  );

  // --- followers ---
  const fans = ['followers'];
  app.get(
    '/followers',
    {
      schema: {
        tags: fans,
        summary: '粉丝列表 / Followers',
        querystring: Type.Object({
          account_id: Type.Optional(Type.String({ maxLength: 64 })),
          subscribed: Type.Optional(Type.Boolean()),
          source_qrcode_id: Type.Optional(Type.String({ maxLength: 64 })),
          tag: Type.Optional(Type.String({ maxLength: 30 })),
          q: Type.Optional(Type.String({ maxLength: 64 })),
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
          cursor: Type.Optional(Type.String({ maxLength: 64 })),
        }),
        response: withErrors({
          200: Type.Object({ items: Type.Array(Follower), next_cursor: Nullable(Type.String()) }),
        }),
      },
    },
    (request) => listFollowers(request.ctx, request.query),
  );
  app.get(
    '/followers/:id',
    {
      schema: {
        tags: fans,
        params: IdParams,
        response: withErrors({
          200: Type.Intersect([
            Follower,
            Type.Object({
              scans: Type.Array(
                Type.Object({ qrcode_id: Type.String(), kind: Type.String(), created_at: Type.Integer() }),
              ),
            }),
          ]),
        }),
      },
    },
    (request) => getFollower(request.ctx, request.params.id),
  );
}
