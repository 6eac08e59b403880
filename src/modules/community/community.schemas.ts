import { Type } from '@fastify/type-provider-typebox';

const Int = Type.Integer();
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Access = Type.Union([Type.Literal('free'), Type.Literal('members')]);
const ArticleStatus = Type.Union([Type.Literal('draft'), Type.Literal('published')]);

export const ArticleBody = Type.Object({
  title: Type.String({ minLength: 1, maxLength: 64 }),
  summary: Type.Optional(Type.String({ maxLength: 120 })),
  cover_url: Type.Optional(Type.String({ maxLength: 500 })),
  body: Type.String({ maxLength: 200_000 }),
  access: Access,
  status: ArticleStatus,
  column_name: Type.Optional(Type.String({ maxLength: 20 })),
  keyword: Type.Optional(Nullable(Type.String({ maxLength: 30 }))),
  account_id: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
});

const ArticleFields = {
  id: Type.String(),
  title: Type.String(),
  summary: Type.String(),
  cover_url: Type.String(),
  access: Access,
  status: ArticleStatus,
  column_name: Type.String(),
  keyword: Nullable(Type.String()),
  account_id: Nullable(Type.String()),
  published_at: Nullable(Int),
  updated_at: Int,
};

export const ArticleSummary = Type.Object(ArticleFields);
export const ArticleSchema = Type.Object({
  ...ArticleFields,
  body: Type.String(),
  product_ids: Type.Array(Type.String()),
  rule_id: Nullable(Type.String()),
  created_at: Int,
});

export const ListReplyBody = Type.Object({
  account_id: Type.String({ maxLength: 64 }),
  menu_key: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_:-]+$' }),
  column_name: Type.Optional(Type.String({ maxLength: 20 })),
  title: Type.String({ minLength: 1, maxLength: 64 }),
});
export const ListReplySchema = Type.Object({
  id: Type.String(),
  account_id: Type.String(),
  menu_key: Type.String(),
  column_name: Type.String(),
  title: Type.String(),
  rule_id: Type.String(),
  created_at: Int,
});

export const PlanBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 30 }),
  description: Type.Optional(Type.String({ maxLength: 500 })),
  period_days: Type.Integer({ minimum: 1, maximum: 3660 }),
  price: Type.Integer({ minimum: 1, maximum: 100_000_000 }),
  seat_cap: Type.Integer({ minimum: 1, maximum: 10_000_000 }),
  window_start: Type.Integer({ minimum: 0 }),
  window_days: Type.Integer({ minimum: 1, maximum: 3660 }),
  repeat: Type.Union([Type.Literal('yearly'), Type.Literal('none')]),
  member_discount_pct: Type.Optional(Type.Integer({ minimum: 0, maximum: 50 })),
  status: Type.Union([Type.Literal('active'), Type.Literal('paused')]),
});
export const PlanSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  period_days: Int,
  price: Int,
  product_id: Type.String(),
  sku_id: Type.String(),
  seat_cap: Int,
  window_start: Int,
  window_days: Int,
  repeat: Type.String(),
  member_discount_pct: Int,
  status: Type.String(),
  open_round: Nullable(Int),
  seats_taken: Int,
  seats_left: Int,
  next_opening: Nullable(Int),
  created_at: Int,
  updated_at: Int,
});

export const SalesSchema = Type.Object({
  plan_id: Type.String(),
  seat_cap: Int,
  rounds: Type.Array(Type.Object({ round_start: Int, seats_taken: Int })),
  paid: Int,
  revenue: Int,
  seats: Type.Array(
    Type.Object({
      order_id: Type.String(),
      round_start: Int,
      account_id: Type.String(),
      openid: Type.String(),
      status: Type.String(),
      amount: Int,
      renewal: Type.Boolean(),
      created_at: Int,
    }),
  ),
});

export const MembershipSchema = Type.Object({
  id: Type.String(),
  account_id: Type.String(),
  openid: Type.String(),
  plan_id: Type.String(),
  status: Type.String(),
  active: Type.Boolean(),
  started_at: Int,
  expires_at: Int,
  ended_at: Nullable(Int),
  last_order_id: Type.String(),
});

export const PostSchema = Type.Object({
  id: Type.String(),
  account_id: Type.String(),
  openid: Type.String(),
  parent_id: Nullable(Type.String()),
  text: Type.String(),
  images: Type.Array(Type.String()),
  status: Type.String(),
  pinned: Type.Boolean(),
  reply_count: Int,
  report_count: Int,
  created_at: Int,
});

export const PostBody = Type.Object({
  text: Type.String({ minLength: 1, maxLength: 2000 }),
  images: Type.Optional(Type.Array(Type.String({ maxLength: 500 }), { maxItems: 9 })),
  parent_id: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
});

export const BanSchema = Type.Object({
  id: Type.String(),
  account_id: Type.String(),
  openid: Type.String(),
  reason: Type.String(),
  until: Nullable(Int),
  created_by: Type.String(),
  created_at: Int,
});

export const SettingsSchema = Type.Object({
  sensitive_words: Type.Array(Type.String({ minLength: 1, maxLength: 30 }), { maxItems: 2000 }),
  posts_per_hour: Type.Integer({ minimum: 1, maximum: 1000 }),
  renewal_template: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()])),
});

const Address = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 30 }),
  phone: Type.String({ minLength: 5, maxLength: 20 }),
  region: Type.String({ minLength: 1, maxLength: 60 }),
  detail: Type.String({ minLength: 1, maxLength: 120 }),
});

/** An order at the members' price: the discount is the server's, never a number from the body. */
export const MemberOrderBody = Type.Object({
  items: Type.Array(
    Type.Object({
      sku_id: Type.String({ maxLength: 64 }),
      quantity: Type.Integer({ minimum: 1, maximum: 999 }),
    }),
    { minItems: 1, maxItems: 50 },
  ),
  address: Type.Optional(Address),
  address_id: Type.Optional(Type.String({ maxLength: 64 })),
  payment_method: Type.Union([Type.Literal('wechat'), Type.Literal('cod')]),
  expected_total: Type.Optional(Type.Integer({ minimum: 0 })),
  note: Type.Optional(Type.String({ maxLength: 200 })),
  idempotency_key: Type.Optional(Type.String({ maxLength: 64 })),
});
