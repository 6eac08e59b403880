import { type Ctx, merchantCtx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import { PermanentJobError } from '../../platform/jobs/worker.ts';
import { WeChatApiError } from '../../wechat/api-client.ts';
import { type Account, apiClientFor, getAccount } from '../accounts/index.ts';
import { ORDER_EVENTS } from '../orders/index.ts';
import { CHARGE_EVENTS } from '../payments/index.ts';
import { getCard, LEVEL_NOTICE_JOB } from './cards.service.ts';
import { earnForOrder, returnForCancelled, reverseForOrder } from './earn.service.ts';
import { EXPIRY_JOB, expirePoints } from './expiry.service.ts';
import { loyaltyLogTail, WELCOME_JOB } from './join.service.ts';
import { awardReview, BIRTHDAY_NOTICE_JOB, grantBirthdays } from './perks.service.ts';
import { getProgram, levelRule } from './program.service.ts';
import { creditTopUp } from './topup.service.ts';
import { sendTopUpRefund, TOPUP_REFUND_JOB, topUpRefunded } from './topup-refund.service.ts';

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
 * A notice about the card: WeChat's template notice when the program names a template and the
 * account is a service account (it reaches the fan outside the 48-hour window), else a chat message.
 */
async function notice(
  deps: AppDeps,
  ctx: Ctx,
  cardId: string,
  text: { title: string; what: string; detail: string; remark: string },
): Promise<void> {
  const card = await getCard(ctx, cardId);
  const account = await getAccount(ctx, card.account_id).catch(() => null);
  if (!account) throw new PermanentJobError(`account ${card.account_id} is gone`);
  const program = await getProgram(ctx);
  const link = `${deps.config.publicUrl}/shop/${account.appid}/card`;
  if (program.notice_template_id && account.type === 'service') {
    try {
      await apiClientFor(deps, account).sendTemplate({
        openid: card.openid,
        templateId: program.notice_template_id,
        url: link,
        data: {
          first: { value: text.title },
          keyword1: { value: text.what },
          keyword2: { value: text.detail },
          remark: { value: text.remark },
        },
      });
    } catch (error) {
      if (error instanceof WeChatApiError && error.isUnsubscribed) throw new PermanentJobError(error.message);
      throw error;
    }
    return;
  }
  await send(deps, account, card.openid, `${text.title}：${text.detail}\n<a href="${link}">查看会员卡</a>`);
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
  deps.events.subscribe(CHARGE_EVENTS.refunded, 'loyalty.topup_refunded', async (event) => {
    await topUpRefunded(ctxOf(event.merchantId), String(event.payload.chargeId), String(event.payload.ref));
  });
  deps.jobHandlers.set(TOPUP_REFUND_JOB, async (job) => {
    await sendTopUpRefund(ctxOf(job.merchantId), String(job.payload.topupId));
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
    const to = levelRule(await getProgram(ctx), change.to_level);
    await notice(deps, ctx, change.card_id, {
      title: '会员等级变更',
      what: to.name,
      detail: `您已成为「${to.name}」`,
      remark: '点击查看新等级的权益。',
    });
    await ctx.db
      .updateTable('loyalty_level_changes')
      .set({ notified_at: ctx.now })
      .where('id', '=', change.id)
      .execute();
  });

  deps.events.subscribe(ORDER_EVENTS.reviewed, 'loyalty.review_points', async (event) => {
    await awardReview(
      ctxOf(event.merchantId),
      String(event.payload.orderId),
      String(event.payload.productId),
    );
  });

  deps.jobHandlers.set(BIRTHDAYS_JOB, async () => {
    const now = deps.clock.now();
    const programs = await deps.db
      .selectFrom('loyalty_programs')
      .select('merchant_id')
      .where('status', '=', 'active')
      .execute();
    for (const p of programs) await grantBirthdays(merchantCtx(deps, p.merchant_id));
    deps.wakeJobs();
    // The next 01:00 UTC strictly after this run: tomorrow's.
    await scheduleBirthdays(deps, now + 1);
  });

  deps.jobHandlers.set(BIRTHDAY_NOTICE_JOB, async (job) => {
    const ctx = ctxOf(job.merchantId);
    const gift = await ctx.db
      .selectFrom('loyalty_birthday_gifts')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('id', '=', String(job.payload.giftId))
      .executeTakeFirst();
    if (!gift || gift.notified_at !== null) return;
    const parts = [gift.gift, Number(gift.points) > 0 ? `${gift.points} 积分已到账` : ''].filter(Boolean);
    await notice(deps, ctx, gift.card_id, {
      title: '生日快乐！',
      what: '会员生日礼',
      detail: parts.join('，'),
      remark: '到店出示会员卡即可领取生日礼。',
    });
    await ctx.db
      .updateTable('loyalty_birthday_gifts')
      .set({ notified_at: ctx.now })
      .where('id', '=', gift.id)
      .execute();
  });
}

const DAY_MS = 86_400_000;
export const BIRTHDAYS_JOB = 'loyalty.birthdays';

/**
 * Queues the birthday run for the first 09:00 in China (01:00 UTC) at or after `after`; one job per
 * day whatever the number of processes (keyed by the day).
 */
export async function scheduleBirthdays(deps: Pick<AppDeps, 'db'>, after: number): Promise<void> {
  const nineAm = Math.floor(after / DAY_MS) * DAY_MS + 3_600_000;
  const at = nineAm >= after ? nineAm : nineAm + DAY_MS;
  const day = new Date(at).toISOString().slice(0, 10);
  await enqueueJob(deps.db, { type: BIRTHDAYS_JOB, key: day, runAt: at }, after);
}
