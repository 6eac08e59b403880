import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import type { OrderSettingsTable } from './orders.schema.ts';

export interface OrderPolicy {
  codEnabled: boolean;
  remindAfterMs: number;
  cancelAfterMs: number;
  templatePaid: string | null;
  templateShipped: string | null;
}

export interface OrderSettingsInput {
  cod_enabled?: boolean;
  remind_after_minutes?: number;
  cancel_after_minutes?: number;
  template_paid?: string | null;
  template_shipped?: string | null;
}

const DEFAULTS: OrderPolicy = {
  codEnabled: false,
  remindAfterMs: 10 * 60_000,
  cancelAfterMs: 30 * 60_000,
  templatePaid: null,
  templateShipped: null,
};

/** The merchant's order policy; defaults until an operator saves one. */
export async function orderPolicy(ctx: Pick<Ctx, 'db' | 'merchantId'>): Promise<OrderPolicy> {
  const row = await ctx.db
    .selectFrom('order_settings')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .executeTakeFirst();
  if (!row) return DEFAULTS;
  return {
    codEnabled: row.cod_enabled === 1,
    remindAfterMs: row.remind_after_ms,
    cancelAfterMs: row.cancel_after_ms,
    templatePaid: row.template_paid,
    templateShipped: row.template_shipped,
  };
}

/** The policy as the API shows it (minutes, snake_case). */
export function orderSettingsView(policy: OrderPolicy) {
  return {
    cod_enabled: policy.codEnabled,
    remind_after_minutes: policy.remindAfterMs / 60_000,
    cancel_after_minutes: policy.cancelAfterMs / 60_000,
    template_paid: policy.templatePaid,
    template_shipped: policy.templateShipped,
  };
}

/** Saves the order policy; fields left out keep their current value. */
export async function saveOrderSettings(ctx: Ctx, input: OrderSettingsInput): Promise<OrderPolicy> {
  requireRole(ctx, 'owner');
  const current = await orderPolicy(ctx);
  const row: OrderSettingsTable = {
    merchant_id: ctx.merchantId,
    cod_enabled: (input.cod_enabled ?? current.codEnabled) ? 1 : 0,
    remind_after_ms:
      input.remind_after_minutes === undefined ? current.remindAfterMs : input.remind_after_minutes * 60_000,
    cancel_after_ms:
      input.cancel_after_minutes === undefined ? current.cancelAfterMs : input.cancel_after_minutes * 60_000,
    template_paid: input.template_paid === undefined ? current.templatePaid : input.template_paid,
    template_shipped: input.template_shipped === undefined ? current.templateShipped : input.template_shipped,
    updated_at: ctx.now,
  };
  const { merchant_id: _m, ...update } = row;
  await ctx.db
    .insertInto('order_settings')
    .values(row)
    .onConflict((oc) => oc.column('merchant_id').doUpdateSet(update))
    .execute();
  return orderPolicy(ctx);
}
