import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { DAY_MS, zoneOffsetMs } from '../../platform/db/day-buckets.ts';
import { badRequest } from '../../platform/http/errors.ts';
import { getAccount } from '../accounts/index.ts';
import { sendFigures, YARDSTICKS } from '../messaging/index.ts';
import { orderOutcomes } from '../orders/index.ts';
import { getMerchant } from '../tenants/index.ts';
import { orderDays } from './order-rollups.service.ts';
import { followerOverview, messageDays } from './rollup-reads.service.ts';

const MAX_RANGE_DAYS = 92;

/**
 * The dashboard: followers over time and by source, messages in and out, orders placed vs paid (the seeds'
 * "only a third paid" funnel) and sales, per day in the merchant's time zone. Followers, messages
 * and orders come from analytics' daily rollups (kept by the log tail and order events), never from
 * a scan of the log or the orders: whole local days, so the funnel here counts the orders placed on
 * the days the range touches (`/orders/funnel` counts the exact range from the orders).
 */
export async function overview(ctx: Ctx, input: { from: number; to: number; account_id?: string }) {
  // Sales and funnels are the operators' and customer service's, not a store clerk's.
  requireRole(ctx, 'operator', 'agent');
  // Another merchant's account is not found, rather than a page of zeros.
  if (input.account_id) await getAccount(ctx, input.account_id);
  if (input.to <= input.from)
    throw badRequest('invalid_range', '结束时间必须晚于开始时间', 'The range must end after it starts');
  if (input.to - input.from > MAX_RANGE_DAYS * DAY_MS) {
    throw badRequest(
      'range_too_long',
      `时间范围最多 ${MAX_RANGE_DAYS} 天`,
      `The range is limited to ${MAX_RANGE_DAYS} days`,
    );
  }
  const merchant = await getMerchant(ctx);
  const range = { ...input, offsetMs: zoneOffsetMs(merchant.timezone, input.from) };
  const [followers, messages, { orders, funnel }, sends] = await Promise.all([
    followerOverview(ctx, range),
    messageDays(ctx, range),
    orderDays(ctx, range),
    sendFigures(ctx, input),
  ]);
  return {
    timezone: merchant.timezone,
    followers,
    messages_in_by_day: messages.in,
    messages_out_by_day: messages.out,
    orders,
    funnel,
    yardsticks: yardsticks(sends, funnel.paid_rate),
  };
}

const rate = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 1000) / 1000 : null);

/**
 * The seeds' yardsticks beside what the period measured: reach (fans reached of the audience,
 * ≥ 40%), click-through on the tracked "read more" (the seeds' "open rate", 10–20% is good) and
 * order → paid completion; reads (≥ 30%) from WeChat's datacube counts, null until pulled.
 */
function yardsticks(sends: Awaited<ReturnType<typeof sendFigures>>, paidRate: number | null) {
  return {
    sends: sends.sends,
    reach: { value: rate(sends.reached, sends.audience), target: YARDSTICKS.reach },
    read: { value: sends.read === null ? null : rate(sends.read, sends.reached), target: YARDSTICKS.read },
    open: { value: rate(sends.clicks, sends.reached), target: 0.1 },
    paid_completion: { value: paidRate, target: null },
  };
}

/**
 * The seeds' funnel: orders placed, paid, cancelled unpaid (with reasons), per account and period.
 * A service account that gets only a third of its orders paid shows it here.
 */
export async function orderFunnel(ctx: Ctx, filter: { account_id?: string; from: number; to: number }) {
  requireRole(ctx, 'operator', 'agent');
  const rows = await orderOutcomes(ctx, filter);
  const placed = rows.length;
  const paid = rows.filter(
    (r) => r.paid_at !== null || (r.payment_method === 'cod' && r.status !== 'cancelled'),
  ).length;
  const cancelled = rows.filter((r) => r.status === 'cancelled');
  const reasons: Record<string, number> = {};
  for (const r of cancelled)
    reasons[r.cancel_reason ?? 'unknown'] = (reasons[r.cancel_reason ?? 'unknown'] ?? 0) + 1;
  return {
    placed,
    paid,
    pending: rows.filter((r) => r.status === 'pending_payment').length,
    cancelled_unpaid: cancelled.length,
    cancel_reasons: reasons,
    paid_rate: placed ? Math.round((paid / placed) * 1000) / 1000 : null,
  };
}
