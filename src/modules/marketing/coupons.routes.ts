import { Type } from '@fastify/type-provider-typebox';
import type { Api, AppDeps } from '../../deps.ts';
import { IdParams, withErrors } from '../../platform/http/schemas.ts';
import { OrderSchema, requireFan } from '../orders/index.ts';
import { checkoutWithCoupon, couponOptions, priceItems } from './coupon-checkout.ts';
import { couponIssueRoutes } from './coupon-issue.routes.ts';
import {
  claimCoupon,
  couponReport,
  createCampaign,
  fanCoupons,
  getCampaign,
  listCampaigns,
  updateCampaign,
} from './coupons.service.ts';
import { Campaign, CampaignBody, CouponReportRow, FanCouponSchema, OrderBody } from './marketing.schemas.ts';

const tags = ['marketing'];

/** Admin: coupon campaigns and their report. */
export function couponAdminRoutes(app: Api): void {
  couponIssueRoutes(app);
  app.get(
    '/coupon-campaigns',
    {
      schema: {
        tags,
        summary: '优惠券活动 / Coupon campaigns',
        response: withErrors({ 200: Type.Array(Campaign) }),
      },
    },
    async (request) => listCampaigns(request.ctx),
  );
  app.post(
    '/coupon-campaigns',
    { schema: { tags, body: CampaignBody, response: withErrors({ 201: Campaign }) } },
    async (request, reply) => reply.status(201).send(await createCampaign(request.ctx, request.body)),
  );
  app.get(
    '/coupon-campaigns/report',
    {
      schema: {
        tags,
        summary: '领取 → 使用 → 成交 / Claimed → used → revenue',
        response: withErrors({ 200: Type.Array(CouponReportRow) }),
      },
    },
    async (request) => couponReport(request.ctx),
  );
  app.get(
    '/coupon-campaigns/:id',
    { schema: { tags, params: IdParams, response: withErrors({ 200: Campaign }) } },
    async (request) => getCampaign(request.ctx, request.params.id),
  );
  app.patch(
    '/coupon-campaigns/:id',
    {
      schema: {
        tags,
        params: IdParams,
        body: Type.Object({
          status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('paused')])),
          name: Type.Optional(Type.String({ minLength: 1, maxLength: 60 })),
          total_limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000 })),
          budget: Type.Optional(Type.Integer({ minimum: 0 })),
        }),
        response: withErrors({ 200: Campaign }),
      },
    },
    async (request) => updateCampaign(request.ctx, request.params.id, request.body),
  );
}

/** The fan's side: claim, list, the best coupon for a basket, and checkout with one. */
export function couponShopRoutes(app: Api, deps: AppDeps): void {
  const Params = Type.Object({ appid: Type.String({ maxLength: 32 }) });
  const WithId = Type.Object({ appid: Type.String({ maxLength: 32 }), id: Type.String({ maxLength: 64 }) });
  const Items = Type.Array(
    Type.Object({
      sku_id: Type.String({ maxLength: 64 }),
      quantity: Type.Integer({ minimum: 1, maximum: 999 }),
    }),
    { minItems: 1, maxItems: 50 },
  );
  const shopTags = ['shop'];

  app.post(
    '/shop/:appid/api/coupon-campaigns/:id/claim',
    {
      schema: {
        tags: shopTags,
        summary: '领取优惠券 / Claim a coupon',
        params: WithId,
        response: withErrors({ 201: Type.Object({ id: Type.String(), valid_until: Type.Integer() }) }),
      },
    },
    async (request, reply) => {
      const coupon = await claimCoupon(await requireFan(deps, request), request.params.id);
      return reply.status(201).send({ id: coupon.id, valid_until: coupon.valid_until });
    },
  );

  app.get(
    '/shop/:appid/api/coupons',
    {
      schema: { tags: shopTags, params: Params, response: withErrors({ 200: Type.Array(FanCouponSchema) }) },
    },
    async (request) => fanCoupons(await requireFan(deps, request)),
  );

  app.post(
    '/shop/:appid/api/coupons/options',
    {
      schema: {
        tags: shopTags,
        summary: '本单可用的优惠券，最优在前 / Coupons for this basket, best first',
        params: Params,
        body: Type.Object({ items: Items }),
        response: withErrors({
          200: Type.Array(
            Type.Object({
              coupon_id: Type.String(),
              name: Type.String(),
              kind: Type.String(),
              off: Type.Integer(),
              valid_until: Type.Integer(),
            }),
          ),
        }),
      },
    },
    async (request) => {
      const ctx = await requireFan(deps, request);
      return couponOptions(ctx, await priceItems(ctx, request.body.items));
    },
  );

  app.post(
    '/shop/:appid/api/promo-orders',
    {
      schema: {
        tags: shopTags,
        summary: '用优惠券下单（服务端重算优惠）/ Place an order with a coupon',
        params: Params,
        body: OrderBody,
        response: withErrors({ 201: OrderSchema }),
      },
    },
    async (request, reply) => {
      const ctx = await requireFan(deps, request);
      const { coupon_id, ...input } = request.body;
      const order = await checkoutWithCoupon(ctx, input, coupon_id);
      deps.wakeJobs();
      return reply.status(201).send(order);
    },
  );
}
