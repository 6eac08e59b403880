import { Type } from '@fastify/type-provider-typebox';
import type { Api, AppDeps } from '../../deps.ts';
import { IdParams, withErrors } from '../../platform/http/schemas.ts';
import { logTail } from '../crm/index.ts';
import { OrderSchema, requireFan } from '../orders/index.ts';
import { claimTrialPrize, fanTrialEntries, trialTail } from './trials.jobs.ts';
import { createTrial, drawTrial, getTrial, listEntries, listTrials, trialAudit } from './trials.service.ts';

const tags = ['growth'];

const Trial = Type.Object({
  id: Type.String(),
  account_id: Type.String(),
  title: Type.String(),
  product_id: Type.String(),
  sku_id: Type.String(),
  units: Type.Integer(),
  keyword: Type.String(),
  status: Type.String(),
  seed_hash: Type.String({ description: 'sha256(seed), published before the draw' }),
  seed: Type.Union([Type.String(), Type.Null()], { description: 'revealed by the draw' }),
  draw_mode: Type.Union([Type.String(), Type.Null()]),
  consolation_campaign_id: Type.Union([Type.String(), Type.Null()]),
  closes_at: Type.Integer(),
  entry_count: Type.Integer(),
  reply_rule_id: Type.Union([Type.String(), Type.Null()]),
  drawn_at: Type.Union([Type.Integer(), Type.Null()]),
  created_at: Type.Integer(),
  updated_at: Type.Integer(),
});

const Entry = Type.Object({
  id: Type.String(),
  account_id: Type.String(),
  openid: Type.String(),
  reason: Type.String(),
  message_id: Type.String(),
  status: Type.String(),
  prize: Type.String(),
  order_id: Type.Union([Type.String(), Type.Null()]),
  coupon_id: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.Integer(),
  member: Type.Union([
    Type.Object({
      id: Type.String(),
      name: Type.Union([Type.String(), Type.Null()]),
      tags: Type.Array(Type.String()),
      order_count: Type.Integer(),
      spend: Type.Integer(),
    }),
    Type.Null(),
  ]),
});

const Address = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 40 }),
  phone: Type.String({ minLength: 5, maxLength: 20 }),
  region: Type.String({ minLength: 1, maxLength: 80 }),
  detail: Type.String({ minLength: 1, maxLength: 200 }),
});

/** Admin: trials, their entries with the member beside each, the draw and its audit. */
export function growthAdminRoutes(app: Api, deps: AppDeps): void {
  app.get(
    '/growth/trials',
    { schema: { tags, summary: '试用活动 / Trials', response: withErrors({ 200: Type.Array(Trial) }) } },
    async (request) => {
      await trialTail(deps)();
      return listTrials(request.ctx);
    },
  );
  app.post(
    '/growth/trials',
    {
      schema: {
        tags,
        body: Type.Object({
          account_id: Type.String({ maxLength: 64 }),
          title: Type.String({ minLength: 1, maxLength: 60 }),
          sku_id: Type.String({ maxLength: 64 }),
          units: Type.Integer({ minimum: 1, maximum: 100_000 }),
          keyword: Type.String({ minLength: 1, maxLength: 20 }),
          closes_at: Type.Integer({ minimum: 0 }),
          consolation_campaign_id: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
          reply_text: Type.Optional(Type.String({ maxLength: 600 })),
        }),
        response: withErrors({ 201: Trial }),
      },
    },
    async (request, reply) => reply.status(201).send(await createTrial(request.ctx, request.body)),
  );
  app.get(
    '/growth/trials/:id',
    { schema: { tags, params: IdParams, response: withErrors({ 200: Trial }) } },
    async (request) => {
      await trialTail(deps)();
      return getTrial(request.ctx, request.params.id);
    },
  );
  app.get(
    '/growth/trials/:id/entries',
    {
      schema: {
        tags,
        summary: '报名列表（含会员资料）/ Entries with the member profile',
        params: IdParams,
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
          cursor: Type.Optional(Type.String({ maxLength: 64 })),
          status: Type.Optional(
            Type.Union([Type.Literal('entered'), Type.Literal('won'), Type.Literal('lost')]),
          ),
        }),
        response: withErrors({
          200: Type.Object({
            items: Type.Array(Entry),
            next_cursor: Type.Union([Type.String(), Type.Null()]),
          }),
        }),
      },
    },
    async (request) => {
      // Both readers of the log catch up, so a fresh entry is listed with its CRM member.
      await Promise.all([trialTail(deps)(), logTail(deps)()]);
      return listEntries(request.ctx, request.params.id, request.query);
    },
  );
  app.post(
    '/growth/trials/:id/draw',
    {
      schema: {
        tags,
        summary: '开奖：公开种子随机抽取或手动选择 / Draw by the published seed, or pick by hand',
        params: IdParams,
        body: Type.Object({
          mode: Type.Union([Type.Literal('random'), Type.Literal('manual')]),
          entry_ids: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100_000 })),
        }),
        response: withErrors({ 200: Trial }),
      },
    },
    async (request) => {
      await trialTail(deps)();
      return drawTrial(request.ctx, request.params.id, request.body);
    },
  );
  app.get(
    '/growth/trials/:id/audit',
    {
      schema: {
        tags,
        summary: '开奖公证数据 / What anyone needs to recompute the draw',
        params: IdParams,
        response: withErrors({
          200: Type.Object({
            trial_id: Type.String(),
            units: Type.Integer(),
            seed_hash: Type.String(),
            seed: Type.Union([Type.String(), Type.Null()]),
            draw_mode: Type.Union([Type.String(), Type.Null()]),
            algorithm: Type.String(),
            entries: Type.Array(Type.Object({ id: Type.String(), won: Type.Boolean() })),
          }),
        }),
      },
    },
    async (request) => trialAudit(request.ctx, request.params.id),
  );
}

/** The fan's side: my trial entries, and the address for a prize won without a saved one. */
export function growthShopRoutes(app: Api, deps: AppDeps): void {
  const shopTags = ['shop'];
  const Params = Type.Object({ appid: Type.String({ maxLength: 32 }) });
  const WithId = Type.Object({ appid: Type.String({ maxLength: 32 }), id: Type.String({ maxLength: 64 }) });
  app.get(
    '/shop/:appid/api/trial-entries',
    {
      schema: {
        tags: shopTags,
        params: Params,
        response: withErrors({
          200: Type.Array(
            Type.Object({
              id: Type.String(),
              title: Type.String(),
              status: Type.String(),
              prize: Type.String(),
              order_id: Type.Union([Type.String(), Type.Null()]),
              reason: Type.String(),
              created_at: Type.Integer(),
            }),
          ),
        }),
      },
    },
    async (request) => fanTrialEntries(await requireFan(deps, request)),
  );
  app.post(
    '/shop/:appid/api/trial-entries/:id/claim',
    {
      schema: {
        tags: shopTags,
        summary: '填写地址领取试用 / Send the address for a won trial',
        params: WithId,
        body: Type.Object({ address: Address }),
        response: withErrors({ 201: OrderSchema }),
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(
          await claimTrialPrize(await requireFan(deps, request), request.params.id, request.body.address),
        ),
  );
}
