import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { inTransaction, isUniqueViolation } from '../../platform/db/database.ts';
import { found } from '../../platform/db/paging.ts';
import { badRequest, conflict, forbidden } from '../../platform/http/errors.ts';
import { newId, newSecret } from '../../platform/ids.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import { getAccount } from '../accounts/index.ts';
import { getProduct } from '../catalog/index.ts';
import { getCampaign } from '../marketing/index.ts';
import type { GrowthShareCampaignsTable, GrowthSharesTable } from './share-draws.schema.ts';

export const SHARE_CAMPAIGN = { zh: '分享活动', en: 'Share campaign' };
export const SHARE_UNLOCK_JOB = 'growth.share_unlock';

export interface ShareCampaignInput {
  account_id: string;
  name: string;
  share_title: string;
  share_desc?: string;
  product_id?: string | null;
  required_opens: number;
  coupon_campaign_id: string;
  ends_at: number;
}

export async function createShareCampaign(
  ctx: Ctx,
  input: ShareCampaignInput,
): Promise<GrowthShareCampaignsTable> {
  requireRole(ctx, 'operator');
  await getAccount(ctx, input.account_id);
  if (input.ends_at <= ctx.now)
    throw badRequest('invalid_window', '结束时间必须在未来', 'The end time must be in the future');
  // Both must be this merchant's: getCampaign and getProduct are scoped by merchant and 404 otherwise.
  await getCampaign(ctx, input.coupon_campaign_id);
  if (input.product_id) await getProduct(ctx, input.product_id);
  const row: GrowthShareCampaignsTable = {
    id: newId('shc', ctx.now),
    merchant_id: ctx.merchantId,
    account_id: input.account_id,
    name: input.name.trim(),
    share_title: input.share_title.trim(),
    share_desc: (input.share_desc ?? '').trim(),
    product_id: input.product_id ?? null,
    required_opens: input.required_opens,
    coupon_campaign_id: input.coupon_campaign_id,
    status: 'active',
    ends_at: input.ends_at,
    shares: 0,
    unlocked: 0,
    created_at: ctx.now,
    updated_at: ctx.now,
  };
  await ctx.db.insertInto('growth_share_campaigns').values(row).execute();
  return row;
}

export async function shareCampaign(ctx: Pick<Ctx, 'db' | 'merchantId'>, id: string) {
  return found(
    await ctx.db
      .selectFrom('growth_share_campaigns')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('id', '=', id)
      .executeTakeFirst(),
    SHARE_CAMPAIGN,
  );
}

export async function getShareCampaign(ctx: Ctx, id: string) {
  requireRole(ctx, 'operator');
  return shareCampaign(ctx, id);
}

export async function listShareCampaigns(ctx: Ctx) {
  requireRole(ctx, 'operator');
  return ctx.db
    .selectFrom('growth_share_campaigns')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .orderBy('created_at', 'desc')
    .limit(200)
    .execute();
}

export async function endShareCampaign(ctx: Ctx, id: string) {
  requireRole(ctx, 'operator');
  await shareCampaign(ctx, id);
  await ctx.db
    .updateTable('growth_share_campaigns')
    .set({ status: 'ended', updated_at: ctx.now })
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .execute();
  return shareCampaign(ctx, id);
}

