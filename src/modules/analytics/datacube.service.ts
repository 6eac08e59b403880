import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { DAY_MS } from '../../platform/db/day-buckets.ts';
import { badRequest } from '../../platform/http/errors.ts';
import { apiClientFor, getAccount, listAccounts, viaWeChat } from '../accounts/index.ts';
import { oneAtATime } from './one-at-a-time.ts';
import { dayNumber } from './rollups.service.ts';

const CHINA_OFFSET_MS = 8 * 3_600_000;
/** WeChat answers getusersummary / getusercumulate for at most seven days per call. */
export const DATACUBE_MAX_DAYS = 7;
/** How far back one pull may reach (WeChat keeps its user analysis about this long). */
const MAX_PULL_DAYS = 92;

/** "2026-11-25" in China time: WeChat's datacube days are Beijing days whatever the merchant's zone. */
export const chinaDay = (ms: number) => new Date(ms + CHINA_OFFSET_MS).toISOString().slice(0, 10);
const addDays = (label: string, n: number) =>
  new Date(Date.parse(`${label}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);

interface UserSummary {
  list?: Array<{ ref_date: string; user_source: number; new_user: number; cancel_user: number }>;
}
interface UserCumulate {
  list?: Array<{ ref_date: string; cumulate_user: number }>;
}

/**
 * Pulls WeChat's follower figures (getusersummary, getusercumulate) for one account over China days
 * [from, to], seven days a call, and stores them beside our rollups. A day's summary rows are
 * replaced, not added to: pulling a day again gives the same figures.
 */
export async function pullWechatUsers(ctx: Ctx, accountId: string, range: { from: string; to: string }) {
  const account = await getAccount(ctx, accountId);
  const client = apiClientFor(ctx.deps, account);
  let days = 0;
  for (let begin = range.from; begin <= range.to; begin = addDays(begin, DATACUBE_MAX_DAYS)) {
    const chunkEnd = addDays(begin, DATACUBE_MAX_DAYS - 1);
    // biome-ignore lint/complexity/useMathMinMax: day labels are strings that sort by date
    const end = chunkEnd < range.to ? chunkEnd : range.to;
    const body = { begin_date: begin, end_date: end };
    const summary = await client.call<UserSummary>('/datacube/getusersummary', { body });
    const cumulate = await client.call<UserCumulate>('/datacube/getusercumulate', { body });
    await inTransaction(ctx.db, async (trx) => {
      await trx
        .deleteFrom('analytics_wechat_user_days')
        .where('account_id', '=', accountId)
        .where('ref_date', '>=', begin)
        .where('ref_date', '<=', end)
        .execute();
      const rows = (summary.list ?? []).map((item) => ({
        merchant_id: ctx.merchantId,
        account_id: accountId,
        ref_date: item.ref_date,
        user_source: item.user_source,
        new_user: item.new_user,
        cancel_user: item.cancel_user,
        pulled_at: ctx.now,
      }));
      if (rows.length) await trx.insertInto('analytics_wechat_user_days').values(rows).execute();
      for (const item of cumulate.list ?? [])
        await trx
          .insertInto('analytics_wechat_cumulate')
          .values({
            merchant_id: ctx.merchantId,
            account_id: accountId,
            ref_date: item.ref_date,
            cumulate_user: item.cumulate_user,
            pulled_at: ctx.now,
          })
          .onConflict((oc) =>
            oc
              .columns(['account_id', 'ref_date'])
              .doUpdateSet({ cumulate_user: item.cumulate_user, pulled_at: ctx.now }),
          )
          .execute();
    });
    days += (Date.parse(end) - Date.parse(begin)) / DAY_MS + 1;
  }
  return days;
}

/**
 * The console's "pull from WeChat": every account of the merchant (or one), the given China days
 * (default: the last seven up to yesterday — WeChat has no figures for today yet).
 */
export async function pullWechatUsersNow(
  ctx: Ctx,
  input: { account_id?: string; from?: string; to?: string },
) {
  requireRole(ctx, 'operator');
  const yesterday = chinaDay(ctx.now - DAY_MS);
  const to = input.to ?? yesterday;
  const from = input.from ?? addDays(to, -(DATACUBE_MAX_DAYS - 1));
  if (!Number.isFinite(dayNumber(from)) || !Number.isFinite(dayNumber(to)))
    throw badRequest('invalid_day', '日期无效', 'Not a calendar day');
  if (to > yesterday)
    throw badRequest(
      'range_not_closed',
      '微信只提供昨天及以前的数据',
      'WeChat has figures up to yesterday only',
    );
  if (from > to)
    throw badRequest('invalid_range', '结束日期不能早于开始日期', 'The range must end on or after its start');
  if ((Date.parse(to) - Date.parse(from)) / DAY_MS + 1 > MAX_PULL_DAYS)
    throw badRequest(
      'range_too_long',
      `一次最多拉取 ${MAX_PULL_DAYS} 天`,
      `At most ${MAX_PULL_DAYS} days per pull`,
    );
  const accounts = input.account_id ? [await getAccount(ctx, input.account_id)] : await listAccounts(ctx);
  return oneAtATime(ctx, 'wechat_pull', async () => {
    const pulled: Array<{ account_id: string; days: number }> = [];
    for (const account of accounts)
      pulled.push({
        account_id: account.id,
        days: await viaWeChat(() => pullWechatUsers(ctx, account.id, { from, to })),
      });
    return { from, to, accounts: pulled };
  });
}
