import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { found } from '../../platform/db/paging.ts';
import { badRequest } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { createProduct, getProduct, updateProduct } from '../catalog/index.ts';
import type { CommunityPlansTable, PlanRepeat } from './community.schema.ts';

export const PLAN = { zh: '会员方案', en: 'Membership plan' };
export const DAY_MS = 86_400_000;

export interface PlanInput {
  name: string;
  description?: string;
  period_days: number;
  price: number;
  seat_cap: number;
  window_start: number;
  window_days: number;
  repeat: PlanRepeat;
  member_discount_pct?: number;
  status: 'active' | 'paused';
}

/** The round's opening `years` after the first one, at the same month, day and time (UTC). */
function shiftYears(start: number, years: number): number {
  const d = new Date(start);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d.getTime();
}

/** The recruiting round open at `now`, by its opening time; null outside every window. */
export function openRound(
  plan: Pick<CommunityPlansTable, 'window_start' | 'window_days' | 'repeat'>,
  now: number,
) {
  const length = plan.window_days * DAY_MS;
  if (plan.repeat === 'none')
    return now >= plan.window_start && now < plan.window_start + length ? plan.window_start : null;
  const years = new Date(now).getUTCFullYear() - new Date(plan.window_start).getUTCFullYear();
  for (const k of [years, years - 1]) {
    if (k < 0) continue;
    const start = shiftYears(plan.window_start, k);
    if (start <= now && now < start + length) return start;
  }
  return null;
}

/** The latest round that has opened by `now` (a renewal outside the window is recorded under it). */
export function lastRound(plan: Pick<CommunityPlansTable, 'window_start' | 'repeat'>, now: number): number {
  if (plan.repeat === 'none' || now < plan.window_start) return plan.window_start;
  const years = new Date(now).getUTCFullYear() - new Date(plan.window_start).getUTCFullYear();
  const start = shiftYears(plan.window_start, years);
  return start <= now ? start : shiftYears(plan.window_start, years - 1);
}

/** When recruiting opens next (null when it never will again). */
export function nextOpening(plan: Pick<CommunityPlansTable, 'window_start' | 'repeat'>, now: number) {
  if (now < plan.window_start) return plan.window_start;
  if (plan.repeat === 'none') return null;
  return shiftYears(lastRound(plan, now), 1);
}

function validate(input: PlanInput): void {
  if (!input.name.trim()) throw badRequest('name_required', '请填写方案名称', 'A name is required');
  if (input.repeat === 'yearly' && input.window_days > 365)
    throw badRequest(
      'invalid_window',
      '每年招募的窗口不能超过 365 天',
      'A yearly window lasts at most 365 days',
    );
}

/**
 * A plan is sold as a catalog product of kind `service` (no address, no voucher), so it goes
 * through the normal checkout and WeChat Pay; the plan keeps its price and the SKU's in step.
 */
export async function createPlan(ctx: Ctx, input: PlanInput) {
  requireRole(ctx, 'operator');
  validate(input);
  const product = await createProduct(ctx, {
    kind: 'service',
    title: input.name.trim(),
    subtitle: `付费会员 · ${input.period_days} 天`,
    description: input.description ?? '',
    category: '付费会员',
    status: 'on_sale',
    // Seats are counted by the plan's rounds; the SKU's stock never limits a sale.
    skus: [{ spec: {}, price: input.price, stock: 1_000_000 }],
  });
  const row: CommunityPlansTable = {
    id: newId('pln', ctx.now),
    merchant_id: ctx.merchantId,
    name: input.name.trim(),
    description: input.description ?? '',
    period_days: input.period_days,
    price: input.price,
    product_id: product.id,
    sku_id: product.skus[0]!.id,
    seat_cap: input.seat_cap,
    window_start: input.window_start,
    window_days: input.window_days,
    repeat: input.repeat,
    member_discount_pct: input.member_discount_pct ?? 0,
    status: input.status,
    created_at: ctx.now,
    updated_at: ctx.now,
  };
  await ctx.db.insertInto('community_plans').values(row).execute();
  return planView(ctx, row);
}

export async function planRow(ctx: Pick<Ctx, 'db' | 'merchantId'>, id: string) {
  return found(
    await ctx.db
      .selectFrom('community_plans')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('id', '=', id)
      .executeTakeFirst(),
    PLAN,
  );
}

export async function updatePlan(ctx: Ctx, id: string, input: PlanInput) {
  requireRole(ctx, 'operator');
  validate(input);
  const current = await planRow(ctx, id);
  const product = await getProduct(ctx, current.product_id);
  await updateProduct(ctx, current.product_id, {
    title: input.name.trim(),
    description: input.description ?? '',
    status: input.status === 'active' ? 'on_sale' : 'off_shelf',
    skus: product.skus.map((s) => ({ ...s, price: input.price, original_price: input.price })),
  });
  const next = {
    name: input.name.trim(),
    description: input.description ?? '',
    period_days: input.period_days,
    price: input.price,
    seat_cap: input.seat_cap,
    window_start: input.window_start,
    window_days: input.window_days,
    repeat: input.repeat,
    member_discount_pct: input.member_discount_pct ?? 0,
    status: input.status,
    updated_at: ctx.now,
  };
  await ctx.db
    .updateTable('community_plans')
    .set(next)
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .execute();
  return planView(ctx, { ...current, ...next });
}

/** The plan with its recruiting state: the round open now, seats taken in it, the next opening. */
export async function planView(ctx: Pick<Ctx, 'db' | 'merchantId' | 'now'>, plan: CommunityPlansTable) {
  const round = openRound(plan, ctx.now);
  const taken =
    round === null
      ? 0
      : ((
          await ctx.db
            .selectFrom('community_plan_rounds')
            .select('seats_taken')
            .where('merchant_id', '=', ctx.merchantId)
            .where('plan_id', '=', plan.id)
            .where('round_start', '=', round)
            .executeTakeFirst()
        )?.seats_taken ?? 0);
  return {
    ...plan,
    open_round: round,
    seats_taken: Number(taken),
    seats_left: round === null ? 0 : Math.max(0, plan.seat_cap - Number(taken)),
    next_opening: round === null ? nextOpening(plan, ctx.now) : null,
  };
}

export async function listPlans(ctx: Ctx) {
  requireRole(ctx, 'operator', 'agent');
  const rows = await ctx.db
    .selectFrom('community_plans')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .orderBy('id', 'desc')
    .limit(100)
    .execute();
  return Promise.all(rows.map((row) => planView(ctx, row)));
}

/** Plans a fan can see (active ones). */
export async function activePlans(ctx: Pick<Ctx, 'db' | 'merchantId' | 'now'>) {
  const rows = await ctx.db
    .selectFrom('community_plans')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('status', '=', 'active')
    .orderBy('id', 'desc')
    .limit(20)
    .execute();
  return Promise.all(rows.map((row) => planView(ctx, row)));
}
