import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { DAY_MS, dayLabel, zoneOffsetMs } from '../../platform/db/day-buckets.ts';
import { badRequest } from '../../platform/http/errors.ts';
import { getAccount } from '../accounts/index.ts';
import { qrCodeDirectory } from '../channel/index.ts';
import { getMerchant } from '../tenants/index.ts';

/** The seeds' bar: followers should grow by at least this share over a promotion. */
export const COMPOUND_GROWTH_TARGET = 0.2;
const MAX_RANGE_DAYS = 366;

export type Granularity = 'day' | 'week';

export interface FollowerPoint {
  /** The local day, or the Monday that starts the week. */
  period: string;
  new: number;
  lost: number;
  net: number;
  /** Followers at the end of the period. */
  cumulative: number;
  /** net ÷ followers at the start of the period; null when it started at zero. */
  growth: number | null;
}

export interface WechatPoint {
  period: string;
  new_user: number | null;
  cancel_user: number | null;
  net: number | null;
  cumulate_user: number | null;
}

// Day 0 (1970-01-01) was a Thursday: shifting by 3 makes weeks start on Monday.
const weekOf = (day: number) => Math.floor((day + 3) / 7);
const weekStart = (week: number) => week * 7 - 3;

const round = (value: number) => Math.round(value * 10_000) / 10_000;

/**
 * Followers per day or week from the rollups, in the merchant's zone: new (each follow, a refollow
 * too, as WeChat counts them), lost (each unfollow), net, cumulative at the period's end, the
 * period's growth, and by channel QR code; WeChat's own datacube figures beside ours.
 *
 * Compound growth over the range = (followers at the end ÷ followers at the start) − 1, i.e. the
 * range's net ÷ the followers it started with; the compound daily rate is the constant daily
 * growth that compounds to it: (end ÷ start)^(1 / days) − 1. Both are null when the range
 * started with no followers.
 */
export async function followerReport(
  ctx: Ctx,
  input: { from: number; to: number; account_id?: string; granularity?: Granularity },
) {
  requireRole(ctx, 'operator', 'agent');
  if (input.to <= input.from)
    throw badRequest('invalid_range', '结束时间必须晚于开始时间', 'The range must end after it starts');
  if (input.to - input.from > MAX_RANGE_DAYS * DAY_MS)
    throw badRequest(
      'range_too_long',
      `时间范围最多 ${MAX_RANGE_DAYS} 天`,
      `The range is limited to ${MAX_RANGE_DAYS} days`,
    );
  // Another merchant's (or no) account is not found, as everywhere else, rather than a report of zeros.
  if (input.account_id) await getAccount(ctx, input.account_id);
  const granularity = input.granularity ?? 'day';
  const merchant = await getMerchant(ctx);
  const firstDay = Math.floor((input.from + zoneOffsetMs(merchant.timezone, input.from)) / DAY_MS);
  const lastDay = Math.floor((input.to - 1 + zoneOffsetMs(merchant.timezone, input.to - 1)) / DAY_MS);

  let days = ctx.db
    .selectFrom('analytics_follower_days')
    .select((eb) => [
      'day',
      'qrcode_id',
      eb.fn.sum<number>('new_count').as('new_count'),
      eb.fn.sum<number>('lost_count').as('lost_count'),
    ])
    .where('merchant_id', '=', ctx.merchantId)
    .where('day', '>=', firstDay)
    .where('day', '<=', lastDay)
    .groupBy(['day', 'qrcode_id']);
  let before = ctx.db
    .selectFrom('analytics_follower_days')
    .select((eb) => [
      eb.fn.sum<number>('new_count').as('new_count'),
      eb.fn.sum<number>('lost_count').as('lost_count'),
    ])
    .where('merchant_id', '=', ctx.merchantId)
    .where('day', '<', firstDay);
  let baseline = ctx.db
    .selectFrom('analytics_follower_baselines')
    .select((eb) => eb.fn.sum<number>('followers').as('followers'))
    .where('merchant_id', '=', ctx.merchantId);
  if (input.account_id) {
    days = days.where('account_id', '=', input.account_id);
    before = before.where('account_id', '=', input.account_id);
    baseline = baseline.where('account_id', '=', input.account_id);
  }
  const [rows, prior, base, codes, wechat] = await Promise.all([
    days.execute(),
    before.executeTakeFirst(),
    baseline.executeTakeFirst(),
    qrCodeDirectory(ctx),
    wechatFigures(ctx, { firstDay, lastDay, account_id: input.account_id }),
  ]);
  const start = Number(base?.followers ?? 0) + Number(prior?.new_count ?? 0) - Number(prior?.lost_count ?? 0);

  const periodOf = granularity === 'week' ? weekOf : (day: number) => day;
  const labelOf = granularity === 'week' ? (p: number) => dayLabel(weekStart(p)) : dayLabel;
  const buckets = new Map<number, { new: number; lost: number }>();
  for (let p = periodOf(firstDay); p <= periodOf(lastDay); p++) buckets.set(p, { new: 0, lost: 0 });
  const byQr = new Map<string, { new: number; lost: number }>();
  for (const row of rows) {
    const n = Number(row.new_count ?? 0);
    const l = Number(row.lost_count ?? 0);
    const bucket = buckets.get(periodOf(Number(row.day)))!;
    bucket.new += n;
    bucket.lost += l;
    const qr = byQr.get(row.qrcode_id) ?? { new: 0, lost: 0 };
    qr.new += n;
    qr.lost += l;
    byQr.set(row.qrcode_id, qr);
  }
  let running = start;
  const series: FollowerPoint[] = [...buckets].map(([period, b]) => {
    const opening = running;
    running += b.new - b.lost;
    return {
      period: labelOf(period),
      new: b.new,
      lost: b.lost,
      net: b.new - b.lost,
      cumulative: running,
      growth: opening > 0 ? round((b.new - b.lost) / opening) : null,
    };
  });
  const names = new Map(codes.map((c) => [c.id, c.name]));
  const totalNew = series.reduce((s, p) => s + p.new, 0);
  const totalLost = series.reduce((s, p) => s + p.lost, 0);
  const spanDays = lastDay - firstDay + 1;
  return {
    timezone: merchant.timezone,
    granularity,
    from_day: dayLabel(firstDay),
    to_day: dayLabel(lastDay),
    summary: {
      new: totalNew,
      lost: totalLost,
      net: totalNew - totalLost,
      start,
      end: running,
      compound_growth: start > 0 ? round(running / start - 1) : null,
      compound_daily_rate: start > 0 && running >= 0 ? round((running / start) ** (1 / spanDays) - 1) : null,
      target: COMPOUND_GROWTH_TARGET,
    },
    series,
    by_qrcode: [...byQr]
      .map(([id, f]) => ({
        qrcode_id: id || null,
        name: id ? (names.get(id) ?? id) : null,
        new: f.new,
        lost: f.lost,
        net: f.new - f.lost,
      }))
      .sort((a, b) => b.new - a.new || (a.name ?? '').localeCompare(b.name ?? '')),
    wechat: bucketWechat(wechat, { firstDay, lastDay, periodOf, labelOf }),
  };
}

