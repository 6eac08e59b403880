import { type TSchema, Type } from '@fastify/type-provider-typebox';
import type { Api } from '../../deps.ts';
import { IdParams, Ok, withErrors } from '../../platform/http/schemas.ts';
import { createTrigger, listTriggers, stopTrigger } from './coupon-issue.service.ts';
import { listPushes, startPush } from './coupon-push.service.ts';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const tags = ['marketing'];

const Trigger = Type.Object({
  id: Type.String(),
  campaign_id: Type.String(),
  kind: Type.String(),
  account_id: Nullable(Type.String()),
  key: Nullable(Type.String()),
  ref_id: Nullable(Type.String()),
  image_url: Nullable(Type.String()),
  min_total: Type.Integer(),
  status: Type.String(),
  issued: Type.Integer(),
  created_at: Type.Integer(),
});

const Push = Type.Object({
  id: Type.String(),
  campaign_id: Type.String(),
  segment_id: Type.String(),
  snapshot_id: Type.String(),
  account_id: Nullable(Type.String()),
  members: Type.Integer(),
  issued: Type.Integer(),
  skipped: Type.Integer(),
  status: Type.String(),
  created_by: Type.String(),
  created_at: Type.Integer(),
  finished_at: Nullable(Type.Integer()),
});

/** Admin: how a campaign is handed out besides its claim page — chat, payment, a segment. */
export function couponIssueRoutes(app: Api): void {
  app.get(
    '/coupon-campaigns/:id/triggers',
    { schema: { tags, params: IdParams, response: withErrors({ 200: Type.Array(Trigger) }) } },
    async (request) => listTriggers(request.ctx, request.params.id),
  );
  app.post(
    '/coupon-campaigns/:id/triggers',
    {
      schema: {
        tags,
        summary: '关键词 / 菜单 / 渠道二维码 / 支付后发券 / Issue by keyword, menu, QR scan or after payment',
        params: IdParams,
        body: Type.Object({
          kind: Type.Union([
            Type.Literal('keyword'),
            Type.Literal('click'),
            Type.Literal('scan'),
            Type.Literal('paid'),
          ]),
          account_id: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 64 }))),
          key: Type.Optional(Nullable(Type.String({ maxLength: 30 }))),
          reply_text: Type.Optional(Nullable(Type.String({ maxLength: 600 }))),
          min_total: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000_000_00 })),
        }),
        response: withErrors({ 201: Trigger }),
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(await createTrigger(request.ctx, { ...request.body, campaign_id: request.params.id })),
  );
  app.delete(
    '/coupon-triggers/:id',
    {
      schema: {
        tags,
        summary: '停止发券 / Stop a trigger',
        params: IdParams,
        response: withErrors({ 200: Ok }),
      },
    },
    async (request) => {
      await stopTrigger(request.ctx, request.params.id);
      return { ok: true };
    },
  );
  app.get(
    '/coupon-campaigns/:id/pushes',
    { schema: { tags, params: IdParams, response: withErrors({ 200: Type.Array(Push) }) } },
    async (request) => listPushes(request.ctx, request.params.id),
  );
  app.post(
    '/coupon-campaigns/:id/pushes',
    {
      schema: {
        tags,
        summary: '向人群发券 / Issue to a CRM segment',
        params: IdParams,
        body: Type.Object({
          segment_id: Type.String({ minLength: 1, maxLength: 64 }),
          account_id: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 64 }))),
        }),
        response: withErrors({ 201: Push }),
      },
    },
    async (request, reply) =>
      reply.status(201).send(await startPush(request.ctx, request.params.id, request.body)),
  );
}
