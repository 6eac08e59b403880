import { Type } from '@fastify/type-provider-typebox';
import type { Api } from '../../deps.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { notFound } from '../../platform/http/errors.ts';
import { IdParams, withErrors } from '../../platform/http/schemas.ts';
import { jsSdkSignature } from '../../wechat/api-client.ts';
import { apiClientFor, listAccounts } from '../accounts/index.ts';
import { collectPickup, findPickup, type OrderView, pickupRefusal } from '../orders/index.ts';
import { VoucherCheck, VoucherEvent, VoucherReport, VoucherSchema } from './marketing.schemas.ts';
import { setDealPolicy, voucherReport } from './voucher-policy.service.ts';
import {
  bindClerk,
  checkVoucher,
  clerkStore,
  findVoucher,
  getVoucher,
  redeemVoucher,
  reverseRedemption,
  voucherHistory,
} from './vouchers.service.ts';

const tags = ['marketing'];
const Code = Type.Object({
  code: Type.String({ minLength: 6, maxLength: 40 }),
  store_id: Type.Optional(Type.String({ maxLength: 64 })),
});

const Pickup = Type.Object({
  order_id: Type.String(),
  status: Type.String(),
  total: Type.Integer(),
  openid: Type.String(),
  items: Type.Array(
    Type.Object({ title: Type.String(), spec_text: Type.String(), quantity: Type.Integer() }),
  ),
  pickup_store_id: Type.String(),
  pickup_code: Type.String(),
  collected_at: Type.Union([Type.Integer(), Type.Null()]),
});
const pickupView = (o: OrderView) => ({
  order_id: o.id,
  status: o.status,
  total: o.total,
  openid: o.openid,
  items: o.items.map((i) => ({ title: i.title, spec_text: i.spec_text, quantity: i.quantity })),
  pickup_store_id: o.pickup_store_id ?? '',
  pickup_code: o.pickup_code ?? '',
  collected_at: o.collected_at,
});

