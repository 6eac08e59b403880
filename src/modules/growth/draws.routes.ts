import { Type } from '@fastify/type-provider-typebox';
import type { Api, AppDeps } from '../../deps.ts';
import { IdParams, withErrors } from '../../platform/http/schemas.ts';
import { OrderSchema, requireFan } from '../orders/index.ts';
import { drawAudit, fanResults } from './draw-results.ts';
import { claimDrawGoods } from './draws.jobs.ts';
import { createDraw, endDraw, getDraw, listDraws, play } from './draws.service.ts';

const tags = ['growth'];
const NullableString = Type.Union([Type.String(), Type.Null()]);

const Prize = Type.Object({
  id: Type.String(),
  position: Type.Integer(),
  name: Type.String(),
  kind: Type.String(),
  coupon_campaign_id: NullableString,
  sku_id: NullableString,
  points: Type.Integer({ description: 'for a points prize: the points it gives' }),
  odds: Type.Integer(),
  stock: Type.Integer(),
  won: Type.Integer(),
});
const Draw = Type.Object({
  id: Type.String(),
  account_id: Type.String(),
  name: Type.String(),
  entry_rule: Type.String(),
  min_order_total: Type.Integer(),
  entry_points: Type.Integer({ description: 'for the points rule: what one play costs' }),
  status: Type.String(),
  seed_hash: Type.String({ description: 'sha256(seed), published before the first play' }),
  seed: Type.Union([Type.String(), Type.Null()], { description: 'revealed when the draw ends' }),
  starts_at: Type.Integer(),
  ends_at: Type.Integer(),
  plays: Type.Integer(),
  created_at: Type.Integer(),
  prizes: Type.Array(Prize),
});
const Address = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 40 }),
  phone: Type.String({ minLength: 5, maxLength: 20 }),
  region: Type.String({ minLength: 1, maxLength: 80 }),
  detail: Type.String({ minLength: 1, maxLength: 200 }),
});

/** Admin: lucky draws (prizes with odds and stock), ending one reveals its seed; the audit. */
export function drawAdminRoutes(app: Api): void {
  app.get(
    '/growth/draws',
    { schema: { tags, summary: '抽奖活动 / Lucky draws', response: withErrors({ 200: Type.Array(Draw) }) } },
    async (request) => listDraws(request.ctx),
  );
  app.post(
    '/growth/draws',
    {
      schema: {
        tags,
        body: Type.Object({
          account_id: Type.String({ maxLength: 64 }),
          name: Type.String({ minLength: 1, maxLength: 40 }),
          entry_rule: Type.Union([
            Type.Literal('daily'),
            Type.Literal('order'),
            Type.Literal('once'),
            Type.Literal('points'),
          ]),
          min_order_total: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000_000 })),
          entry_points: Type.Optional(
            Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'points one play costs' }),
          ),
          starts_at: Type.Optional(Type.Integer({ minimum: 0 })),
          ends_at: Type.Integer({ minimum: 0 }),
          prizes: Type.Array(
            Type.Object({
              name: Type.String({ minLength: 1, maxLength: 40 }),
              kind: Type.Union([
                Type.Literal('coupon'),
                Type.Literal('goods'),
                Type.Literal('points'),
                Type.Literal('nothing'),
              ]),
              coupon_campaign_id: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
              sku_id: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
              points: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
              odds: Type.Integer({ minimum: 0, maximum: 10_000, description: 'chance out of 10,000' }),
              stock: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
            }),
            { minItems: 1, maxItems: 12 },
          ),
        }),
        response: withErrors({ 201: Draw }),
      },
    },
    async (request, reply) => reply.status(201).send(await createDraw(request.ctx, request.body)),
  );
  app.get(
    '/growth/draws/:id',
    { schema: { tags, params: IdParams, response: withErrors({ 200: Draw }) } },
    async (request) => getDraw(request.ctx, request.params.id),
  );
  app.post(
    '/growth/draws/:id/end',
    {
      schema: {
        tags,
        summary: '结束并公布种子 / End the draw and reveal its seed',
        params: IdParams,
        response: withErrors({ 200: Draw }),
      },
    },
    async (request) => endDraw(request.ctx, request.params.id),
  );
  app.get(
    '/growth/draws/:id/audit',
    {
      schema: {
        tags,
        summary: '抽奖公证数据 / What anyone needs to recompute every roll',
        params: IdParams,
        response: withErrors({
          200: Type.Object({
            draw_id: Type.String(),
            seed_hash: Type.String(),
            seed: NullableString,
            algorithm: Type.String(),
            prizes: Type.Array(
              Type.Object({
                id: Type.String(),
                name: Type.String(),
                kind: Type.String(),
                points: Type.Integer(),
                position: Type.Integer(),
                odds: Type.Integer(),
                stock: Type.Integer(),
                won: Type.Integer(),
              }),
            ),
            results: Type.Array(
              Type.Object({
                id: Type.String(),
                account_id: Type.String(),
                openid: Type.String(),
                entry_ref: Type.String(),
                roll: Type.Integer(),
                rolled_prize_id: NullableString,
                prize_id: NullableString,
                outcome: Type.String(),
                points_spent: Type.Integer(),
                points_awarded: Type.Integer(),
              }),
            ),
          }),
        }),
      },
    },
    async (request) => drawAudit(request.ctx, request.params.id),
  );
}

