import type { Ctx } from '../../context.ts';
import { DAY_MS, type DayRange, fillDays } from '../../platform/db/day-buckets.ts';
import { qrCodeDirectory } from '../channel/index.ts';

const dayBounds = (range: DayRange) => ({
  first: Math.floor((range.from + range.offsetMs) / DAY_MS),
  last: Math.floor((range.to - 1 + range.offsetMs) / DAY_MS),
});

/**
 * The dashboard's follower figures from the rollups (no scan of followers or the log): followers
 * now (baseline + every day's net), all who ever followed (now + every unfollow; a fan who left
 * twice counts twice), new per day and new per channel QR code over the range.
 */
export async function followerOverview(ctx: Ctx, range: DayRange) {
  const { first, last } = dayBounds(range);
  let daily = ctx.db
    .selectFrom('analytics_follower_days')
    .select((eb) => ['day', 'qrcode_id', eb.fn.sum<number>('new_count').as('value')])
    .where('merchant_id', '=', ctx.merchantId)
    .where('day', '>=', first)
    .where('day', '<=', last)
    .groupBy(['day', 'qrcode_id']);
  let all = ctx.db
    .selectFrom('analytics_follower_days')
    .select((eb) => [
      eb.fn.sum<number>('new_count').as('new_count'),
      eb.fn.sum<number>('lost_count').as('lost_count'),
    ])
    .where('merchant_id', '=', ctx.merchantId);
  let baseline = ctx.db
    .selectFrom('analytics_follower_baselines')
    .select((eb) => eb.fn.sum<number>('followers').as('followers'))
    .where('merchant_id', '=', ctx.merchantId);
  if (range.account_id) {
    daily = daily.where('account_id', '=', range.account_id);
    all = all.where('account_id', '=', range.account_id);
    baseline = baseline.where('account_id', '=', range.account_id);
  }
  const [rows, totals, base, codes] = await Promise.all([
    daily.execute(),
    all.executeTakeFirst(),
    baseline.executeTakeFirst(),
    qrCodeDirectory(ctx),
  ]);
  const lost = Number(totals?.lost_count ?? 0);
  const subscribed = Number(base?.followers ?? 0) + Number(totals?.new_count ?? 0) - lost;
  const perDay = new Map<number, number>();
  const perSource = new Map<string, number>();
  const names = new Map(codes.map((c) => [c.id, c.name]));
  for (const row of rows) {
    const value = Number(row.value ?? 0);
    perDay.set(Number(row.day), (perDay.get(Number(row.day)) ?? 0) + value);
    const source = row.qrcode_id ? (names.get(row.qrcode_id) ?? row.qrcode_id) : '直接关注';
    perSource.set(source, (perSource.get(source) ?? 0) + value);
  }
  return {
    total: subscribed + lost,
    subscribed,
    new_by_day: fillDays(
      [...perDay].map(([day, value]) => ({ day, value })),
      range.from,
      range.to,
      range.offsetMs,
    ),
    by_source: [...perSource]
      .filter(([, value]) => value > 0)
      .map(([source, value]) => ({ source, value }))
      .sort((a, b) => b.value - a.value || a.source.localeCompare(b.source)),
  };
}

/** Messages in (fans) and out (replies, follow-ups, agents) per local day, from the rollups. */
export async function messageDays(ctx: Ctx, range: DayRange) {
  const { first, last } = dayBounds(range);
  let query = ctx.db
    .selectFrom('analytics_message_days')
    .select((eb) => [
      'day',
      eb.fn.sum<number>('fan_messages').as('fan_messages'),
      eb.fn.sum<number>('replies').as('replies'),
    ])
    .where('merchant_id', '=', ctx.merchantId)
    .where('day', '>=', first)
    .where('day', '<=', last)
    .groupBy('day');
  if (range.account_id) query = query.where('account_id', '=', range.account_id);
  const rows = await query.execute();
  const series = (pick: (r: (typeof rows)[number]) => unknown) =>
    fillDays(
      rows.map((r) => ({ day: Number(r.day), value: Number(pick(r) ?? 0) })),
      range.from,
      range.to,
      range.offsetMs,
    );
  return { in: series((r) => r.fan_messages), out: series((r) => r.replies) };
}
