import { Type } from '@fastify/type-provider-typebox';
import type { Api, AppDeps } from '../../deps.ts';
import { IdParams, withErrors } from '../../platform/http/schemas.ts';
import { requireFan } from '../orders/index.ts';
import { CardSchema } from './loyalty.schemas.ts';
import { setBirthday } from './perks.service.ts';
import {
  cancelRedemption,
  createReward,
  fulfilRedemption,
  listRedemptions,
  listRewards,
  redeemReward,
  updateReward,
} from './rewards.service.ts';

const Int = Type.Integer();
const RewardBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 40 }),
  description: Type.String({ maxLength: 500 }),
  image_url: Type.String({ maxLength: 500 }),
  points: Type.Integer({ minimum: 1, maximum: 10_000_000 }),
  stock: Type.Union([Type.Integer({ minimum: 0, maximum: 10_000_000 }), Type.Null()]),
  per_card_limit: Type.Integer({ minimum: 0, maximum: 1000 }),
  min_level: Type.String({ maxLength: 20 }),
  status: Type.Union([Type.Literal('active'), Type.Literal('archived')]),
});
const Reward = Type.Intersect([
  RewardBody,
  Type.Object({ id: Type.String(), redeemed: Int, created_at: Int, updated_at: Int }),
]);
const Redemption = Type.Object({
  id: Type.String(),
  reward_id: Type.String(),
  card_id: Type.String(),
  points: Int,
  code: Type.String(),
  status: Type.String(),
  created_at: Int,
  fulfilled_at: Type.Union([Int, Type.Null()]),
  reward_name: Type.Optional(Type.String()),
});
const tags = ['loyalty'];

/** Admin: the rewards catalogue, redemptions, and handing a reward over against its code. */
export function rewardAdminRoutes(app: Api): void {
  app.get(
    '/loyalty/rewards',
    { schema: { tags, summary: '积分礼品 / Rewards', response: withErrors({ 200: Type.Array(Reward) }) } },
    async (request) => listRewards(request.ctx, false),
  );
  app.post(
    '/loyalty/rewards',
    {
      schema: {
        tags,
        summary: '新建积分礼品 / Create a reward',
        body: RewardBody,
        response: withErrors({ 201: Reward }),
      },
    },
    async (request, reply) => reply.status(201).send(await createReward(request.ctx, request.body)),
  );
  app.put(
    '/loyalty/rewards/:id',
    {
      schema: {
        tags,
        summary: '修改积分礼品 / Update a reward',
        params: IdParams,
        body: RewardBody,
        response: withErrors({ 200: Reward }),
      },
    },
    async (request) => updateReward(request.ctx, request.params.id, request.body),
  );
  app.get(
    '/loyalty/redemptions',
    {
      schema: {
        tags,
        summary: '兑换记录 / Redemptions',
        querystring: Type.Object({
          card_id: Type.Optional(Type.String({ maxLength: 64 })),
          reward_id: Type.Optional(Type.String({ maxLength: 64 })),
        }),
        response: withErrors({ 200: Type.Array(Redemption) }),
      },
    },
    async (request) => listRedemptions(request.ctx, request.query),
  );
  app.post(
    '/loyalty/redemptions/fulfil',
    {
      schema: {
        tags,
        summary: '凭兑换码发放礼品 / Hand a reward over against its code',
        body: Type.Object({ code: Type.String({ minLength: 6, maxLength: 20, pattern: '^[0-9 ]+$' }) }),
        response: withErrors({ 200: Redemption }),
      },
    },
    async (request) => fulfilRedemption(request.ctx, request.body.code.replace(/\s/g, '')),
  );
  app.post(
    '/loyalty/redemptions/:id/cancel',
    {
      schema: {
        tags,
        summary: '取消兑换（退回积分）/ Cancel a redemption (points back)',
        params: IdParams,
        response: withErrors({ 200: Redemption }),
      },
    },
    async (request) => cancelRedemption(request.ctx, request.params.id),
  );
}

/** The fan's side: the catalogue, redeeming, the birthday. */
export function rewardShopRoutes(app: Api, deps: AppDeps): void {
  const Params = Type.Object({ appid: Type.String({ maxLength: 32 }) });
  const shopTags = ['shop'];
  app.get(
    '/shop/:appid/api/loyalty/rewards',
    { schema: { tags: shopTags, params: Params, response: withErrors({ 200: Type.Array(Reward) }) } },
    async (request) => listRewards(await requireFan(deps, request), true),
  );
  app.post(
    '/shop/:appid/api/loyalty/rewards/:id/redeem',
    {
      schema: {
        tags: shopTags,
        summary: '积分兑换礼品 / Spend points on a reward',
        params: Type.Object({ appid: Type.String({ maxLength: 32 }), id: Type.String({ maxLength: 64 }) }),
        response: withErrors({ 201: Redemption }),
      },
    },
    async (request, reply) =>
      reply.status(201).send(await redeemReward(await requireFan(deps, request), request.params.id)),
  );
  app.put(
    '/shop/:appid/api/loyalty/birthday',
    {
      schema: {
        tags: shopTags,
        summary: '填写生日（月-日，仅一次）/ Set the birthday (MM-DD, once)',
        params: Params,
        body: Type.Object({ birthday: Type.String({ minLength: 5, maxLength: 5 }) }),
        response: withErrors({ 200: CardSchema }),
      },
    },
    async (request) => setBirthday(await requireFan(deps, request), request.body.birthday),
  );
}