/** Admin and clerk API for group-buy vouchers (the clerk page calls the /clerk ones). */
export function voucherRoutes(app: Api): void {
  app.get(
    '/vouchers',
    {
      schema: {
        tags,
        summary: '按券码查询 / Look a voucher up by code',
        querystring: Type.Object({ code: Type.String({ minLength: 6, maxLength: 40 }) }),
        response: withErrors({ 200: VoucherSchema }),
      },
    },
    async (request) => {
      requireRole(request.ctx, 'operator', 'agent', 'clerk');
      return findVoucher(request.ctx, request.query.code);
    },
  );
  app.get(
    '/vouchers/report',
    {
      schema: {
        tags,
        summary: '各门店每日核销、未核销、过期 / Redemptions per store per day, outstanding, breakage',
        querystring: Type.Object({ from: Type.Integer({ minimum: 0 }), to: Type.Integer({ minimum: 0 }) }),
        response: withErrors({ 200: VoucherReport }),
      },
    },
    async (request) => {
      requireRole(request.ctx, 'operator');
      return voucherReport(request.ctx, request.query);
    },
  );
  app.get(
    '/vouchers/:id',
    {
      schema: {
        tags,
        params: IdParams,
        response: withErrors({
          200: Type.Intersect([VoucherSchema, Type.Object({ events: Type.Array(VoucherEvent) })]),
        }),
      },
    },
    async (request) => {
      requireRole(request.ctx, 'operator', 'agent');
      const voucher = await getVoucher(request.ctx, request.params.id);
      return { ...voucher, events: await voucherHistory(request.ctx, voucher.id) };
    },
  );
  app.post(
    '/vouchers/:id/reverse',
    {
      schema: {
        tags,
        summary: '撤销核销（店长，需原因）/ Reverse a redemption (owner, with a reason)',
        params: IdParams,
        body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: withErrors({ 200: VoucherSchema }),
      },
    },
    async (request) => reverseRedemption(request.ctx, request.params.id, request.body.reason),
  );
  app.put(
    '/clerks/:id/store',
    {
      schema: {
        tags,
        summary: '绑定店员（用户或令牌 id）到门店 / Bind a clerk to a store',
        params: IdParams,
        body: Type.Object({ store_id: Type.String({ maxLength: 64 }) }),
        response: withErrors({
          200: Type.Object({
            principal_id: Type.String(),
            store_id: Type.String(),
            store_name: Type.String(),
          }),
        }),
      },
    },
    async (request) => bindClerk(request.ctx, request.params.id, request.body.store_id),
  );
  app.put(
    '/deals/:id/voucher-policy',
    {
      schema: {
        tags,
        summary: '过期未核销是否自动退款 / Refund expired vouchers or not',
        params: IdParams,
        body: Type.Object({ refund_expired: Type.Boolean() }),
        response: withErrors({
          200: Type.Object({ product_id: Type.String(), refund_expired: Type.Boolean() }),
        }),
      },
    },
    async (request) => setDealPolicy(request.ctx, request.params.id, request.body),
  );
  app.get(
    '/clerk/store',
    {
      schema: {
        tags,
        summary: '店员所在门店 / The clerk’s store',
        response: withErrors({ 200: Type.Object({ id: Type.String(), name: Type.String() }) }),
      },
    },
    async (request) => {
      const store = await clerkStore(request.ctx);
      return { id: store.id, name: store.name };
    },
  );
  app.post(
    '/clerk/check',
    { schema: { tags, body: Code, response: withErrors({ 200: VoucherCheck }) } },
    async (request) => checkVoucher(request.ctx, request.body.code, request.body.store_id),
  );
  app.post(
    '/clerk/redeem',
    {
      schema: {
        tags,
        summary: '核销 / Redeem',
        body: Code,
        response: withErrors({ 200: VoucherSchema }),
      },
    },
    async (request) => redeemVoucher(request.ctx, request.body.code, request.body.store_id),
  );
  app.post(
    '/clerk/pickup/check',
    {
      schema: {
        tags,
        summary: '查询自提订单 / Look a pickup order up by its code',
        body: Code,
        response: withErrors({
          200: Type.Object({
            order: Pickup,
            store_id: Type.String(),
            collectable: Type.Boolean(),
            reason: Type.Union([Type.String(), Type.Null()]),
          }),
        }),
      },
    },
    async (request) => {
      const store = await clerkStore(request.ctx, request.body.store_id);
      const order = await findPickup(request.ctx, request.body.code);
      const why = pickupRefusal(order, store.id);
      return {
        order: pickupView(order),
        store_id: store.id,
        collectable: !why,
        reason: why?.text.zh ?? null,
      };
    },
  );
  app.post(
    '/clerk/pickup/collect',
    {
      schema: {
        tags,
        summary: '确认提货（仅限自提门店，一次）/ Hand a pickup order over (its store, once)',
        body: Code,
        response: withErrors({ 200: Pickup }),
      },
    },
    async (request) => {
      const store = await clerkStore(request.ctx, request.body.store_id);
      return pickupView(await collectPickup(request.ctx, request.body.code, store.id));
    },
  );
  app.get(
    '/clerk/jssdk',
    {
      schema: {
        tags,
        summary: '店员页在微信内扫码的 wx.config 签名 / JS-SDK wx.config for the clerk page inside WeChat',
        querystring: Type.Object({ url: Type.String({ minLength: 8, maxLength: 1000 }) }),
        response: withErrors({
          200: Type.Object({
            appId: Type.String(),
            timestamp: Type.Integer(),
            nonceStr: Type.String(),
            signature: Type.String(),
          }),
        }),
      },
    },
    async (request) => {
      const ctx = request.ctx;
      requireRole(ctx, 'clerk', 'operator');
      // The merchant's service account signs: the clerk opens the page from its menu or chat.
      const accounts = await listAccounts(ctx);
      const account = accounts.find((a) => a.type === 'service') ?? accounts[0];
      if (!account) throw notFound({ zh: '公众号', en: 'Official account' });
      const ticket = await apiClientFor(ctx.deps, account).jsapiTicket();
      const signed = jsSdkSignature(ticket, request.query.url);
      return { appId: account.appid, ...signed };
    },
  );
}
