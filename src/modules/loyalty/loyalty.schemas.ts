import { Type } from '@fastify/type-provider-typebox';

const Int = Type.Integer();

export const LevelSchema = Type.Object({
  key: Type.String({ minLength: 1, maxLength: 20, pattern: '^[a-z0-9_]+$' }),
  name: Type.String({ minLength: 1, maxLength: 20 }),
  min_spend: Type.Integer({ minimum: 0 }),
  min_points: Type.Integer({ minimum: 0 }),
  earn_rate: Type.Number({ minimum: 0, maximum: 100 }),
  discount_pct: Type.Integer({ minimum: 0, maximum: 50 }),
  free_shipping: Type.Boolean(),
  birthday_gift: Type.String({ maxLength: 100 }),
  store_perks: Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 100 })),
  birthday_points: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
});

export const ProgramBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 30 }),
  cover_url: Type.String({ maxLength: 500 }),
  color: Type.String({ pattern: '^#[0-9a-fA-F]{6}$' }),
  terms: Type.String({ maxLength: 4000 }),
  levels: Type.Array(LevelSchema, { minItems: 1, maxItems: 10 }),
  points_per_yuan: Type.Integer({ minimum: 1, maximum: 10_000 }),
  excluded_categories: Type.Array(Type.String({ maxLength: 60 }), { maxItems: 50 }),
  checkin_points: Type.Integer({ minimum: 0, maximum: 10_000 }),
  review_points: Type.Integer({ minimum: 0, maximum: 10_000 }),
  expiry_days: Type.Integer({ minimum: 0, maximum: 3650 }),
  issue_on_first_order: Type.Boolean(),
  topup_rules: Type.Array(
    Type.Object({
      amount: Type.Integer({ minimum: 100, maximum: 10_000_000 }),
      bonus: Type.Integer({ minimum: 0, maximum: 10_000_000 }),
    }),
    { maxItems: 10 },
  ),
  status: Type.Union([Type.Literal('active'), Type.Literal('paused')]),
  notice_template_id: Type.Optional(Type.String({ maxLength: 64 })),
});

export const ProgramSchema = Type.Intersect([ProgramBody, Type.Object({ configured: Type.Boolean() })]);

export const CardSchema = Type.Object({
  id: Type.String(),
  member_id: Type.String(),
  account_id: Type.String(),
  openid: Type.String(),
  number: Type.String(),
  home_store_id: Type.Union([Type.String(), Type.Null()]),
  source: Type.String(),
  level: Type.String(),
  points: Int,
  balance: Int,
  total_spend: Int,
  lifetime_points: Int,
  birthday: Type.Union([Type.String(), Type.Null()]),
  created_at: Int,
  updated_at: Int,
});

export const CardPage = Type.Object({
  items: Type.Array(CardSchema),
  next_cursor: Type.Union([Type.String(), Type.Null()]),
});

export const LedgerEntry = Type.Object({
  id: Type.String(),
  delta: Int,
  reason: Type.String(),
  ref: Type.String(),
  actor: Type.String(),
  note: Type.String(),
  created_at: Int,
});

export const CardDetail = Type.Object({
  card: CardSchema,
  points: Type.Array(LedgerEntry),
  value: Type.Array(LedgerEntry),
  levels: Type.Array(
    Type.Object({
      from_level: Type.String(),
      to_level: Type.String(),
      cause: Type.String(),
      created_at: Int,
    }),
  ),
});

export const AdjustBody = Type.Object({
  kind: Type.Union([Type.Literal('points'), Type.Literal('balance')]),
  delta: Type.Integer({ minimum: -100_000_000, maximum: 100_000_000 }),
  reason: Type.String({ minLength: 2, maxLength: 200 }),
});

export const ReportSchema = Type.Object({
  cards: Int,
  by_level: Type.Array(Type.Object({ level: Type.String(), name: Type.String(), cards: Int })),
  points: Type.Object({ issued: Int, spent: Int, expired: Int, reversed: Int, outstanding: Int }),
  stored_value: Type.Object({
    topped_up: Int,
    bonus: Int,
    spent: Int,
    float: Int,
    paid_in: Int,
    refunded_out: Int,
    refunded: Int,
    topup_mismatch: Int,
  }),
  members_vs_others: Type.Object({
    days: Int,
    members: Type.Object({ buyers: Int, orders: Int, spend: Int, per_buyer: Int }),
    others: Type.Object({ buyers: Int, orders: Int, spend: Int, per_buyer: Int }),
    ratio: Type.Union([Type.Number(), Type.Null()]),
    complete: Type.Boolean(),
  }),
  ledger_mismatch: Int,
});

const Address = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 40 }),
  phone: Type.String({ minLength: 5, maxLength: 20 }),
  region: Type.String({ minLength: 1, maxLength: 80 }),
  detail: Type.String({ minLength: 1, maxLength: 200 }),
});

export const CardOrderBody = Type.Object({
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
  points: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000_000 })),
  use_balance: Type.Optional(Type.Boolean()),
});
