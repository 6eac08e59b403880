import { Type } from '@fastify/type-provider-typebox';
import type { Api, AppDeps } from '../../deps.ts';
import { IdParams, withErrors } from '../../platform/http/schemas.ts';
import { merchantCancel, refundOrder, shipOrder } from './lifecycle.service.ts';
import { buildOrderSettingsBody, OrderSettings } from './order-settings.schemas.ts';
import { orderPolicy, orderSettingsView, saveOrderSettings } from './order-settings.service.ts';
import {
  BulkShipResult,
  OrderPage,
  OrderSchema,
  OrderStatusSchema,
  OrderWithEvents,
  Review,
} from './orders.schemas.ts';
import { exportOrdersCsv, shipFromCsv } from './orders-csv.service.ts';
import { getOrder, listOrders, orderEvents } from './queries.service.ts';
import { listReviews, setReviewHidden } from './reviews.service.ts';

export function ordersRoutes(app: Api, deps: AppDeps): void {
  const tags = ['orders'];

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
      const csv = await exportOrdersCsv(request.ctx, request.query.status);
      reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="orders.csv"');
      return csv;
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
      const order = await shipOrder(request.ctx, request.params.id, request.body);
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
      const result = await shipFromCsv(request.ctx, request.body);
      deps.wakeJobs();
      return result;
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
      const order = await refundOrder(request.ctx, request.params.id, request.body.reason);
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
      const order = await merchantCancel(request.ctx, request.params.id);
      deps.wakeJobs();
      return order;
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
      return setReviewHidden(request.ctx, request.params.id, request.body.hidden);
    },
  );

  app.get(
    '/orders/settings',
    {
      schema: {
        tags,
        summary: '订单设置（货到付款、未支付提醒与自动取消、通知模板）/ Order settings',
        response: withErrors({ 200: OrderSettings }),
      },
    },
    async (request) => orderSettingsView(await orderPolicy(request.ctx)),
  );
  app.put(
    '/orders/settings',
    {
      schema: {
        tags,
        summary: '保存订单设置 / Save order settings',
        body: buildOrderSettingsBody(),
        response: withErrors({ 200: OrderSettings }),
      },
    },
    async (request) => orderSettingsView(await saveOrderSettings(request.ctx, request.body)),
  );
}
