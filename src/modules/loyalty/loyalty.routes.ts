import { Type } from '@fastify/type-provider-typebox';
import type { Api, AppDeps } from '../../deps.ts';
import { IdParams, withErrors } from '../../platform/http/schemas.ts';
import { buyerOf, OrderSchema, requireFan } from '../orders/index.ts';
import { checkoutWithCard } from './card-checkout.ts';
import { adjustCard, cardOfFan, issueCard, listCards } from './cards.service.ts';
import { chargeByCode, checkCode } from './codes.service.ts';
import { checkIn } from './earn.service.ts';
import { createStoreCode, listStoreCodes } from './join.service.ts';
import {
  AdjustBody,
  CardDetail,
  CardOrderBody,
  CardPage,
  CardSchema,
  ProgramBody,
  ProgramSchema,
  ReportSchema,
} from './loyalty.schemas.ts';
import { getProgram, saveProgram } from './program.service.ts';
import { cardDetail, loyaltyReport } from './report.service.ts';
import { rewardAdminRoutes, rewardShopRoutes } from './rewards.routes.ts';
import { startTopUp } from './topup.service.ts';
import { listTopUps, refundTopUp } from './topup-refund.service.ts';

const tags = ['loyalty'];

const StoreCode = Type.Object({
  qrcode_id: Type.String(),
  store_id: Type.String(),
  store_name: Type.String(),
  scene: Type.String(),
  image_url: Type.String(),
});

/** Admin: the card program, cards and their ledgers, owner adjustments, the report. */
export function loyaltyAdminRoutes(app: Api, deps: Pick<AppDeps, 'wakeJobs'>): void {
  app.get(
    '/loyalty/program',
    { schema: { tags, summary: '会员卡方案 / Card program', response: withErrors({ 200: ProgramSchema }) } },
    async (request) => getProgram(request.ctx),
  );
  app.put(
    '/loyalty/program',
    {
      schema: {
        tags,
        summary: '保存会员卡方案 / Save the card program',
        body: ProgramBody,
        response: withErrors({ 200: ProgramSchema }),
      },
    },
    async (request) => saveProgram(request.ctx, request.body),
  );
  app.get(
    '/loyalty/cards',
    {
      schema: {
        tags,
        summary: '会员卡列表 / Cards',
        querystring: Type.Object({
          level: Type.Optional(Type.String({ maxLength: 20 })),
          cursor: Type.Optional(Type.String({ maxLength: 64 })),
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
        }),
        response: withErrors({ 200: CardPage }),
      },
    },
    async (request) => listCards(request.ctx, request.query),
  );
  app.post(
    '/loyalty/store-codes',
    {
      schema: {
        tags,
        summary: '门店开卡二维码 / A store QR that issues the card',
        body: Type.Object({
          account_id: Type.String({ maxLength: 64 }),
          store_id: Type.String({ maxLength: 64 }),
        }),
        response: withErrors({ 201: StoreCode }),
      },
    },
    async (request, reply) => reply.status(201).send(await createStoreCode(request.ctx, request.body)),
  );
  app.get(
    '/loyalty/store-codes',
    {
      schema: {
        tags,
        summary: '门店开卡二维码列表 / Store QR codes',
        response: withErrors({
          200: Type.Array(
            Type.Object({
              account_id: Type.String(),
              scene: Type.String(),
              store_id: Type.String(),
              qrcode_id: Type.String(),
              created_at: Type.Integer(),
            }),
          ),
        }),
      },
    },
    async (request) => listStoreCodes(request.ctx),
  );
  app.post(
    '/loyalty/charge',
    {
      schema: {
        tags,
        summary: '店员扫会员码扣储值或积分 / A clerk charges a card from its QR',
        body: Type.Object({
          code: Type.String({ minLength: 6, maxLength: 32, pattern: '^[0-9 ]+$' }),
          amount: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000_000 })),
          points: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000_000 })),
          note: Type.Optional(Type.String({ maxLength: 200 })),
        }),
        response: withErrors({ 200: CardSchema }),
      },
    },
    async (request) =>
      chargeByCode(request.ctx, { ...request.body, code: request.body.code.replace(/\s/g, '') }),
  );
  app.post(
    '/loyalty/charge/check',
    {
      schema: {
        tags,
        summary: '店员查看会员码对应的卡（不消耗）/ A clerk looks up a card code (not used up)',
        body: Type.Object({ code: Type.String({ minLength: 6, maxLength: 32, pattern: '^[0-9 ]+$' }) }),
        response: withErrors({
          200: Type.Object({
            number: Type.String(),
            level: Type.String(),
            points: Type.Integer(),
            balance: Type.Integer(),
            points_per_yuan: Type.Integer(),
            expires_at: Type.Integer(),
          }),
        }),
      },
    },
    async (request) => checkCode(request.ctx, request.body.code.replace(/\s/g, '')),
  );
  app.get(
    '/loyalty/report',
    { schema: { tags, summary: '会员报表 / Loyalty report', response: withErrors({ 200: ReportSchema }) } },
    async (request) => loyaltyReport(request.ctx),
  );
  app.get(
    '/loyalty/cards/:id',
    {
      schema: {
        tags,
        summary: '会员卡与流水 / A card and its ledgers',
        params: IdParams,
        response: withErrors({ 200: CardDetail }),
      },
    },
    async (request) => cardDetail(request.ctx, request.params.id),
  );
  app.post(
    '/loyalty/cards/:id/adjustments',
    {
      schema: {
        tags,
        summary: '调整积分或储值（仅店主，需原因）/ Adjust points or stored value (owner, with a reason)',
        params: IdParams,
        body: AdjustBody,
        response: withErrors({ 200: CardSchema }),
      },
    },
    async (request) => adjustCard(request.ctx, request.params.id, request.body),
  );
  const TopUp = Type.Object({
    id: Type.String(),
    card_id: Type.String(),
    amount: Type.Integer(),
    bonus: Type.Integer(),
    charge_id: Type.Union([Type.String(), Type.Null()]),
    status: Type.String(),
    created_at: Type.Integer(),
    credited_at: Type.Union([Type.Integer(), Type.Null()]),
    refund_amount: Type.Union([Type.Integer(), Type.Null()]),
    bonus_back: Type.Union([Type.Integer(), Type.Null()]),
    refunded_at: Type.Union([Type.Integer(), Type.Null()]),
  });
  app.get(
    '/loyalty/topups',
    {
      schema: {
        tags,
        summary: '储值充值记录 / Top-ups',
        querystring: Type.Object({ card_id: Type.Optional(Type.String({ maxLength: 64 })) }),
        response: withErrors({ 200: Type.Array(TopUp) }),
      },
    },
    async (request) => listTopUps(request.ctx, request.query),
  );
  app.post(
    '/loyalty/topups/:id/refund',
    {
      schema: {
        tags,
        summary: '退还充值中未使用的部分（赠送金额收回）/ Refund the unspent part of a top-up',
        params: IdParams,
        response: withErrors({ 200: TopUp }),
      },
    },
    async (request) => {
      const topup = await refundTopUp(request.ctx, request.params.id);
      deps.wakeJobs();
      return topup;
    },
  );
  rewardAdminRoutes(app);
}

