import type { Ctx } from '../../context.ts';
import { DAY_MS, zoneOffsetMs } from '../../platform/db/day-buckets.ts';
import { badRequest } from '../../platform/http/errors.ts';
import { followerGrowth, messagesByDay } from '../channel/audience.service.ts';
import { orderFunnel, ordersByDay } from '../orders/orders.service.ts';
import { getMerchant } from '../tenants/tenants.service.ts';

const MAX_RANGE_DAYS = 92;

/**
 * The dashboard: followers over time and by source, messages in and out, orders placed vs paid (the seeds'
 * "only a third paid" funnel) and sales, per day in the merchant's time zone.
 */
export async function overview(ctx: Ctx, input: { from: number; to: number; account_id?: string }) {
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
  const [followers, messages, orders, funnel] = await Promise.all([
    followerGrowth(ctx, range),
    messagesByDay(ctx, range),
    ordersByDay(ctx, range),
    orderFunnel(ctx, input),
  ]);
  return {
    timezone: merchant.timezone,
    followers,
    messages_in_by_day: messages.in,
    messages_out_by_day: messages.out,
    orders,
    funnel,
  };
}