const Result = Type.Object({
  id: Type.String(),
  draw_id: Type.String(),
  entry_ref: Type.String(),
  outcome: Type.String(),
  coupon_id: NullableString,
  order_id: NullableString,
  points_spent: Type.Integer(),
  points_awarded: Type.Integer(),
  created_at: Type.Integer(),
  prize_name: NullableString,
  prize_points: Type.Union([Type.Integer(), Type.Null()]),
  prize_kind: NullableString,
  draw_name: Type.String(),
});

/** The fan's side: play once per chance, see the results, send an address for goods. */
export function drawShopRoutes(app: Api, deps: AppDeps): void {
  const shopTags = ['shop'];
  const WithId = Type.Object({ appid: Type.String({ maxLength: 32 }), id: Type.String({ maxLength: 64 }) });
  app.post(
    '/shop/:appid/api/draws/:id/play',
    {
      schema: {
        tags: shopTags,
        summary: '抽奖 / Play the draw once for this chance',
        params: WithId,
        body: Type.Object({ order_id: Type.Optional(Type.String({ maxLength: 64 })) }),
        response: withErrors({
          201: Type.Object({
            id: Type.String(),
            outcome: Type.String(),
            roll: Type.Integer(),
            entry_ref: Type.String(),
            points_spent: Type.Integer(),
            points_balance: Type.Union([Type.Integer(), Type.Null()], {
              description: 'the fan’s points after a play bought with points',
            }),
            prize: Type.Union([
              Type.Object({
                id: Type.String(),
                name: Type.String(),
                kind: Type.String(),
                points: Type.Integer(),
              }),
              Type.Null(),
            ]),
          }),
        }),
      },
    },
    async (request, reply) => {
      const result = await play(await requireFan(deps, request), request.params.id, request.body);
      return reply.status(201).send({
        ...result,
        prize: result.prize && {
          id: result.prize.id,
          name: result.prize.name,
          kind: result.prize.kind,
          points: result.prize.points,
        },
      });
    },
  );
  app.get(
    '/shop/:appid/api/draw-results',
    {
      schema: {
        tags: shopTags,
        params: Type.Object({ appid: Type.String({ maxLength: 32 }) }),
        response: withErrors({ 200: Type.Array(Result) }),
      },
    },
    async (request) => fanResults(await requireFan(deps, request)),
  );
  app.post(
    '/shop/:appid/api/draw-results/:id/claim',
    {
      schema: {
        tags: shopTags,
        summary: '填写地址领取实物奖品 / Send the address for a goods prize',
        params: WithId,
        body: Type.Object({ address: Address }),
        response: withErrors({ 201: OrderSchema }),
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(await claimDrawGoods(await requireFan(deps, request), request.params.id, request.body.address)),
  );
}