/** The fan's side: the card, joining, check-in, checkout with the card. */
export function loyaltyShopRoutes(app: Api, deps: AppDeps): void {
  rewardShopRoutes(app, deps);
  const Params = Type.Object({ appid: Type.String({ maxLength: 32 }) });
  const shopTags = ['shop'];
  const FanCard = Type.Object({
    program: ProgramSchema,
    card: Type.Union([CardSchema, Type.Null()]),
  });

  app.get(
    '/shop/:appid/api/loyalty/card',
    { schema: { tags: shopTags, params: Params, response: withErrors({ 200: FanCard }) } },
    async (request) => {
      const ctx = await requireFan(deps, request);
      const { accountId, openid } = buyerOf(ctx);
      return { program: await getProgram(ctx), card: await cardOfFan(ctx, accountId, openid) };
    },
  );
  app.post(
    '/shop/:appid/api/loyalty/card',
    {
      schema: {
        tags: shopTags,
        summary: '领取会员卡 / Get the member card',
        params: Params,
        response: withErrors({ 200: CardSchema }),
      },
    },
    async (request) => {
      const ctx = await requireFan(deps, request);
      const { accountId, openid } = buyerOf(ctx);
      return (await issueCard(ctx, { accountId, openid, source: 'shop' })).card;
    },
  );
  app.post(
    '/shop/:appid/api/loyalty/checkin',
    {
      schema: {
        tags: shopTags,
        summary: '每日签到 / Daily check-in',
        params: Params,
        response: withErrors({ 200: Type.Object({ points: Type.Integer(), already: Type.Boolean() }) }),
      },
    },
    async (request) => {
      const ctx = await requireFan(deps, request);
      const { accountId, openid } = buyerOf(ctx);
      return checkIn(ctx, accountId, openid);
    },
  );
  app.post(
    '/shop/:appid/api/loyalty/topups',
    {
      schema: {
        tags: shopTags,
        summary: '储值充值（微信支付）/ Top up stored value with WeChat Pay',
        params: Params,
        body: Type.Object({ amount: Type.Integer({ minimum: 100, maximum: 5_000_000 }) }),
        response: withErrors({
          201: Type.Object({
            topup_id: Type.String(),
            amount: Type.Integer(),
            bonus: Type.Integer(),
            pay_params: Type.Record(Type.String(), Type.String()),
          }),
        }),
      },
    },
    async (request, reply) =>
      reply.status(201).send(await startTopUp(await requireFan(deps, request), request.body.amount)),
  );
  app.post(
    '/shop/:appid/api/loyalty/orders',
    {
      schema: {
        tags: shopTags,
        summary: '用会员卡下单（等级折扣、积分、储值）/ Order with the member card',
        params: Params,
        body: CardOrderBody,
        response: withErrors({ 201: OrderSchema }),
      },
    },
    async (request, reply) => {
      const ctx = await requireFan(deps, request);
      const { points, use_balance, ...input } = request.body;
      const order = await checkoutWithCard(ctx, input, { points, use_balance });
      deps.wakeJobs();
      return reply.status(201).send(order);
    },
  );
}
