import type { Ctx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import { formatFen } from '../../platform/money.ts';
import { apiClientFor, getAccount } from '../accounts/index.ts';
import { FLASH_REMINDER_JOB, getSale } from './flash-sales.service.ts';

const BATCH = 200;

/**
 * Reminds reserved fans before the sale opens, a batch per job (the next batch is its own job,
 * so a retry resends at most one batch and a million reservers never hold one worker). A fan
 * WeChat will not let us reach (unfollowed, outside the window) is skipped, not retried.
 */
export async function sendSaleReminders(
  deps: AppDeps,
  ctx: Ctx,
  saleId: string,
  after: string,
): Promise<void> {
  const sale = await getSale(ctx, saleId);
  if (ctx.now >= sale.opens_at) return;
  const fans = await ctx.db
    .selectFrom('flash_reservations')
    .select(['openid', 'account_id'])
    .where('sale_id', '=', sale.id)
    .where('openid', '>', after)
    .orderBy('openid')
    .limit(BATCH)
    .execute();
  const minutes = Math.max(1, Math.round((sale.opens_at - ctx.now) / 60_000));
  const accounts = new Map<string, Awaited<ReturnType<typeof getAccount>> | null>();
  for (const fan of fans) {
    if (!accounts.has(fan.account_id))
      accounts.set(fan.account_id, await getAccount(ctx, fan.account_id).catch(() => null));
    const account = accounts.get(fan.account_id);
    if (!account) continue;
    const link = `${deps.config.publicUrl}/shop/${account.appid}/flash/${sale.id}`;
    await apiClientFor(deps, account)
      .sendCustomMessage(fan.openid, {
        msgtype: 'text',
        text: {
          content: `您预约的「${sale.title}」${minutes} 分钟后开抢，秒杀价 ${formatFen(sale.price)}。<a href="${link}">进入抢购页</a>`,
        },
      })
      .catch(() => undefined);
  }
  const last = fans.at(-1);
  if (fans.length === BATCH && last) {
    await enqueueJob(
      deps.db,
      {
        type: FLASH_REMINDER_JOB,
        key: `${sale.id}:${last.openid}`,
        merchantId: ctx.merchantId,
        payload: { saleId, after: last.openid },
      },
      ctx.now,
    );
  }
}
