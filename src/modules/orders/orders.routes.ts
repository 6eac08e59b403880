import { Type } from '@fastify/type-provider-typebox';
import type { Api, AppDeps } from '../../deps.ts';
import { actorLabel } from '../../platform/auth/roles.ts';
import { parseCsv, toCsv } from '../../platform/csv.ts';
import { badRequest } from '../../platform/http/errors.ts';
import { IdParams, withErrors } from '../../platform/http/schemas.ts';
import { fenToYuan } from '../../platform/money.ts';
import { paymentSettings, savePaymentSettings } from '../payments/payments.service.ts';
import { requireRole } from '../tenants/tenants.service.ts';
import {
  BulkShipResult,
  Funnel,
  OrderPage,
  OrderSchema,
  OrderStatusSchema,
  OrderWithEvents,
  PaySettingsView,
  Review,
} from './orders.schemas.ts';
import {
  cancelOrder,
  getOrder,
  listOrders,
  orderEvents,
  orderFunnel,
  refundOrder,
  shipOrder,
} from './orders.service.ts';
import { listReviews, setReviewHidden } from './reviews.service.ts';

export function ordersRoutes(app: Api, deps: AppDeps): void {
  const tags = ['orders'];
  const ctxOf = (request: { ctx: import('../../context.ts').Ctx }) => ({
    ...request.ctx,
    actor: actorLabel(request.ctx.actor),
  });

  app.get(
    '/orders',
    {
      schema: {
        tags,
        summary: '订单列表 / Orders',
        response: withErrors({ 200: OrderPage }),
        querystring: Type.Object({
          status: Type.Optional(OrderStatusSchema),
          account_id: Type.Optional(Type.String({ maxLength: 64 })),
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
          cursor: Type.Optional(Type.String({ maxLength: 64 })),
        }),
      },
    },
    (request) => listOrders(request.ctx, request.query),
  );
  app.get(
    '/orders/funnel',
    {
      schema: {
        tags,
        summary: '下单 → 支付漏斗 / Placed → paid funnel',
        response: withErrors({ 200: Funnel }),
        querystring: Type.Object({
          account_id: Type.Optional(Type.String({ maxLength: 64 })),
          from: Type.Integer({ minimum: 0 }),
          to: Type.Integer({ minimum: 0 }),
        }),
      },
    },
    (request) => orderFunnel(request.ctx, request.query),
  );
  app.get(
    '/orders/export',
    {
      schema: {
        tags,
        summary: '导出订单 CSV / Export orders as CSV',
        querystring: Type.Object({ status: Type.Optional(OrderStatusSchema) }),
        response: withErrors({ 200: Type.String() }),
      },
    },
    async (request, reply) => {
      const rows: Array<Array<string | number | null>> = [
        [
          'order_id',
          'status',
          'payment_method',
          'total_yuan',
          'buyer_openid',
          'items',
          'name',
          'phone',
          'address',
          'carrier',
          'tracking_no',
          'created_at',
        ],
      ];
      let cursor: string | undefined;
      do {
        const page = await listOrders(request.ctx, { status: request.query.status, limit: 200, cursor });
        for (const o of page.items) {
          rows.push([
            o.id,
            o.status,
            o.payment_method,
            fenToYuan(o.total),
            o.openid,
            o.items.map((i) => `${i.title}${i.spec_text ? `(${i.spec_text})` : ''}×${i.quantity}`).join('; '),
            o.address?.name ?? '',
            o.address?.phone ?? '',
            o.address ? `${o.address.region} ${o.address.detail}` : '',
            o.carrier,
            o.tracking_no,
            new Date(o.created_at).toISOString(),
          ]);
        }
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="orders.csv"');
      return toCsv(rows);
    },
  );
  app.get(
    '/orders/:id',
    { schema: { tags, params: IdParams, response: withErrors({ 200: OrderWithEvents }) } },
    async (request) => ({
      ...(await getOrder(request.ctx, request.params.id)),
      events: await orderEvents(request.ctx, request.params.id),
    }),
  );
  app.post(
    '/orders/:id/ship',
    {
      schema: {
        tags,
        summary: '发货 / Ship',
        response: withErrors({ 200: OrderSchema }),
        params: IdParams,
        body: Type.Object({
          carrier: Type.String({ minLength: 1, maxLength: 30 }),
          tracking_no: Type.String({ minLength: 1, maxLength: 40 }),
        }),
      },
    },
    async (request) => {
      requireRole(request.ctx, 'operator');
      const order = await shipOrder(ctxOf(request), request.params.id, request.body);
      deps.wakeJobs();
      return order;
    },
  );
  app.post(
    '/orders/ship-bulk',
    {
      schema: {
        tags,
        summary: '批量发货（CSV：order_id,carrier,tracking_no）/ Bulk ship from CSV',
        consumes: ['text/csv'],
        body: Type.String({ maxLength: 2_000_000 }),
        response: withErrors({ 200: BulkShipResult }),
      },
    },
    async (request) => {
      requireRole(request.ctx, 'operator');
      const rows = parseCsv(request.body);
      const header = rows.shift()?.map((h) => h.trim());
      if (!header || !['order_id', 'carrier', 'tracking_no'].every((c) => header.includes(c))) {
        throw badRequest(
          'invalid_csv',
          'CSV 需要 order_id, carrier, tracking_no 三列',
          'The CSV needs order_id, carrier and tracking_no columns',
        );
      }
      const results: Array<{ line: number; order_id: string; ok: boolean; message?: string }> = [];
      for (const [index, cells] of rows.entries()) {
        const get = (name: string) => (cells[header.indexOf(name)] ?? '').trim();
        try {
          await shipOrder(ctxOf(request), get('order_id'), {
            carrier: get('carrier'),
            tracking_no: get('tracking_no'),
          });
          results.push({ line: index + 2, order_id: get('order_id'), ok: true });
        } catch (error) {
          results.push({
            line: index + 2,
            order_id: get('order_id'),
            ok: false,
            message: (error as Error).message,
          });
        }
      }
      deps.wakeJobs();
      return { shipped: results.filter((r) => r.ok).length, results };
    },
  );
  app.post(
    '/orders/:id/refund',
    {
      schema: {
        tags,
        summary: '退款 / Refund',
        params: IdParams,
        body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 80 }) }),
        response: withErrors({ 200: OrderSchema }),
      },
    },
    async (request) => {
      requireRole(request.ctx, 'operator');
      const order = await refundOrder(ctxOf(request), request.params.id, request.body.reason);
      deps.wakeJobs();
      return order;
    },
  );
  app.post(
    '/orders/:id/cancel',
    {
      schema: {
        tags,
        summary: '取消未支付订单 / Cancel an unpaid order',
        params: IdParams,
        response: withErrors({ 200: OrderSchema }),
      },
    },
    async (request) => {
      requireRole(request.ctx, 'operator', 'agent');
      await getOrder(request.ctx, request.params.id);
      const cancelled = await cancelOrder(ctxOf(request), request.params.id, 'merchant');
      if (!cancelled)
        throw badRequest('invalid_transition', '只能取消未支付的订单', 'Only unpaid orders can be cancelled');
      deps.wakeJobs();
      return getOrder(request.ctx, request.params.id);
    },
  );

  app.get(
    '/reviews',
    {
      schema: {
        tags: ['reviews'],
        response: withErrors({
          200: Type.Object({
            items: Type.Array(Review),
            next_cursor: Type.Union([Type.String(), Type.Null()]),
          }),
        }),
        querystring: Type.Object({
          product_id: Type.Optional(Type.String({ maxLength: 64 })),
          hidden: Type.Optional(Type.Boolean()),
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
          cursor: Type.Optional(Type.String({ maxLength: 64 })),
        }),
      },
    },
    (request) => listReviews(request.ctx, request.query),
  );
  app.patch(
    '/reviews/:id',
    {
      schema: {
        tags: ['reviews'],
        summary: '隐藏 / 显示评价 / Hide or show a review',
        params: IdParams,
        body: Type.Object({ hidden: Type.Boolean() }),
        response: withErrors({ 200: Review }),
      },
    },
    async (request) => {
      requireRole(request.ctx, 'operator');
      return setReviewHidden(ctxOf(request), request.params.id, request.body.hidden);
    },
  );

  app.get(
    '/payments/settings',
    {
      schema: {
        tags: ['payments'],
        summary: '微信支付设置（不含密钥）/ WeChat Pay settings, without secrets',
        response: withErrors({ 200: PaySettingsView }),
      },
    },
    async (request) => {
      const settings = await paymentSettings(deps, request.ctx.merchantId);
      if (!settings) return { configured: false };
      return {
        configured: true,
        mchid: settings.mchid,
        serial_no: settings.serial_no,
        platform_key_id: settings.platform_key_id,
        cod_enabled: settings.cod_enabled === 1,
        remind_after_minutes: settings.remind_after_ms / 60_000,
        cancel_after_minutes: settings.cancel_after_ms / 60_000,
        template_paid: settings.template_paid,
        template_shipped: settings.template_shipped,
      };
    },
  );
  app.put(
    '/payments/settings',
    {
      schema: {
        tags: ['payments'],
        summary: '配置微信支付 / Configure WeChat Pay',
        body: Type.Object({
          mchid: Type.String({ maxLength: 12 }),
          serial_no: Type.String({ minLength: 8, maxLength: 64 }),
          private_key_pem: Type.String({ maxLength: 8192 }),
          api_v3_key: Type.String({ minLength: 32, maxLength: 32 }),
          platform_public_key_pem: Type.String({ maxLength: 8192 }),
          platform_key_id: Type.String({ maxLength: 64 }),
          cod_enabled: Type.Optional(Type.Boolean()),
          remind_after_minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 1440 })),
          cancel_after_minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 10080 })),
          template_paid: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
          template_shipped: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
        }),
        response: withErrors({ 200: Type.Object({ ok: Type.Boolean() }) }),
      },
    },
    async (request) => {
      requireRole(request.ctx, 'owner');
      await savePaymentSettings(deps, request.ctx.merchantId, request.body, request.ctx.now);
      return { ok: true };
    },
  );
}
