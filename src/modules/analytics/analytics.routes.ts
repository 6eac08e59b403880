import { Type } from '@fastify/type-provider-typebox';
import type { Api } from '../../deps.ts';
import { withErrors } from '../../platform/http/schemas.ts';
import { Funnel } from '../orders/orders.schemas.ts';
import { overview } from './analytics.service.ts';

const Series = Type.Array(Type.Object({ day: Type.String(), value: Type.Number() }));

export function analyticsRoutes(app: Api): void {
  app.get(
    '/analytics/overview',
    {
      schema: {
        tags: ['analytics'],
        summary: '经营看板：粉丝、消息、下单与支付 / Dashboard: followers, messages, orders and sales',
        querystring: Type.Object({
          from: Type.Integer({ minimum: 0, description: 'epoch ms' }),
          to: Type.Integer({ minimum: 0, description: 'epoch ms (exclusive)' }),
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
          }),
        }),
      },
    },
    (request) => overview(request.ctx, request.query),
  );
}
