import { Type } from '@fastify/type-provider-typebox';
import type { Api, AppDeps } from '../../deps.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { withErrors } from '../../platform/http/schemas.ts';
import {
  buildOrderSettingsBody,
  getOrder,
  OrderSchema,
  orderPolicy,
  orderSettingsView,
  requireFan,
  saveOrderSettings,
} from '../orders/index.ts';
import { PaySettingsView, PayStart } from './payments.schemas.ts';
import { startPayment, syncPayment } from './payments.service.ts';
import { paymentSettings, savePaymentSettings } from './settings.service.ts';

/** Admin: the merchant's WeChat Pay settings (never the keys), with the order policy beside them. */
export function paymentsRoutes(app: Api): void {
  const tags = ['payments'];
  app.get(
    '/payments/settings',
    {
      schema: {
        tags,
        summary: '微信支付设置（不含密钥）/ WeChat Pay settings, without secrets',
        response: withErrors({ 200: PaySettingsView }),
      },
    },
    async (request) => {
      const settings = await paymentSettings(request.ctx);
      if (!settings) return { configured: false };
      return {
        configured: true,
        mchid: settings.mchid,
        serial_no: settings.serial_no,
        platform_key_id: settings.platform_key_id,
        ...orderSettingsView(await orderPolicy(request.ctx)),
      };
    },
  );
  const OrderFields = buildOrderSettingsBody();
  app.put(
    '/payments/settings',
    {
      schema: {
        tags,
        summary: '配置微信支付 / Configure WeChat Pay',
        body: Type.Object({
          mchid: Type.String({ maxLength: 12 }),
          serial_no: Type.String({ minLength: 8, maxLength: 64 }),
          private_key_pem: Type.String({ maxLength: 8192 }),
          api_v3_key: Type.String({ minLength: 32, maxLength: 32 }),
          platform_public_key_pem: Type.String({ maxLength: 8192 }),
          platform_key_id: Type.String({ maxLength: 64 }),
          ...OrderFields.properties,
        }),
        response: withErrors({ 200: Type.Object({ ok: Type.Boolean() }) }),
      },
    },
    async (request) => {
      requireRole(request.ctx, 'owner');
      const {
        cod_enabled,
        remind_after_minutes,
        cancel_after_minutes,
        template_paid,
        template_shipped,
        ...pay
      } = request.body;
      await savePaymentSettings(request.ctx, pay);
      // One form in the console sets both; what it leaves out takes the defaults, as it always did.
      await saveOrderSettings(request.ctx, {
        cod_enabled: cod_enabled ?? false,
        remind_after_minutes: remind_after_minutes ?? 10,
        cancel_after_minutes: cancel_after_minutes ?? 30,
        template_paid: template_paid ?? null,
        template_shipped: template_shipped ?? null,
      });
      return { ok: true };
    },
  );
}

/** The shop's pay buttons: start WeChat Pay for an order, and ask WeChat Pay when the sheet closes. */
export function shopPayRoutes(app: Api, deps: AppDeps): void {
  const tags = ['shop'];
  const OrderParams = Type.Object({
    appid: Type.String({ maxLength: 32 }),
    id: Type.String({ maxLength: 64 }),
  });
  app.post(
    '/shop/:appid/api/orders/:id/pay',
    {
      schema: {
        tags,
        summary: '发起微信支付 / Start WeChat Pay',
        params: OrderParams,
        response: withErrors({ 200: PayStart }),
      },
    },
    async (request) => startPayment(await requireFan(deps, request), request.params.id),
  );
  app.post(
    '/shop/:appid/api/orders/:id/sync',
    {
      schema: {
        tags,
        summary: '向微信支付查询结果 / Ask WeChat Pay',
        params: OrderParams,
        response: withErrors({ 200: OrderSchema }),
      },
    },
    async (request) => {
      const ctx = await requireFan(deps, request);
      const buyer = { ...ctx, openid: ctx.actor.kind === 'fan' ? ctx.actor.openid : '' };
      await getOrder(buyer, request.params.id);
      await syncPayment(ctx, request.params.id).catch(() => 'ignored');
      deps.wakeJobs();
      return getOrder(buyer, request.params.id);
    },
  );
}
