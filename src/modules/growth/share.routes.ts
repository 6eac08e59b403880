import { Type } from '@fastify/type-provider-typebox';
import type { Api, AppDeps } from '../../deps.ts';
import { IdParams, withErrors } from '../../platform/http/schemas.ts';
import { requireFan } from '../orders/index.ts';
import {
  campaignShares,
  createShareCampaign,
  endShareCampaign,
  getShareCampaign,
  listShareCampaigns,
  myShare,
  shareCampaign,
} from './share.service.ts';

const tags = ['growth'];
const NullableString = Type.Union([Type.String(), Type.Null()]);
const NullableInt = Type.Union([Type.Integer(), Type.Null()]);

const ShareCampaign = Type.Object({
  id: Type.String(),
  account_id: Type.String(),
  name: Type.String(),
  share_title: Type.String(),
  share_desc: Type.String(),
  product_id: NullableString,
  required_opens: Type.Integer(),
  coupon_campaign_id: Type.String(),
  status: Type.String(),
  ends_at: Type.Integer(),
  shares: Type.Integer(),
  unlocked: Type.Integer(),
  created_at: Type.Integer(),
  updated_at: Type.Integer(),
});

/** Admin: share-to-unlock campaigns and the shares fans made of them. */
export function shareAdminRoutes(app: Api): void {
  app.get(
    '/growth/share-campaigns',
    {
      schema: {
        tags,
        summary: '分享解锁优惠券 / Share-to-unlock campaigns',
        response: withErrors({ 200: Type.Array(ShareCampaign) }),
      },
    },
    async (request) => listShareCampaigns(request.ctx),
  );
  app.post(
    '/growth/share-campaigns',
    {
      schema: {
        tags,
        body: Type.Object({
          account_id: Type.String({ maxLength: 64 }),
          name: Type.String({ minLength: 1, maxLength: 40 }),
          share_title: Type.String({ minLength: 1, maxLength: 60 }),
          share_desc: Type.Optional(Type.String({ maxLength: 120 })),
          product_id: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
          required_opens: Type.Integer({ minimum: 1, maximum: 100 }),
          coupon_campaign_id: Type.String({ maxLength: 64 }),
          ends_at: Type.Integer({ minimum: 0 }),
        }),
        response: withErrors({ 201: ShareCampaign }),
      },
    },
    async (request, reply) => reply.status(201).send(await createShareCampaign(request.ctx, request.body)),
  );
  app.get(
    '/growth/share-campaigns/:id',
    { schema: { tags, params: IdParams, response: withErrors({ 200: ShareCampaign }) } },
    async (request) => getShareCampaign(request.ctx, request.params.id),
  );
  app.post(
    '/growth/share-campaigns/:id/end',
    { schema: { tags, params: IdParams, response: withErrors({ 200: ShareCampaign }) } },
    async (request) => endShareCampaign(request.ctx, request.params.id),
  );
  app.get(
    '/growth/share-campaigns/:id/shares',
    {
      schema: {
        tags,
        summary: '粉丝的分享与好友打开数 / Fans’ shares and distinct friends who opened them',
        params: IdParams,
        response: withErrors({
          200: Type.Array(
            Type.Object({
              id: Type.String(),
              openid: Type.String(),
              opens: Type.Integer(),
              unlocked_at: NullableInt,
              coupon_id: NullableString,
              created_at: Type.Integer(),
            }),
          ),
        }),
      },
    },
    async (request) => campaignShares(request.ctx, request.params.id),
  );
}

/** The fan's side: my share link of a campaign and how many friends opened it. */
export function shareShopRoutes(app: Api, deps: AppDeps): void {
  app.get(
    '/shop/:appid/api/share-campaigns/:id/mine',
    {
      schema: {
        tags: ['shop'],
        params: Type.Object({ appid: Type.String({ maxLength: 32 }), id: Type.String({ maxLength: 64 }) }),
        response: withErrors({
          200: Type.Object({
            link: Type.String(),
            opens: Type.Integer(),
            required_opens: Type.Integer(),
            unlocked: Type.Boolean(),
            coupon_id: NullableString,
          }),
        }),
      },
    },
    async (request) => {
      const fan = await requireFan(deps, request);
      const share = await myShare(fan, request.params.id);
      const campaign = await shareCampaign(fan, share.campaign_id);
      return {
        link: `${deps.config.publicUrl}/shop/${request.params.appid}/s/${share.token}`,
        opens: share.opens,
        required_opens: campaign.required_opens,
        unlocked: share.unlocked_at !== null,
        coupon_id: share.coupon_id,
      };
    },
  );
}
