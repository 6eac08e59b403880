import { Type } from '@fastify/type-provider-typebox';

const Template = Type.Union([Type.String({ maxLength: 64 }), Type.Null()]);

export const OrderSettings = Type.Object({
  cod_enabled: Type.Boolean(),
  remind_after_minutes: Type.Number(),
  cancel_after_minutes: Type.Number(),
  template_paid: Template,
  template_shipped: Template,
});

/** The editable order settings, each optional (fields left out keep their value). */
export const buildOrderSettingsBody = () =>
  Type.Object({
    cod_enabled: Type.Optional(Type.Boolean()),
    remind_after_minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 1440 })),
    cancel_after_minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 10080 })),
    template_paid: Type.Optional(Template),
    template_shipped: Type.Optional(Template),
  });
