import { type Ctx, merchantCtx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { PermanentJobError } from '../../platform/jobs/worker.ts';
import { WeChatApiError } from '../../wechat/api-client.ts';
import { type Account, apiClientFor, getAccount } from '../accounts/index.ts';
import { ORDER_EVENTS } from '../orders/index.ts';
import { CHARGE_EVENTS } from '../payments/index.ts';
import { getCard, LEVEL_NOTICE_JOB } from './cards.service.ts';
import { earnForOrder, returnForCancelled, reverseForOrder } from './earn.service.ts';
import { EXPIRY_JOB, expirePoints } from './expiry.service.ts';
import { loyaltyLogTail, WELCOME_JOB } from './join.service.ts';
import { getProgram, levelRule } from './program.service.ts';
import { creditTopUp } from './topup.service.ts';

/** A chat message to the fan; one outside the 48-hour window or unfollowed is not retried. */
async function send(deps: AppDeps, account: Account, openid: string, content: string): Promise<void> {
  try {
    await apiClientFor(deps, account).sendCustomMessage(openid, { msgtype: 'text', text: { content } });
  } catch (error) {
    if (error instanceof WeChatApiError && (error.isOutOfWindow || error.isUnsubscribed))
      throw new PermanentJobError(error.message);
    throw error;
  }
}

/**
 * Loyalty hears about orders through their events: a paid order earns points (and may issue the
 * card and move the level), a refund reverses them, a cancelled order gives back what checkout took.
 */
export function registerLoyaltyJobs(deps: AppDeps): void {
  const ctxOf = (merchantId: string | null): Ctx => {
    if (!merchantId) throw new PermanentJobError('job without merchant');
    return merchantCtx(deps, merchantId);
  };
  deps.events.subscribe(ORDER_EVENTS.paid, 'loyalty.earn', async (event) => {
    await earnForOrder(ctxOf(event.merchantId), String(event.payload.orderId));
    deps.wakeJobs();
  });
  deps.events.subscribe(ORDER_EVENTS.refunded, 'loyalty.reverse', async (event) => {
    await reverseForOrder(ctxOf(event.merchantId), String(event.payload.orderId));
    deps.wakeJobs();
  });
  deps.events.subscribe(ORDER_EVENTS.cancelled, 'loyalty.return', async (event) => {
    await returnForCancelled(ctxOf(event.merchantId), String(event.payload.orderId));
  });

  loyaltyLogTail(deps);
  deps.events.subscribe(CHARGE_EVENTS.paid, 'loyalty.topup', async (event) => {
    await creditTopUp(ctxOf(event.merchantId), String(event.payload.chargeId));
  });
  deps.jobHandlers.set(EXPIRY_JOB, async (job) => {
    await expirePoints(ctxOf(job.merchantId), String(job.payload.cardId));
  });
  deps.jobHandlers.set(WELCOME_JOB, async (job) => {
    const ctx = ctxOf(job.merchantId);
    const card = await getCard(ctx, String(job.payload.cardId));
    const account = await getAccount(ctx, card.account_id).catch(() => null);
    if (!account) throw new PermanentJobError(`account ${card.account_id} is gone`);
    const program = await getProgram(ctx);
    const link = `${deps.config.publicUrl}/shop/${account.appid}/card`;
    await send(
      deps,
      account,
      card.openid,
      `「${program.name}」已开通，卡号 ${card.number}。\n<a href="${link}">打开会员卡</a>`,
    );
  });

  // The level notice reads the change by id; a fan outside the 48-hour window is not retried.
  deps.jobHandlers.set(LEVEL_NOTICE_JOB, async (job) => {
    const ctx = ctxOf(job.merchantId);
    const change = await ctx.db
      .selectFrom('loyalty_level_changes')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('id', '=', String(job.payload.changeId))
      .executeTakeFirst();
    if (!change || change.notified_at !== null) return;
    const card = await getCard(ctx, change.card_id);
    const account = await getAccount(ctx, card.account_id).catch(() => null);
    if (!account) throw new PermanentJobError(`account ${card.account_id} is gone`);
    const program = await getProgram(ctx);
    const to = levelRule(program, change.to_level);
    const link = `${deps.config.publicUrl}/shop/${account.appid}/card`;
    await send(
      deps,
      account,
      card.openid,
      `会员等级变更：您已成为「${to.name}」。\n<a href="${link}">查看会员卡</a>`,
    );
    await ctx.db
      .updateTable('loyalty_level_changes')
      .set({ notified_at: ctx.now })
      .where('id', '=', change.id)
      .execute();
  });
}
