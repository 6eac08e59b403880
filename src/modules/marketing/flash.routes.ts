import { Type } from '@fastify/type-provider-typebox';
import type { Api, AppDeps } from '../../deps.ts';
import { IdParams, withErrors } from '../../platform/http/schemas.ts';
import { requireFan } from '../orders/index.ts';
import {
  buy,
  createSale,
  getSale,
  listSales,
  reserve,
  resyncGate,
  saleBoard,
} from './flash-sales.service.ts';
import { BuyAnswer, Sale, SaleBoard, SaleBody } from './marketing.schemas.ts';

const tags = ['marketing'];

/** Admin: flash sales, their live board, and a gate rebuild from the database. */
export function flashAdminRoutes(app: Api): void {
  app.get(
    '/flash-sales',
    { schema: { tags, summary: '秒杀活动 / Flash sales', response: withErrors({ 200: Type.Array(Sale) }) } },
    async (request) => listSales(request.ctx),
  );
  app.post(
    '/flash-sales',
    { schema: { tags, body: SaleBody, response: withErrors({ 201: Sale }) } },
    async (request, reply) => reply.status(201).send(await createSale(request.ctx, request.body)),
  );
  app.get(
    '/flash-sales/:id',
    { schema: { tags, params: IdParams, response: withErrors({ 200: Sale }) } },
    async (request) => getSale(request.ctx, request.params.id),
  );
  app.get(
    '/flash-sales/:id/board',
    {
      schema: {
        tags,
        summary: '实时看板：已抢、已付、待付、退回 / Live board',
        params: IdParams,
        response: withErrors({ 200: SaleBoard }),
      },
    },
    async (request) => saleBoard(request.ctx, request.params.id),
  );
  app.post(
    '/flash-sales/:id/resync',
    {
      schema: {
        tags,
        summary: '从数据库重建库存闸门 / Rebuild the stock gate from the database',
        params: IdParams,
        response: withErrors({ 200: SaleBoard }),
      },
    },
    async (request) => resyncGate(request.ctx, request.params.id),
  );
}

/** The fan's side: reserve, buy (the spike path), and the server's clock for the countdown. */
export function flashShopRoutes(app: Api, deps: AppDeps): void {
  const WithId = Type.Object({ appid: Type.String({ maxLength: 32 }), id: Type.String({ maxLength: 64 }) });
  const shopTags = ['shop'];
  app.post(
    '/shop/:appid/api/flash-sales/:id/reserve',
    {
      schema: {
        tags: shopTags,
        summary: '预约秒杀 / Reserve',
        params: WithId,
        response: withErrors({ 200: Type.Object({ reserved: Type.Boolean() }) }),
      },
    },
    async (request) => reserve(await requireFan(deps, request), request.params.id),
  );
  app.post(
    '/shop/:appid/api/flash-sales/:id/buy',
    {
      schema: {
        tags: shopTags,
        summary: '抢购：抢到 / 已抢光 / 已购买 / 未预约 / 未开始 / 排队中 / Buy',
        params: WithId,
        body: Type.Optional(
          Type.Object({
            address_id: Type.Optional(Type.String({ maxLength: 64 })),
            address: Type.Optional(
              Type.Object({
                name: Type.String({ minLength: 1, maxLength: 30 }),
                phone: Type.String({ minLength: 5, maxLength: 20 }),
                region: Type.String({ minLength: 1, maxLength: 60 }),
                detail: Type.String({ minLength: 1, maxLength: 120 }),
              }),
            ),
          }),
        ),
        response: withErrors({ 200: BuyAnswer }),
      },
    },
    async (request) => {
      const answer = await buy(await requireFan(deps, request), request.params.id, request.body ?? {});
      if (answer.result === 'got') deps.wakeJobs();
      return answer;
    },
  );
  app.get(
    '/shop/:appid/api/flash-sales/:id/clock',
    {
      schema: {
        tags: shopTags,
        summary: '服务器时间（倒计时校准）/ Server time for the countdown',
        params: WithId,
        response: withErrors({ 200: Type.Object({ now: Type.Integer() }) }),
      },
    },
    async () => ({ now: deps.clock.now() }),
  );
}
