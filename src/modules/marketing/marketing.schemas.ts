import { type TSchema, Type } from '@fastify/type-provider-typebox';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Fen = (description?: string) => Type.Integer({ minimum: 0, maximum: 1_000_000_000, description });
const Instant = Type.Integer({ minimum: 0, description: 'ms since epoch (UTC)' });

const Scope = Type.Union([Type.Literal('all'), Type.Literal('categories'), Type.Literal('products')]);

export const CampaignBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 60 }),
  kind: Type.Union([
    Type.Literal('fixed'),
    Type.Literal('threshold'),
    Type.Literal('percent'),
    Type.Literal('first_order'),
    Type.Literal('free_shipping'),
  ]),
  value: Fen('减免（分）/ 折扣百分比（80=8折）/ 首单价（分）'),
  min_spend: Type.Optional(Fen('门槛（分）')),
  max_off: Type.Optional(Fen('折扣券最高减免（分），0 不限')),
  scope: Type.Optional(Scope),
  scope_ids: Type.Optional(Type.Array(Type.String({ maxLength: 120 }), { maxItems: 500 })),
  valid_from: Type.Optional(Nullable(Instant)),
  valid_until: Type.Optional(Nullable(Instant)),
  valid_days: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 3650 }))),
  per_fan_limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  total_limit: Type.Integer({ minimum: 1, maximum: 10_000_000 }),
  budget: Type.Optional(Fen('预算（分），0 不限')),
  return_on_refund: Type.Optional(Type.Boolean()),
});

export const Campaign = Type.Object({
  id: Type.String(),
  merchant_id: Type.String(),
  name: Type.String(),
  kind: Type.String(),
  value: Type.Integer(),
  min_spend: Type.Integer(),
  max_off: Type.Integer(),
  scope: Scope,
  scope_ids: Type.Array(Type.String()),
  valid_from: Nullable(Type.Integer()),
  valid_until: Nullable(Type.Integer()),
  valid_days: Nullable(Type.Integer()),
  per_fan_limit: Type.Integer(),
  total_limit: Type.Integer(),
  budget: Type.Integer(),
  claimed: Type.Integer(),
  used: Type.Integer(),
  spent: Type.Integer(),
  revenue: Type.Integer(),
  return_on_refund: Type.Boolean(),
  status: Type.String(),
  created_at: Type.Integer(),
  updated_at: Type.Integer(),
});

export const CouponReportRow = Type.Object({
  campaign_id: Type.String(),
  name: Type.String(),
  kind: Type.String(),
  claimed: Type.Integer(),
  used: Type.Integer(),
  available: Type.Integer(),
  void: Type.Integer(),
  use_rate: Type.Number(),
  spent: Type.Integer(),
  revenue: Type.Integer(),
  budget: Type.Integer(),
});

export const FanCouponSchema = Type.Object({
  id: Type.String(),
  campaign_id: Type.String(),
  status: Type.String(),
  valid_from: Type.Integer(),
  valid_until: Type.Integer(),
  order_id: Nullable(Type.String()),
  discount: Type.Integer(),
  campaign: Type.Object({
    name: Type.String(),
    kind: Type.String(),
    value: Type.Integer(),
    min_spend: Type.Integer(),
  }),
});

const Address = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 30 }),
  phone: Type.String({ minLength: 5, maxLength: 20 }),
  region: Type.String({ minLength: 1, maxLength: 60 }),
  detail: Type.String({ minLength: 1, maxLength: 120 }),
});

/** The shop's order body, plus the coupon to use (an id: the discount is always the server's). */
export const OrderBody = Type.Object({
  items: Type.Array(
    Type.Object({
      sku_id: Type.String({ maxLength: 64 }),
      quantity: Type.Integer({ minimum: 1, maximum: 999 }),
    }),
    { minItems: 1, maxItems: 50 },
  ),
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
  coupon_id: Type.Optional(Type.String({ maxLength: 64 })),
});

export { Fen, Instant, Nullable };

export const VoucherSchema = Type.Object({
  id: Type.String(),
  code: Type.String(),
  order_id: Type.String(),
  product_id: Type.String(),
  title: Type.String(),
  openid: Type.String(),
  price: Type.Integer(),
  store_ids: Type.Array(Type.String()),
  valid_from: Type.Integer(),
  valid_until: Nullable(Type.Integer()),
  status: Type.String(),
  redeemed_at: Nullable(Type.Integer()),
  redeemed_store_id: Nullable(Type.String()),
  redeemed_by: Nullable(Type.String()),
  created_at: Type.Integer(),
});

export const VoucherEvent = Type.Object({
  id: Type.String(),
  action: Type.String(),
  store_id: Nullable(Type.String()),
  actor: Type.String(),
  reason: Nullable(Type.String()),
  created_at: Type.Integer(),
});

export const VoucherCheck = Type.Object({
  voucher: VoucherSchema,
  store_id: Type.String(),
  redeemable: Type.Boolean(),
  reason: Nullable(Type.String()),
});

const Count = Type.Object({ count: Type.Integer(), value: Type.Integer() });
export const VoucherReport = Type.Object({
  redemptions: Type.Array(
    Type.Object({
      store_id: Type.String(),
      day: Type.String(),
      count: Type.Integer(),
      value: Type.Integer(),
    }),
  ),
  outstanding: Count,
  redeemed: Count,
  breakage: Count,
  refunded: Count,
});

export const SaleBody = Type.Object({
  title: Type.String({ minLength: 1, maxLength: 60 }),
  product_id: Type.String({ maxLength: 64 }),
  sku_id: Type.String({ maxLength: 64 }),
  price: Fen('秒杀价（分）'),
  stock: Type.Integer({ minimum: 1, maximum: 10_000_000 }),
  opens_at: Instant,
  closes_at: Instant,
  per_buyer_limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  requires_reservation: Type.Optional(Type.Boolean()),
  remind_before_minutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_080 })),
});

export const Sale = Type.Object({
  id: Type.String(),
  title: Type.String(),
  product_id: Type.String(),
  sku_id: Type.String(),
  price: Type.Integer(),
  stock: Type.Integer(),
  sold: Type.Integer(),
  paid: Type.Integer(),
  returned: Type.Integer(),
  per_buyer_limit: Type.Integer(),
  requires_reservation: Type.Integer(),
  opens_at: Type.Integer(),
  closes_at: Type.Integer(),
  remind_before_ms: Type.Integer(),
  created_at: Type.Integer(),
});

export const SaleBoard = Type.Object({
  sale_id: Type.String(),
  stock: Type.Integer(),
  sold: Type.Integer(),
  paid: Type.Integer(),
  awaiting_payment: Type.Integer(),
  returned: Type.Integer(),
  left: Type.Integer(),
  gate_left: Nullable(Type.Integer()),
  attempts: Type.Integer(),
  reservations: Type.Integer(),
  now: Type.Integer(),
});

export const BuyAnswer = Type.Object({
  result: Type.String({
    description: 'got / sold_out / already_bought / not_reserved / not_open / closed / busy',
  }),
  order_id: Type.Optional(Type.String()),
  total: Type.Optional(Type.Integer()),
});
