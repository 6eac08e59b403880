import { Type } from '@fastify/type-provider-typebox';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

export const PayStart = Type.Object({
  order_id: Type.String(),
  total: Type.Integer(),
  pay_params: Type.Object({
    appId: Type.String(),
    timeStamp: Type.String(),
    nonceStr: Type.String(),
    package: Type.String(),
    signType: Type.String(),
    paySign: Type.String(),
  }),
});

export const PaySettingsView = Type.Object({
  configured: Type.Boolean(),
  mchid: Type.Optional(Type.String()),
  serial_no: Type.Optional(Type.String()),
  platform_key_id: Type.Optional(Type.String()),
  cod_enabled: Type.Optional(Type.Boolean()),
  remind_after_minutes: Type.Optional(Type.Number()),
  cancel_after_minutes: Type.Optional(Type.Number()),
  template_paid: Type.Optional(Nullable(Type.String())),
  template_shipped: Type.Optional(Nullable(Type.String())),
});
