import { Type } from '@fastify/type-provider-typebox';
import type { Api } from '../../deps.ts';
import { IdParams, withErrors } from '../../platform/http/schemas.ts';
import { getMerchant } from '../tenants/index.ts';
import {
  audienceCount,
  cancelBroadcast,
  createBroadcast,
  getBroadcast,
  listBroadcasts,
  quotaNow,
  scheduleBroadcast,
} from './broadcasts.service.ts';
import { noticeRoutes } from './notices.routes.ts';
import { broadcastReport } from './report.service.ts';
import { previewBroadcast } from './send.service.ts';

const tags = ['messaging'];
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const Audience = Type.Object({
  kind: Type.Union([Type.Literal('tag'), Type.Literal('segment'), Type.Literal('all')]),
  ref: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
});

const Article = Type.Object({
  title: Type.String({ minLength: 1, maxLength: 64 }),
  digest: Type.Optional(Type.String({ maxLength: 120 })),
  body: Type.String({ minLength: 1, maxLength: 20_000 }),
  cover_url: Type.Optional(Type.String({ maxLength: 1024 })),
  link: Type.String({ minLength: 1, maxLength: 1024 }),
});

const BroadcastBody = Type.Object({
  account_id: Type.String({ minLength: 1, maxLength: 64 }),
  title: Type.Optional(Type.String({ maxLength: 64 })),
  kind: Type.Union([Type.Literal('news'), Type.Literal('text'), Type.Literal('image')]),
  articles: Type.Optional(Type.Array(Article, { maxItems: 8 })),
  text: Type.Optional(Type.String({ maxLength: 600 })),
  image_media_id: Type.Optional(Type.String({ maxLength: 128 })),
  audience: Audience,
});

const Broadcast = Type.Object({
  id: Type.String(),
  account_id: Type.String(),
  title: Type.String(),
  kind: Type.String(),
  content: Type.Record(Type.String(), Type.Unknown()),
  audience_kind: Type.String(),
  audience_ref: Nullable(Type.String()),
  snapshot_id: Nullable(Type.String()),
  status: Type.String(),
  scheduled_at: Nullable(Type.Number()),
  started_at: Nullable(Type.Number()),
  finished_at: Nullable(Type.Number()),
  recipients: Type.Number(),
  batches: Type.Number(),
  batches_done: Type.Number(),
  sent: Type.Number(),
  clicks: Type.Number(),
  error: Nullable(Type.String()),
  created_at: Type.Number(),
});

const Quota = Type.Object({
  period: Type.String(),
  allowance: Type.Number(),
  used: Type.Number(),
  left: Type.Number(),
  period_start: Type.Number(),
  period_end: Type.Number(),
});

const Report = Type.Object({
  id: Type.String(),
  title: Type.String(),
  status: Type.String(),
  started_at: Nullable(Type.Number()),
  audience: Type.Number(),
  sent: Type.Number(),
  delivered: Type.Number(),
  read: Type.Number(),
  clicked: Type.Number(),
  ordered: Type.Number(),
  paid: Type.Number(),
  revenue: Type.Number({ description: 'fen' }),
  batches: Type.Number(),
  batches_done: Type.Number(),
  clicks: Type.Number(),
  wechat: Type.Object({
    calls: Type.Number(),
    total: Type.Number(),
    filtered: Type.Number(),
    sent: Type.Number(),
    errors: Type.Number(),
  }),
  reads_by_day: Type.Array(
    Type.Object({ day: Type.String(), users: Type.Number(), cumulative: Type.Number() }),
  ),
  rates: Type.Object({
    reach: Type.Number(),
    read: Type.Number(),
    participation: Type.Number(),
    order: Type.Number(),
    paid: Type.Number(),
  }),
  reach_rate: Type.Number(),
  click_rate: Type.Number(),
  yardsticks: Type.Object({ reach: Type.Number(), read: Type.Number(), participation: Type.Number() }),
});

/** Admin: broadcasts — compose, count the audience, preview, schedule, cancel, quota, report. */
export function messagingRoutes(app: Api): void {
  noticeRoutes(app);
  app.get(
    '/broadcasts',
    { schema: { tags, summary: '群发 / Broadcasts', response: withErrors({ 200: Type.Array(Broadcast) }) } },
    async (request) => listBroadcasts(request.ctx),
  );
  app.post(
    '/broadcasts',
    { schema: { tags, body: BroadcastBody, response: withErrors({ 201: Broadcast }) } },
    async (request, reply) => reply.status(201).send(await createBroadcast(request.ctx, request.body)),
  );
  app.post(
    '/broadcasts/audience-count',
    {
      schema: {
        tags,
        summary: '受众人数 / Audience size now',
        body: Audience,
        response: withErrors({ 200: Type.Object({ count: Type.Number() }) }),
      },
    },
    async (request) => ({ count: await audienceCount(request.ctx, request.body) }),
  );
  app.get(
    '/broadcasts/quota',
    {
      schema: {
        tags,
        summary: '剩余群发次数 / Mass sends left',
        querystring: Type.Object({ account_id: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: withErrors({ 200: Quota }),
      },
    },
    async (request) => quotaNow(request.ctx, request.query.account_id),
  );
  app.get(
    '/broadcasts/:id',
    { schema: { tags, params: IdParams, response: withErrors({ 200: Broadcast }) } },
    async (request) => getBroadcast(request.ctx, request.params.id),
  );
  app.post(
    '/broadcasts/:id/preview',
    {
      schema: {
        tags,
        summary: '预览给测试粉丝 / Preview to test fans',
        params: IdParams,
        body: Type.Object({
          openids: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 10 }),
        }),
        response: withErrors({
          200: Type.Array(
            Type.Object({ openid: Type.String(), ok: Type.Boolean(), error: Nullable(Type.String()) }),
          ),
        }),
      },
    },
    async (request) => previewBroadcast(request.ctx, request.params.id, request.body.openids),
  );
  app.post(
    '/broadcasts/:id/schedule',
    {
      schema: {
        tags,
        summary: '安排发送 / Schedule',
        params: IdParams,
        body: Type.Object({
          at: Type.Optional(Type.Number()),
          preset: Type.Optional(
            Type.Union([Type.Literal('lunch'), Type.Literal('evening'), Type.Literal('now')]),
          ),
          confirm_count: Type.Optional(Type.Number()),
        }),
        response: withErrors({ 200: Broadcast }),
      },
    },
    async (request) => {
      const merchant = await getMerchant(request.ctx);
      return scheduleBroadcast(request.ctx, request.params.id, {
        ...request.body,
        time_zone: merchant.timezone,
      });
    },
  );
  app.post(
    '/broadcasts/:id/cancel',
    {
      schema: { tags, summary: '取消 / Cancel', params: IdParams, response: withErrors({ 200: Broadcast }) },
    },
    async (request) => cancelBroadcast(request.ctx, request.params.id),
  );
  app.get(
    '/broadcasts/:id/report',
    {
      schema: {
        tags,
        summary: '发送报告 / Send report',
        params: IdParams,
        response: withErrors({
          200: Report,
        }),
      },
    },
    async (request) => broadcastReport(request.ctx, request.params.id),
  );
}
