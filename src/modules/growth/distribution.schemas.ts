import { Type } from '@fastify/type-provider-typebox';

const Nullable = <T extends ReturnType<typeof Type.String | typeof Type.Integer>>(t: T) =>
  Type.Union([t, Type.Null()]);

export const Kind = Type.Union([Type.Literal('percent'), Type.Literal('fixed')]);

export const SettingsBody = Type.Object({
  enabled: Type.Boolean(),
  join_mode: Type.Union([Type.Literal('open'), Type.Literal('apply'), Type.Literal('package')]),
  package_product_id: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
  levels: Type.Integer({ minimum: 1, maximum: 2, description: '1 or 2; never more than two levels' }),
  binding_days: Type.Integer({ minimum: 0, maximum: 3650, description: '0 = the binding never lapses' }),
  rebind_after_expiry: Type.Boolean(),
  refund_window_days: Type.Integer({ minimum: 0, maximum: 90 }),
  default_kind: Kind,
  default_level1: Type.Integer({
    minimum: 0,
    maximum: 1_000_000,
    description: 'basis points or fen per unit',
  }),
  default_level2: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
  min_withdrawal: Type.Integer({ minimum: 10, maximum: 2_000_000 }),
  burst_buyers: Type.Integer({ minimum: 0, maximum: 100_000, description: '0 = never flag' }),
  burst_minutes: Type.Integer({ minimum: 1, maximum: 1440 }),
});

export const Settings = Type.Object({
  ...SettingsBody.properties,
  package_product_id: Nullable(Type.String()),
  updated_at: Type.Integer(),
});

export const Distributor = Type.Object({
  id: Type.String(),
  account_id: Type.String(),
  openid: Type.String(),
  code: Type.String(),
  status: Type.String(),
  via: Type.String(),
  parent_id: Nullable(Type.String()),
  balance: Type.Integer({ description: 'settled, not withdrawn (fen)' }),
  qrcode_id: Nullable(Type.String()),
  qr_url: Nullable(Type.String()),
  note: Type.String(),
  flagged: Type.Integer(),
  flag_reason: Nullable(Type.String()),
  created_at: Type.Integer(),
  approved_at: Nullable(Type.Integer()),
});

export const DistributorRow = Type.Object({
  ...Distributor.properties,
  buyers: Type.Integer(),
  pending: Type.Integer({ description: 'commissions waiting for the refund window (fen)' }),
});

export const Rule = Type.Object({
  id: Type.String(),
  scope: Type.String(),
  ref: Type.String(),
  kind: Type.String(),
  level1: Type.Integer(),
  level2: Type.Integer(),
  created_at: Type.Integer(),
});

export const Commission = Type.Object({
  id: Type.String(),
  order_id: Type.String(),
  distributor_id: Type.String(),
  level: Type.Integer(),
  buyer_openid: Type.String(),
  base: Type.Integer(),
  amount: Type.Integer(),
  status: Type.String(),
  settle_after: Type.Integer(),
  created_at: Type.Integer(),
  settled_at: Nullable(Type.Integer()),
  reversed_at: Nullable(Type.Integer()),
});

export const Withdrawal = Type.Object({
  id: Type.String(),
  distributor_id: Type.String(),
  amount: Type.Integer(),
  status: Type.String(),
  reviewed_by: Nullable(Type.String()),
  reject_reason: Nullable(Type.String()),
  batch_id: Nullable(Type.String()),
  error: Nullable(Type.String()),
  created_at: Type.Integer(),
  reviewed_at: Nullable(Type.Integer()),
  paid_at: Nullable(Type.Integer()),
});

export const WithdrawalRow = Type.Object({
  ...Withdrawal.properties,
  openid: Type.String(),
  balance: Type.Integer(),
});

export const Statement = Type.Object({
  distributor_id: Type.String(),
  pending: Type.Integer(),
  settled: Type.Integer(),
  reversed: Type.Integer(),
  balance: Type.Integer(),
  ledger_sum: Type.Integer(),
  ledger: Type.Array(
    Type.Object({
      id: Type.String(),
      kind: Type.String(),
      amount: Type.Integer(),
      ref: Type.String(),
      created_at: Type.Integer(),
    }),
  ),
});

/** The tree as a flat list (each node names its parent); the console nests it. */
export const Tree = Type.Object({
  nodes: Type.Array(
    Type.Object({
      id: Type.String(),
      openid: Type.String(),
      status: Type.String(),
      flagged: Type.Boolean(),
      parent_id: Nullable(Type.String()),
    }),
  ),
  truncated: Type.Boolean(),
});

export const Page = <T extends ReturnType<typeof Type.Object>>(item: T) =>
  Type.Object({ items: Type.Array(item), next_cursor: Nullable(Type.String()) });

export const PageQuery = {
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
  cursor: Type.Optional(Type.String({ maxLength: 64 })),
};
