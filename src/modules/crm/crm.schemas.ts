import { type TSchema, Type } from '@fastify/type-provider-typebox';

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const TagRef = Type.Object({ id: Type.String(), name: Type.String() });

const memberFields = {
  id: Type.String(),
  name: Nullable(Type.String()),
  phone: Nullable(Type.String()),
  region: Nullable(Type.String()),
  gender: Nullable(Type.String()),
  birthday: Nullable(Type.String()),
  unionid: Nullable(Type.String()),
  attrs: Type.Record(Type.String(), Type.Unknown()),
  source_account_id: Nullable(Type.String()),
  source_qrcode_id: Nullable(Type.String()),
  first_contact_at: Nullable(Type.Integer()),
  last_contact_at: Nullable(Type.Integer()),
  order_count: Type.Integer(),
  spend: Type.Integer({ description: '净消费（分）/ Net spend in fen' }),
  last_order_at: Nullable(Type.Integer()),
  average_order_value: Type.Integer({ description: '客单价（分）/ Average order value in fen' }),
  tags: Type.Array(TagRef),
  created_at: Type.Integer(),
  updated_at: Type.Integer(),
};

export const MemberSummary = Type.Object(memberFields);
export const Member = Type.Object({
  ...memberFields,
  rfm: Type.Optional(Type.Object({ r: Type.Integer(), f: Type.Integer(), m: Type.Integer() })),
  identities: Type.Array(Type.Object({ kind: Type.String(), value: Type.String() })),
});
export const MemberPage = Type.Object({
  items: Type.Array(MemberSummary),
  next_cursor: Nullable(Type.String()),
});

export const TimelinePage = Type.Object({
  items: Type.Array(
    Type.Object({
      id: Type.String(),
      at: Type.Integer(),
      kind: Type.String(),
      direction: Type.String(),
      account_id: Nullable(Type.String()),
      text: Nullable(Type.String()),
      reply: Nullable(Type.String()),
      body: Nullable(Type.Record(Type.String(), Type.Unknown())),
      actor: Nullable(Type.String()),
    }),
  ),
  next_cursor: Nullable(Type.String()),
});

export const AttributeDef = Type.Object({
  id: Type.String(),
  key: Type.String(),
  label: Type.String(),
  type: Type.String(),
  options: Nullable(Type.Array(Type.String())),
});

export const Tag = Type.Object({
  id: Type.String(),
  name: Type.String(),
  sync: Type.Boolean(),
  members: Type.Integer(),
  pending: Type.Integer(),
  wechat: Type.Array(
    Type.Object({
      account_id: Type.String(),
      wechat_tag_id: Nullable(Type.Integer()),
      state: Type.String(),
      error: Nullable(Type.String()),
    }),
  ),
  created_at: Type.Integer(),
});

export const Segment = Type.Object({
  id: Type.String(),
  name: Type.String(),
  rules: Type.Unknown({ description: '{op: "and"|"or", rules: [condition | group]}' }),
  auto_tag_id: Nullable(Type.String()),
  created_at: Type.Integer(),
  updated_at: Type.Integer(),
});