/** The shares of a campaign with their progress, most opened first (bounded). */
export async function campaignShares(ctx: Ctx, id: string) {
  requireRole(ctx, 'operator');
  await shareCampaign(ctx, id);
  return ctx.db
    .selectFrom('growth_shares')
    .select(['id', 'openid', 'opens', 'unlocked_at', 'coupon_id', 'created_at'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('campaign_id', '=', id)
    .orderBy('opens', 'desc')
    .orderBy('id')
    .limit(200)
    .execute();
}

const open = (c: GrowthShareCampaignsTable, now: number) => c.status === 'active' && c.ends_at > now;

function fanOf(ctx: Ctx) {
  if (ctx.actor.kind !== 'fan') throw forbidden();
  return ctx.actor;
}

/** The fan's own share link of a campaign, made on first visit (one per fan, race-safe). */
export async function myShare(ctx: Ctx, campaignId: string): Promise<GrowthSharesTable> {
  const fan = fanOf(ctx);
  const campaign = await shareCampaign(ctx, campaignId);
  if (campaign.account_id !== fan.accountId) throw forbidden();
  const existing = () =>
    ctx.db
      .selectFrom('growth_shares')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('campaign_id', '=', campaignId)
      .where('account_id', '=', fan.accountId)
      .where('openid', '=', fan.openid)
      .executeTakeFirst();
  const mine = await existing();
  if (mine) return mine;
  if (!open(campaign, ctx.now)) throw conflict('campaign_closed', '活动已结束', 'This campaign has ended');
  const row: GrowthSharesTable = {
    id: newId('shr', ctx.now),
    merchant_id: ctx.merchantId,
    campaign_id: campaignId,
    account_id: fan.accountId,
    openid: fan.openid,
    token: newSecret(16)
      .replace(/[^A-Za-z0-9]/g, '')
      .slice(0, 22),
    opens: 0,
    unlocked_at: null,
    coupon_id: null,
    created_at: ctx.now,
  };
  try {
    await inTransaction(ctx.db, async (trx) => {
      await trx.insertInto('growth_shares').values(row).execute();
      await trx
        .updateTable('growth_share_campaigns')
        .set((eb) => ({ shares: eb('shares', '+', 1) }))
        .where('id', '=', campaignId)
        .execute();
    });
    return row;
  } catch (error) {
    // The same fan's other tab made it first.
    if (isUniqueViolation(error)) return (await existing())!;
    throw error;
  }
}

export async function shareByToken(ctx: Pick<Ctx, 'db' | 'merchantId'>, token: string) {
  return ctx.db
    .selectFrom('growth_shares')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('token', '=', token)
    .executeTakeFirst();
}

export type OpenOutcome = 'counted' | 'own_link' | 'already_counted' | 'closed';

/**
 * A friend opened a share link, signed in by WeChat OAuth (the openid is WeChat's, not a claim).
 * Counted once per friend (unique index), never the sharer's own; the open that reaches the
 * campaign's number unlocks the sharer's coupon (a job in the same transaction: exactly once).
 */
export async function recordOpen(
  ctx: Ctx,
  share: GrowthSharesTable,
): Promise<{ outcome: OpenOutcome; share: GrowthSharesTable }> {
  const fan = fanOf(ctx);
  if (fan.accountId !== share.account_id) throw forbidden();
  if (fan.openid === share.openid) return { outcome: 'own_link', share };
  const campaign = await shareCampaign(ctx, share.campaign_id);
  if (!open(campaign, ctx.now) && share.unlocked_at === null) return { outcome: 'closed', share };
  try {
    const updated = await inTransaction(ctx.db, async (trx) => {
      await trx
        .insertInto('growth_share_opens')
        .values({
          id: newId('sho', ctx.now),
          merchant_id: ctx.merchantId,
          share_id: share.id,
          account_id: fan.accountId,
          openid: fan.openid,
          created_at: ctx.now,
        })
        .execute();
      await trx
        .updateTable('growth_shares')
        .set((eb) => ({ opens: eb('opens', '+', 1) }))
        .where('id', '=', share.id)
        .execute();
      // Only the open that reaches the number flips it: the guard makes a second unlock impossible.
      const unlocked = await trx
        .updateTable('growth_shares')
        .set({ unlocked_at: ctx.now })
        .where('id', '=', share.id)
        .where('unlocked_at', 'is', null)
        .where('opens', '>=', campaign.required_opens)
        .executeTakeFirst();
      if (Number(unlocked.numUpdatedRows) > 0) {
        await trx
          .updateTable('growth_share_campaigns')
          .set((eb) => ({ unlocked: eb('unlocked', '+', 1) }))
          .where('id', '=', campaign.id)
          .execute();
        await enqueueJob(
          trx,
          {
            type: SHARE_UNLOCK_JOB,
            key: `${SHARE_UNLOCK_JOB}:${share.id}`,
            merchantId: ctx.merchantId,
            payload: { shareId: share.id },
          },
          ctx.now,
        );
      }
      return trx.selectFrom('growth_shares').selectAll().where('id', '=', share.id).executeTakeFirstOrThrow();
    });
    ctx.deps.wakeJobs();
    return { outcome: 'counted', share: updated };
  } catch (error) {
    if (isUniqueViolation(error)) return { outcome: 'already_counted', share };
    throw error;
  }
}

/** The fan's shares with their progress (the prizes page). */
export async function fanShares(ctx: Ctx) {
  const fan = fanOf(ctx);
  return ctx.db
    .selectFrom('growth_shares')
    .innerJoin('growth_share_campaigns', 'growth_share_campaigns.id', 'growth_shares.campaign_id')
    .select([
      'growth_shares.id',
      'growth_shares.campaign_id',
      'growth_shares.opens',
      'growth_shares.unlocked_at',
      'growth_shares.coupon_id',
      'growth_share_campaigns.name',
      'growth_share_campaigns.required_opens',
    ])
    .where('growth_shares.merchant_id', '=', ctx.merchantId)
    .where('growth_shares.account_id', '=', fan.accountId)
    .where('growth_shares.openid', '=', fan.openid)
    .orderBy('growth_shares.id', 'desc')
    .limit(50)
    .execute();
}
