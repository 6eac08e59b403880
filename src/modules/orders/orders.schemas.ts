import { Type } from '@fastify/type-provider-typebox';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

export const OrderStatusSchema = Type.Union(
  [
    Type.Literal('pending_payment'),
    Type.Literal('paid'),
    Type.Literal('shipped'),
    Type.Literal('completed'),
    Type.Literal('cancelled'),
    Type.Literal('refunding'),
    Type.Literal('refunded'),
  ],
  { description: '待支付 / 已支付 / 已发货 / 已完成 / 已取消 / 退款中 / 已退款' },
);

export const AddressSchema = Type.Object({
  name: Type.String(),
  phone: Type.String(),
  region: Type.String(),
  detail: Type.String(),
});

export const OrderSchema = Type.Object({
  id: Type.String(),
  merchant_id: Type.String(),
  account_id: Type.String(),
  openid: Type.String(),
  status: OrderStatusSchema,
  payment_method: Type.Union([Type.Literal('wechat'), Type.Literal('cod')]),
  items_total: Type.Integer(),
  shipping_fee: Type.Integer(),
  discount: Type.Integer({ description: '优惠（分）/ discount, fen' }),
  total: Type.Integer({ description: '分 / fen' }),
  address: Nullable(AddressSchema),
  note: Type.String(),
  source: Nullable(Type.String()),
  idempotency_key: Nullable(Type.String()),
  paid_at: Nullable(Type.Integer()),
  shipped_at: Nullable(Type.Integer()),
  carrier: Nullable(Type.String()),
  tracking_no: Nullable(Type.String()),
  completed_at: Nullable(Type.Integer()),
  cancelled_at: Nullable(Type.Integer()),
  cancel_reason: Nullable(Type.String()),
  reminded_at: Nullable(Type.Integer()),
  pickup_store_id: Nullable(Type.String({ description: '自提门店 / pickup store' })),
  pickup_code: Nullable(Type.String({ description: '提货码 / pickup code' })),
  collected_at: Nullable(Type.Integer()),
  collected_by: Nullable(Type.String()),
  created_at: Type.Integer(),
  updated_at: Type.Integer(),
  items: Type.Array(
    Type.Object({
      id: Type.String(),
      product_id: Type.String(),
      sku_id: Type.String(),
      title: Type.String(),
      spec_text: Type.String(),
      price: Type.Integer(),
      quantity: Type.Integer(),
      subtotal: Type.Integer(),
    }),
  ),
  adjustments: Type.Optional(
    Type.Array(
      Type.Object({ kind: Type.String(), label: Type.String(), amount: Type.Integer(), ref: Type.String() }),
    ),
  ),
});

export const OrderPage = Type.Object({
  items: Type.Array(OrderSchema),
  next_cursor: Nullable(Type.String()),
});

export const OrderWithEvents = Type.Intersect([
  OrderSchema,
  Type.Object({
    events: Type.Array(
      Type.Object({
        from_status: Nullable(Type.String()),
        to_status: Type.String(),
        actor: Type.String(),
        note: Nullable(Type.String()),
        created_at: Type.Integer(),
      }),
    ),
  }),
]);

export const Review = Type.Object({
  id: Type.String(),
  merchant_id: Type.String(),
  order_id: Type.String(),
  product_id: Type.String(),
  openid: Type.String(),
  rating: Type.Integer(),
  text: Type.String(),
  source: Type.String(),
  hidden: Type.Boolean(),
  created_at: Type.Integer(),
});

export const Me = Type.Object({
  openid: Type.String(),
  addresses: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      phone: Type.String(),
      region: Type.String(),
      detail: Type.String(),
      last_used_at: Type.Integer(),
    }),
  ),
});

export const BulkShipResult = Type.Object({
  shipped: Type.Integer(),
  results: Type.Array(
    Type.Object({
      line: Type.Integer(),
      order_id: Type.String(),
      ok: Type.Boolean(),
      message: Type.Optional(Type.String()),
    }),
  ),
});