/** WeChat's figures per China day (WeChat reports in Beijing time), summed over accounts and sources. */
async function wechatFigures(ctx: Ctx, range: { firstDay: number; lastDay: number; account_id?: string }) {
  const from = dayLabel(range.firstDay);
  const to = dayLabel(range.lastDay);
  let summary = ctx.db
    .selectFrom('analytics_wechat_user_days')
    .select((eb) => [
      'ref_date',
      eb.fn.sum<number>('new_user').as('new_user'),
      eb.fn.sum<number>('cancel_user').as('cancel_user'),
    ])
    .where('merchant_id', '=', ctx.merchantId)
    .where('ref_date', '>=', from)
    .where('ref_date', '<=', to)
    .groupBy('ref_date');
  let cumulate = ctx.db
    .selectFrom('analytics_wechat_cumulate')
    .select((eb) => ['ref_date', eb.fn.sum<number>('cumulate_user').as('cumulate_user')])
    .where('merchant_id', '=', ctx.merchantId)
    .where('ref_date', '>=', from)
    .where('ref_date', '<=', to)
    .groupBy('ref_date');
  if (range.account_id) {
    summary = summary.where('account_id', '=', range.account_id);
    cumulate = cumulate.where('account_id', '=', range.account_id);
  }
  const [s, c] = await Promise.all([summary.execute(), cumulate.execute()]);
  const byDay = new Map<
    string,
    { new_user: number | null; cancel_user: number | null; cumulate_user: number | null }
  >();
  for (const row of s)
    byDay.set(row.ref_date, {
      new_user: Number(row.new_user ?? 0),
      cancel_user: Number(row.cancel_user ?? 0),
      cumulate_user: null,
    });
  for (const row of c) {
    // Both are pulled in one go: a day with a cumulative but no summary rows had no follows.
    const entry = byDay.get(row.ref_date) ?? { new_user: 0, cancel_user: 0, cumulate_user: null };
    entry.cumulate_user = Number(row.cumulate_user ?? 0);
    byDay.set(row.ref_date, entry);
  }
  return byDay;
}

function bucketWechat(
  byDay: Awaited<ReturnType<typeof wechatFigures>>,
  range: {
    firstDay: number;
    lastDay: number;
    periodOf: (day: number) => number;
    labelOf: (period: number) => string;
  },
): WechatPoint[] {
  const buckets = new Map<number, WechatPoint>();
  for (let day = range.firstDay; day <= range.lastDay; day++) {
    const period = range.periodOf(day);
    const point = buckets.get(period) ?? {
      period: range.labelOf(period),
      new_user: null,
      cancel_user: null,
      net: null,
      cumulate_user: null,
    };
    const figures = byDay.get(dayLabel(day));
    if (figures) {
      if (figures.new_user !== null) {
        point.new_user = (point.new_user ?? 0) + figures.new_user;
        point.cancel_user = (point.cancel_user ?? 0) + (figures.cancel_user ?? 0);
        point.net = point.new_user - point.cancel_user;
      }
      // The period's last day pulled is its end figure.
      if (figures.cumulate_user !== null) point.cumulate_user = figures.cumulate_user;
    }
    buckets.set(period, point);
  }
  return [...buckets.values()];
}
