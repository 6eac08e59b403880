import { merchantCtx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { AppError } from '../../platform/http/errors.ts';
import { PermanentJobError } from '../../platform/jobs/worker.ts';
import { claimCoupon } from '../marketing/index.ts';
import { prizesPath, tellFan } from './growth-notices.ts';
import { SHARE_UNLOCK_JOB, shareCampaign } from './share.service.ts';

/** The sharer's coupon, once enough friends opened the link; then a word in chat. */
export function registerShareJobs(deps: AppDeps): void {
  deps.jobHandlers.set(SHARE_UNLOCK_JOB, async (job) => {
    if (!job.merchantId) throw new PermanentJobError('share without merchant');
    const ctx = merchantCtx(deps, job.merchantId);
    const share = await deps.db
      .selectFrom('growth_shares')
      .selectAll()
      .where('merchant_id', '=', job.merchantId)
      .where('id', '=', String(job.payload.shareId))
      .executeTakeFirst();
    if (!share || share.unlocked_at === null || share.coupon_id) return;
    const campaign = await shareCampaign(ctx, share.campaign_id);
    const fan = merchantCtx(deps, job.merchantId, {
      kind: 'fan',
      accountId: share.account_id,
      openid: share.openid,
    });
    try {
      const coupon = await claimCoupon(fan, campaign.coupon_campaign_id);
      await deps.db
        .updateTable('growth_shares')
        .set({ coupon_id: coupon.id })
        .where('id', '=', share.id)
        .where('coupon_id', 'is', null)
        .execute();
    } catch (error) {
      // Coupons ran out or the fan holds their limit: the unlock stands, there is nothing to give.
      if (error instanceof AppError && error.status === 409) return;
      throw error;
    }
    await tellFan(
      deps,
      job.merchantId,
      share,
      (appid, base) =>
        `已有 ${campaign.required_opens} 位好友打开了你分享的「${campaign.share_title}」，优惠券已放入你的卡包。<a href="${base}${prizesPath(appid)}">查看</a>`,
    ).catch((error) => {
      if (!(error instanceof PermanentJobError)) throw error;
    });
  });
}
