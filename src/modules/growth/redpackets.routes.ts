import { Type } from '@fastify/type-provider-typebox';
import type { Api, AppDeps } from '../../deps.ts';
import { conflict, forbidden } from '../../platform/http/errors.ts';
import { IdParams, withErrors } from '../../platform/http/schemas.ts';
import { requireFan } from '../orders/index.ts';
import {
  AlreadyClaimed,
  campaignPackets,
  claimRedPacket,
  createRedPacketCampaign,
  getRedPacketCampaign,
  listRedPacketCampaigns,
  redPacketCampaign,
} from './redpackets.service.ts';

const tags = ['growth'];
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

const Campaign = Type.Object({
  id: Type.String(),
  account_id: Type.String(),
  name: Type.String(),
  budget: Type.Integer(),
  spent: Type.Integer(),
  claims: Type.Integer(),
  amount_min: Type.Integer(),
  amount_max: Type.Integer(),
  trigger: Type.String(),
  keyword: Nullable(Type.String()),
  min_order_total: Type.Integer(),
  scene: Nullable(Type.String()),
  status: Type.String(),
  created_at: Type.Integer(),
  updated_at: Type.Integer(),
});
const Packet = Type.Object({
  id: Type.String(),
  campaign_id: Type.String(),
  account_id: Type.String(),
  openid: Type.String(),
  amount: Type.Integer(),
  status: Type.String(),
  source_ref: Type.String(),
  batch_id: Nullable(Type.String()),
  error: Nullable(Type.String()),
  created_at: Type.Integer(),
  paid_at: Type.Union([Type.Integer(), Type.Null()]),
});

/** Admin: red-packet campaigns (budget, spent, claims) and their packets. */
export function redPacketAdminRoutes(app: Api): void {
  app.get(
    '/growth/red-packets',
    {
      schema: {
        tags,
        summary: '红包活动 / Red packets',
        response: withErrors({ 200: Type.Array(Campaign) }),
      },
    },
    async (request) => listRedPacketCampaigns(request.ctx),
  );
  app.post(
    '/growth/red-packets',
    {
      schema: {
        tags,
        body: Type.Object({
          account_id: Type.String({ maxLength: 64 }),
          name: Type.String({ minLength: 1, maxLength: 32 }),
          budget: Type.Integer({ minimum: 10, maximum: 1_000_000_000 }),
          amount_min: Type.Integer({ minimum: 10, maximum: 20_000 }),
          amount_max: Type.Integer({ minimum: 10, maximum: 20_000 }),
          trigger: Type.Union([
            Type.Literal('keyword'),
            Type.Literal('paid'),
            Type.Literal('link'),
            Type.Literal('follow'),
          ]),
          scene: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
          keyword: Type.Optional(Type.Union([Type.String({ maxLength: 20 }), Type.Null()])),
          min_order_total: Type.Optional(Type.Integer({ minimum: 0 })),
        }),
        response: withErrors({ 201: Campaign }),
      },
    },
    async (request, reply) =>
      reply.status(201).send(await createRedPacketCampaign(request.ctx, request.body)),
  );
  app.get(
    '/growth/red-packets/:id',
    { schema: { tags, params: IdParams, response: withErrors({ 200: Campaign }) } },
    async (request) => redPacketCampaign(request.ctx, request.params.id),
  );
  app.get(
    '/growth/red-packets/:id/packets',
    { schema: { tags, params: IdParams, response: withErrors({ 200: Type.Array(Packet) }) } },
    async (request) => campaignPackets(request.ctx, request.params.id),
  );
}

/** The fan opens a red-packet link and taps 拆 (open): one packet per fan, paid to 零钱. */
export function redPacketShopRoutes(app: Api, deps: AppDeps): void {
  app.post(
    '/shop/:appid/api/red-packets/:id/claim',
    {
      schema: {
        tags: ['shop'],
        params: Type.Object({ appid: Type.String({ maxLength: 32 }), id: Type.String({ maxLength: 64 }) }),
        response: withErrors({
          201: Type.Object({ id: Type.String(), amount: Type.Integer(), status: Type.String() }),
        }),
      },
    },
    async (request, reply) => {
      const fan = await requireFan(deps, request);
      if (fan.actor.kind !== 'fan') throw forbidden();
      const campaign = await getRedPacketCampaign(fan, request.params.id);
      if (campaign.trigger !== 'link')
        throw conflict('not_by_link', '这个红包不能通过链接领取', 'This red packet is not claimed by link');
      try {
        const packet = await claimRedPacket(fan, campaign.id, {
          accountId: fan.actor.accountId,
          openid: fan.actor.openid,
          sourceRef: 'link',
        });
        return reply
          .status(201)
          .send({ id: packet.id, amount: Number(packet.amount), status: packet.status });
      } catch (error) {
        if (error instanceof AlreadyClaimed)
          throw conflict('already_claimed', '你已经领过这个红包了', 'You already have this red packet');
        throw error;
      }
    },
  );
}
