import { Type } from '@fastify/type-provider-typebox';
import type { Ctx } from '../../context.ts';
import type { Api, AppDeps } from '../../deps.ts';
import { withErrors } from '../../platform/http/schemas.ts';
import { type CardUse, cardOfFan, cardPart, getProgram, settleCoveredOrder } from '../loyalty/index.ts';
import { couponOptions, couponPart, priceItems } from '../marketing/index.ts';
import {
  buyerOf,
  type CheckoutPart,
  composeCheckout,
  OrderSchema,
  placeOrder,
  quoteCheckout,
  requireFan,
} from '../orders/index.ts';

const Items = Type.Array(
  Type.Object({
    sku_id: Type.String({ maxLength: 64 }),
    quantity: Type.Integer({ minimum: 1, maximum: 999 }),
  }),
  { minItems: 1, maxItems: 50 },
);
const Address = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 40 }),
  phone: Type.String({ minLength: 5, maxLength: 20 }),
  region: Type.String({ minLength: 1, maxLength: 80 }),
  detail: Type.String({ minLength: 1, maxLength: 200 }),
});
/** What the fan asks of the coupon and the card; never an amount. */
const Extras = {
  coupon_id: Type.Optional(Type.String({ maxLength: 64 })),
  points: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000_000 })),
  use_balance: Type.Optional(Type.Boolean()),
};
const CheckoutBody = Type.Object({
  items: Items,
  address: Type.Optional(Address),
  address_id: Type.Optional(Type.String({ maxLength: 64 })),
  pickup_store_id: Type.Optional(
    Type.String({ maxLength: 64, description: '到店自提门店 / collect at this store' }),
  ),
  payment_method: Type.Union([Type.Literal('wechat'), Type.Literal('cod')]),
  expected_total: Type.Optional(Type.Integer({ minimum: 0 })),
  note: Type.Optional(Type.String({ maxLength: 200 })),
  source: Type.Optional(Type.String({ maxLength: 40 })),
  idempotency_key: Type.Optional(Type.String({ maxLength: 64 })),
  ...Extras,
});
const QuoteBody = Type.Object({
  items: Items,
  ...Extras,
  best_coupon: Type.Optional(
    Type.Boolean({ description: '未指定券时自动选最优券 / pick the best coupon when none is named' }),
  ),
});
const Quote = Type.Object({
  items_total: Type.Integer(),
  shipping_fee: Type.Integer(),
  adjustments: Type.Array(
    Type.Object({ kind: Type.String(), label: Type.String(), amount: Type.Integer(), ref: Type.String() }),
  ),
  discount: Type.Integer(),
  total: Type.Integer(),
  coupon: Type.Union([Type.Object({ coupon_id: Type.String(), name: Type.String() }), Type.Null()]),
  card: Type.Union([
    Type.Object({ points: Type.Integer(), balance: Type.Integer(), points_per_yuan: Type.Integer() }),
    Type.Null(),
  ]),
});

/** The coupon first, then the card: points and stored value cover what the coupon left. */
export async function checkoutParts(
  ctx: Ctx,
  extras: { coupon_id?: string } & CardUse,
): Promise<CheckoutPart[]> {
  const parts: CheckoutPart[] = [];
  if (extras.coupon_id) parts.push(couponPart(extras.coupon_id));
  const card = await cardPart(ctx, { points: extras.points, use_balance: extras.use_balance });
  if (card) parts.push(card);
  return parts;
}

/**
 * The shop's one checkout: it composes marketing's coupon and loyalty's member card over orders'
 * placeOrder, so neither orders nor marketing knows loyalty. The quote runs the same parts on the
 * same server prices without placing anything, for the page to show before the fan pays.
 */
export function checkoutApiRoutes(app: Api, deps: AppDeps): void {
  const Params = Type.Object({ appid: Type.String({ maxLength: 32 }) });
  const tags = ['shop'];

  app.post(
    '/shop/:appid/api/checkout/quote',
    {
      schema: {
        tags,
        summary: '结算试算（优惠券、会员折扣、积分、储值）/ Checkout quote',
        params: Params,
        body: QuoteBody,
        response: withErrors({ 200: Quote }),
      },
    },
    async (request) => {
      const ctx = await requireFan(deps, request);
      const lines = await priceItems(ctx, request.body.items);
      const priced = { items_total: lines.reduce((s, l) => s + l.subtotal, 0), shipping_fee: 0, lines };
      // A cart has no coupon picked on the page: the server suggests the best, as the product page does.
      const best =
        !request.body.coupon_id && request.body.best_coupon
          ? (await couponOptions(ctx, lines))[0]
          : undefined;
      const coupon_id = request.body.coupon_id ?? best?.coupon_id;
      const quote = await quoteCheckout(
        ctx,
        priced,
        await checkoutParts(ctx, { ...request.body, coupon_id }),
      );
      const { accountId, openid } = buyerOf(ctx);
      const [card, program] = await Promise.all([cardOfFan(ctx, accountId, openid), getProgram(ctx)]);
      return {
        ...quote,
        coupon: best ? { coupon_id: best.coupon_id, name: best.name } : null,
        card: card
          ? { points: card.points, balance: card.balance, points_per_yuan: program.points_per_yuan }
          : null,
      };
    },
  );

  app.post(
    '/shop/:appid/api/checkout',
    {
      schema: {
        tags,
        summary: '下单（服务端重算优惠券、会员折扣、积分与储值）/ Place an order',
        params: Params,
        body: CheckoutBody,
        response: withErrors({ 201: OrderSchema }),
      },
    },
    async (request, reply) => {
      const ctx = await requireFan(deps, request);
      const { coupon_id, points, use_balance, ...input } = request.body;
      const parts = await checkoutParts(ctx, { coupon_id, points, use_balance });
      const order = await settleCoveredOrder(ctx, await placeOrder(ctx, input, composeCheckout(parts)));
      deps.wakeJobs();
      return reply.status(201).send(order);
    },
  );
}
