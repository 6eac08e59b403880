import { type Ctx, merchantCtx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { positionIn } from '../../platform/db/cursor-table.ts';
import { PermanentJobError } from '../../platform/jobs/worker.ts';
import { WeChatApiError } from '../../wechat/api-client.ts';
import { apiClientFor, getAccount } from '../accounts/index.ts';
import { followLog, type LogEntry } from '../channel/index.ts';
import { getOrder, ORDER_EVENTS } from '../orders/index.ts';
import { COUPON_NOTICE_JOB, grantCoupon } from './coupon-issue.service.ts';
import { COUPON_PUSH_JOB, runPush } from './coupon-push.service.ts';
import { getCampaign } from './coupons.service.ts';
import type { CouponTriggersTable, GrantOutcome } from './marketing.schema.ts';
import { describeCampaign } from './marketing-pages.routes.ts';

const CURSOR = 'marketing.coupon-triggers';

/** Which log rows a trigger answers: the exact keyword, the menu key, the QR's scene. */
function matches(trigger: CouponTriggersTable, row: LogEntry): boolean {
  if (row.account_id !== trigger.account_id || row.created_at < trigger.created_at) return false;
  const content = (row.content ?? '').trim();
  switch (trigger.kind) {
    case 'keyword':
      return row.kind === 'text' && content === trigger.key;
    case 'click':
      return row.kind === 'click' && content === trigger.key;
    case 'scan':
      return (row.kind === 'subscribe' || row.kind === 'scan') && content === trigger.key;
    default:
      return false;
  }
}

const LOG_KINDS = new Set(['text', 'click', 'subscribe', 'scan']);

/**
 * Coupons from channel's message log: the inbound path only records the message (and answers
 * with the trigger's reply rule); this reader matches a batch against the active triggers with one
 * query and grants per message, so a re-read row issues nothing twice.
 */
export async function applyCouponLog(deps: AppDeps, rows: LogEntry[]): Promise<void> {
  const candidates = rows.filter((r) => LOG_KINDS.has(r.kind) && r.content);
  if (candidates.length === 0) return;
  const triggers = await deps.db
    .selectFrom('coupon_triggers')
    .selectAll()
    .where('status', '=', 'active')
    .where('kind', 'in', ['keyword', 'click', 'scan'])
    .where('account_id', 'in', [...new Set(candidates.map((r) => r.account_id))])
    .execute();
  if (triggers.length === 0) return;
  let queued = false;
  for (const row of candidates) {
    for (const trigger of triggers) {
      if (trigger.merchant_id !== row.merchant_id || !matches(trigger, row)) continue;
      const ctx = merchantCtx(deps, row.merchant_id);
      const grant = await grantCoupon(ctx, {
        campaignId: trigger.campaign_id,
        openid: row.openid,
        source: `msg:${row.id}`,
        accountId: row.account_id,
      });
      if (grant) queued = true;
      if (grant?.outcome === 'issued') await countIssued(ctx, trigger.id);
    }
  }
  if (queued) deps.wakeJobs();
}

async function countIssued(ctx: Ctx, triggerId: string): Promise<void> {
  await ctx.db
    .updateTable('coupon_triggers')
    .set((eb) => ({ issued: eb('issued', '+', 1) }))
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', triggerId)
    .execute();
}

/** Follows channel's log into coupon grants; call the result to catch up now. */
export function couponLogTail(deps: AppDeps): () => Promise<void> {
  return followLog(deps, {
    name: CURSOR,
    ...positionIn(deps.db, deps.clock, 'marketing_cursors', CURSOR),
    apply: (rows) => applyCouponLog(deps, rows),
  });
}

const NOTICE: Record<GrantOutcome, (name: string) => string> = {
  issued: (name) => `你获得一张「${name}」优惠券`,
  gone: (name) => `「${name}」优惠券已经发完了，下次早点来哦`,
  limit: (name) => `你已经领过「${name}」优惠券了`,
  closed: (name) => `「${name}」活动已结束`,
  budget: (name) => `「${name}」活动已结束`,
};

/**
 * Paid orders issue the campaigns that say so; keyword, menu and QR triggers follow the log;
 * every grant tells the fan in chat what they got (or why not), once.
 */
export function registerCouponChannelJobs(deps: AppDeps, ctxOf: (merchantId: string | null) => Ctx): void {
  couponLogTail(deps);

  deps.events.subscribe(ORDER_EVENTS.paid, 'marketing.coupon_after_paid', async (event) => {
    const ctx = ctxOf(event.merchantId);
    const order = await getOrder(ctx, String(event.payload.orderId)).catch(() => null);
    if (!order) throw new PermanentJobError(`order ${String(event.payload.orderId)} is gone`);
    const triggers = await ctx.db
      .selectFrom('coupon_triggers')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('kind', '=', 'paid')
      .where('status', '=', 'active')
      .where('min_total', '<=', order.total)
      .where((eb) => eb.or([eb('account_id', 'is', null), eb('account_id', '=', order.account_id)]))
      .execute();
    let queued = false;
    for (const trigger of triggers) {
      const grant = await grantCoupon(ctx, {
        campaignId: trigger.campaign_id,
        openid: order.openid,
        source: `order:${order.id}`,
        accountId: order.account_id,
        // After payment only a fan who got one hears about it: a sold-out campaign is not news.
        quietRefusals: true,
      });
      if (grant) queued = true;
      if (grant?.outcome === 'issued') await countIssued(ctx, trigger.id);
    }
    if (queued) deps.wakeJobs();
  });

  deps.jobHandlers.set(COUPON_PUSH_JOB, async (job) => {
    await runPush(ctxOf(job.merchantId), String(job.payload.pushId));
  });

  deps.jobHandlers.set(COUPON_NOTICE_JOB, async (job) => {
    const ctx = ctxOf(job.merchantId);
    const outcome = String(job.payload.outcome) as GrantOutcome;
    const campaign = await getCampaign(ctx, String(job.payload.campaignId)).catch(() => null);
    if (!campaign || !NOTICE[outcome]) return;
    const account = await getAccount(ctx, String(job.payload.accountId)).catch(() => null);
    if (!account) throw new PermanentJobError(`account ${String(job.payload.accountId)} is gone`);
    const link = `${deps.config.publicUrl}/shop/${account.appid}/coupons`;
    const content =
      outcome === 'issued'
        ? `${NOTICE.issued(campaign.name)}：${describeCampaign(campaign)}，下单时自动使用。\n<a href="${link}">查看我的优惠券</a>`
        : NOTICE[outcome](campaign.name);
    await apiClientFor(deps, account)
      .sendCustomMessage(String(job.payload.openid), { msgtype: 'text', text: { content } })
      .catch((error: unknown) => {
        if (
          error instanceof WeChatApiError &&
          (error.isOutOfWindow || error.isUnsubscribed || error.isUnauthorized)
        )
          throw new PermanentJobError(error.message);
        throw error;
      });
  });
}
