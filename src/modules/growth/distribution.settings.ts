import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { badRequest } from '../../platform/http/errors.ts';
import { getProduct } from '../catalog/index.ts';
import type { CommissionKind, DistSettingsTable, JoinMode } from './distribution.schema.ts';

export type DistSettings = Omit<DistSettingsTable, 'merchant_id' | 'enabled' | 'rebind_after_expiry'> & {
  enabled: boolean;
  rebind_after_expiry: boolean;
};

/** What a merchant who never opened the settings gets: switched off, two levels, 10 % / 5 %. */
export const DEFAULT_SETTINGS: DistSettings = {
  enabled: false,
  join_mode: 'apply',
  package_product_id: null,
  levels: 2,
  binding_days: 30,
  rebind_after_expiry: true,
  refund_window_days: 7,
  default_kind: 'percent',
  default_level1: 1000,
  default_level2: 500,
  min_withdrawal: 100,
  burst_buyers: 20,
  burst_minutes: 10,
  updated_at: 0,
};

export const DAY_MS = 86_400_000;

export async function distSettings(ctx: Pick<Ctx, 'db' | 'merchantId'>): Promise<DistSettings> {
  const row = await ctx.db
    .selectFrom('growth_dist_settings')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .executeTakeFirst();
  if (!row) return DEFAULT_SETTINGS;
  const { merchant_id: _m, ...rest } = row;
  return {
    ...rest,
    enabled: row.enabled === 1,
    rebind_after_expiry: row.rebind_after_expiry === 1,
    levels: Number(row.levels),
    binding_days: Number(row.binding_days),
    refund_window_days: Number(row.refund_window_days),
    default_level1: Number(row.default_level1),
    default_level2: Number(row.default_level2),
    min_withdrawal: Number(row.min_withdrawal),
    burst_buyers: Number(row.burst_buyers),
    burst_minutes: Number(row.burst_minutes),
    updated_at: Number(row.updated_at),
  };
}

export interface DistSettingsInput {
  enabled: boolean;
  join_mode: JoinMode;
  package_product_id?: string | null;
  levels: number;
  binding_days: number;
  rebind_after_expiry: boolean;
  refund_window_days: number;
  default_kind: CommissionKind;
  default_level1: number;
  default_level2: number;
  min_withdrawal: number;
  burst_buyers: number;
  burst_minutes: number;
}

/** Checks a rule's two levels: percents in basis points that together never pass the price. */
export function checkRates(kind: CommissionKind, level1: number, level2: number): void {
  if (!Number.isSafeInteger(level1) || !Number.isSafeInteger(level2) || level1 < 0 || level2 < 0)
    throw badRequest('invalid_rate', '佣金必须是非负整数', 'Commission rates must be non-negative integers');
  if (kind === 'percent' && level1 + level2 > 5000)
    throw badRequest(
      'rate_too_high',
      '两级佣金比例合计不能超过 50%',
      'The two levels together may take at most 50 % of the price',
    );
}

export async function saveDistSettings(ctx: Ctx, input: DistSettingsInput): Promise<DistSettings> {
  requireRole(ctx, 'owner');
  if (input.levels !== 1 && input.levels !== 2)
    throw badRequest(
      'invalid_levels',
      '分销只能设一级或两级',
      'Distribution has one or two levels, never more',
    );
  checkRates(input.default_kind, input.default_level1, input.default_level2);
  const packageId = input.join_mode === 'package' ? (input.package_product_id ?? null) : null;
  if (input.join_mode === 'package') {
    if (!packageId)
      throw badRequest('package_required', '请选择购买后成为分销员的商品', 'Choose the package product');
    await getProduct(ctx, packageId);
  }
  const row = {
    merchant_id: ctx.merchantId,
    enabled: input.enabled ? 1 : 0,
    join_mode: input.join_mode,
    package_product_id: packageId,
    levels: input.levels,
    binding_days: input.binding_days,
    rebind_after_expiry: input.rebind_after_expiry ? 1 : 0,
    refund_window_days: input.refund_window_days,
    default_kind: input.default_kind,
    default_level1: input.default_level1,
    default_level2: input.default_level2,
    min_withdrawal: input.min_withdrawal,
    burst_buyers: input.burst_buyers,
    burst_minutes: input.burst_minutes,
    updated_at: ctx.now,
  };
  const { merchant_id: _m, ...update } = row;
  await ctx.db
    .insertInto('growth_dist_settings')
    .values(row)
    .onConflict((oc) => oc.column('merchant_id').doUpdateSet(update))
    .execute();
  return distSettings(ctx);
}
