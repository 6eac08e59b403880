import { Type } from '@fastify/type-provider-typebox';
import type { Api } from '../../deps.ts';
import { withErrors } from '../../platform/http/schemas.ts';
import { orderFunnel, overview } from './analytics.service.ts';
import { followerRoutes, LATEST_MS } from './followers.routes.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

export const Funnel = Type.Object({
  placed: Type.Integer(),
  paid: Type.Integer(),
  pending: Type.Integer(),
  cancelled_unpaid: Type.Integer(),
  cancel_reasons: Type.Record(Type.String(), Type.Integer()),
  paid_rate: Nullable(Type.Number()),
});

const Yardstick = Type.Object({ value: Nullable(Type.Number()), target: Nullable(Type.Number()) });

const Series = Type.Array(Type.Object({ day: Type.String(), value: Type.Number() }));

export function analyticsRoutes(app: Api): void {
  followerRoutes(app);
  app.get(
    '/analytics/overview',
    {
      schema: {
        tags: ['analytics'],
        summary: '经营看板：粉丝、消息、下单与支付 / Dashboard: followers, messages, orders and sales',
        querystring: Type.Object({
          from: Type.Integer({ minimum: 0, maximum: LATEST_MS, description: 'epoch ms' }),
          to: Type.Integer({ minimum: 0, maximum: LATEST_MS, description: 'epoch ms (exclusive)' }),
          account_id: Type.Optional(Type.String({ maxLength: 64 })),
        }),
        response: withErrors({
          200: Type.Object({
            timezone: Type.String(),
            followers: Type.Object({
              total: Type.Integer(),
              subscribed: Type.Integer(),
              new_by_day: Series,
              by_source: Type.Array(Type.Object({ source: Type.String(), value: Type.Integer() })),
            }),
            messages_in_by_day: Series,
            messages_out_by_day: Series,
            orders: Type.Object({ placed_by_day: Series, paid_by_day: Series, sales_by_day: Series }),
            funnel: Funnel,
            yardsticks: Type.Object({
              sends: Type.Integer(),
              reach: Yardstick,
              read: Yardstick,
              open: Yardstick,
              paid_completion: Yardstick,
            }),
          }),
        }),
      },
    },
    (request) => overview(request.ctx, request.query),
  );
  app.get(
    '/orders/funnel',
    {
      schema: {
        tags: ['orders'],
        summary: '下单 → 支付漏斗 / Placed → paid funnel',
        response: withErrors({ 200: Funnel }),
        querystring: Type.Object({
          account_id: Type.Optional(Type.String({ maxLength: 64 })),
          from: Type.Integer({ minimum: 0, maximum: LATEST_MS }),
          to: Type.Integer({ minimum: 0, maximum: LATEST_MS }),
        }),
      },
    },
    (request) => orderFunnel(request.ctx, request.query),
  );
}
