import { type Ctx, merchantCtx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { PermanentJobError } from '../../platform/jobs/worker.ts';
import { WeChatApiError } from '../../wechat/api-client.ts';
import { apiClientFor, getAccount } from '../accounts/index.ts';
import { ORDER_EVENTS } from '../orders/index.ts';
import { getSettings } from './board.service.ts';
import {
  activateForOrder,
  endForRefund,
  isActive,
  RENEWAL_JOB,
  releaseForCancelled,
} from './membership.service.ts';
import { planRow } from './plans.service.ts';

const dateText = (ms: number) =>
  new Date(ms).toLocaleDateString('zh-CN', {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: 'long',
    day: 'numeric',
  });

/** The renewal reminder: sent once per expiry date, and only if that date still stands. */
async function remindRenewal(ctx: Ctx, membershipId: string, expiresAt: number): Promise<void> {
  const membership = await ctx.db
    .selectFrom('community_memberships')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', membershipId)
    .executeTakeFirst();
  // Renewed (a later reminder is queued) or ended: this one has nothing to say.
  if (!membership || !isActive(membership, ctx.now) || Number(membership.expires_at) !== expiresAt) return;
  const account = await getAccount(ctx, membership.account_id).catch(() => null);
  if (!account) throw new PermanentJobError(`account ${membership.account_id} is gone`);
  const plan = await planRow(ctx, membership.plan_id);
  const link = `${ctx.deps.config.publicUrl}/shop/${account.appid}/membership`;
  const { renewal_template: template } = await getSettings(ctx);
  const client = apiClientFor(ctx.deps, account);
  try {
    // A template notice reaches the fan whenever; a chat message only within 48 hours of their last word.
    if (template && account.type === 'service')
      await client.sendTemplate({
        openid: membership.openid,
        templateId: template,
        url: link,
        data: {
          first: { value: '您的付费会员即将到期' },
          keyword1: { value: plan.name },
          keyword2: { value: dateText(expiresAt) },
          remark: { value: '续费后会员文章与社区不中断' },
        },
      });
    else
      await client.sendCustomMessage(membership.openid, {
        msgtype: 'text',
        text: {
          content: `您的「${plan.name}」将于 ${dateText(expiresAt)} 到期，续费后会员文章与社区不中断。\n<a href="${link}">立即续费</a>`,
        },
      });
  } catch (error) {
    if (error instanceof WeChatApiError && (error.isOutOfWindow || error.isUnsubscribed))
      throw new PermanentJobError(error.message);
    throw error;
  }
}

/**
 * Community hears about membership orders through orders' events: paid starts or extends the
 * membership, refunded takes the period back (and ends it), cancelled returns the held seat.
 */
export function registerCommunityJobs(deps: AppDeps): void {
  const ctxOf = (merchantId: string | null): Ctx => {
    if (!merchantId) throw new PermanentJobError('job without merchant');
    return merchantCtx(deps, merchantId);
  };
  deps.events.subscribe(ORDER_EVENTS.paid, 'community.activate', async (event) => {
    if (await activateForOrder(ctxOf(event.merchantId), String(event.payload.orderId))) deps.wakeJobs();
  });
  deps.events.subscribe(ORDER_EVENTS.refunded, 'community.end', async (event) => {
    await endForRefund(ctxOf(event.merchantId), String(event.payload.orderId));
  });
  deps.events.subscribe(ORDER_EVENTS.cancelled, 'community.release', async (event) => {
    await releaseForCancelled(ctxOf(event.merchantId), String(event.payload.orderId));
  });
  deps.jobHandlers.set(RENEWAL_JOB, async (job) => {
    await remindRenewal(
      ctxOf(job.merchantId),
      String(job.payload.membershipId),
      Number(job.payload.expiresAt),
    );
  });
}
