import type { Ctx } from '../../context.ts';
import type { AccountType } from '../accounts/index.ts';

/**
 * WeChat's mass-send allowance: a subscription account one send a day, a service account four a
 * month, counted on WeChat's calendar (China time), whatever the merchant's own zone.
 */
const CHINA_OFFSET_MS = 8 * 3_600_000;

export function allowance(type: AccountType): number {
  return type === 'subscription' ? 1 : 4;
}

/** The [start, end) of the calendar day (subscription) or month (service) holding `at`. */
export function quotaPeriod(type: AccountType, at: number): { start: number; end: number } {
  const china = new Date(at + CHINA_OFFSET_MS);
  const y = china.getUTCFullYear();
  const m = china.getUTCMonth();
  if (type === 'subscription') {
    const start = Date.UTC(y, m, china.getUTCDate()) - CHINA_OFFSET_MS;
    return { start, end: start + 86_400_000 };
  }
  return { start: Date.UTC(y, m, 1) - CHINA_OFFSET_MS, end: Date.UTC(y, m + 1, 1) - CHINA_OFFSET_MS };
}

export interface QuotaView {
  period: 'day' | 'month';
  allowance: number;
  used: number;
  left: number;
  period_start: number;
  period_end: number;
}

/** Sends booked (scheduled, sending or sent) in the period of `at`, other than `exceptId`. */
export async function quotaAt(
  ctx: Ctx,
  account: { id: string; type: AccountType },
  at: number,
  exceptId?: string,
): Promise<QuotaView> {
  const { start, end } = quotaPeriod(account.type, at);
  let query = ctx.db
    .selectFrom('broadcasts')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('merchant_id', '=', ctx.merchantId)
    .where('account_id', '=', account.id)
    .where('status', 'in', ['scheduled', 'sending', 'sent'])
    .where('scheduled_at', '>=', start)
    .where('scheduled_at', '<', end);
  if (exceptId) query = query.where('id', '!=', exceptId);
  const used = Number((await query.executeTakeFirstOrThrow()).n);
  const total = allowance(account.type);
  return {
    period: account.type === 'subscription' ? 'day' : 'month',
    allowance: total,
    used,
    left: Math.max(0, total - used),
    period_start: start,
    period_end: end,
  };
}
