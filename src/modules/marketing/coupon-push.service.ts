import type { Ctx } from '../../context.ts';
import { actorLabel, requireRole } from '../../platform/auth/roles.ts';
import { newId } from '../../platform/ids.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import { getAccount } from '../accounts/index.ts';
import { getSegment, snapshotAudience, snapshotSegment } from '../crm/index.ts';
import { grantCoupon } from './coupon-issue.service.ts';
import { getCampaign } from './coupons.service.ts';
import type { CouponPushesTable } from './marketing.schema.ts';

export const COUPON_PUSH_JOB = 'marketing.coupon_push';
const PAGE = 200;
/** Pages per job run: a big segment is worked through by a chain of short jobs. */
const PAGES_PER_RUN = 10;

/**
 * Issues a campaign to a CRM segment: CRM freezes the members now (a snapshot), and a job issues
 * one coupon per member, keyed by (push, member), so a retried page never issues twice and the
 * campaign's limits hold as for any claim.
 */
export async function startPush(
  ctx: Ctx,
  campaignId: string,
  input: { segment_id: string; account_id?: string | null },
): Promise<CouponPushesTable> {
  requireRole(ctx, 'operator');
  await getCampaign(ctx, campaignId);
  await getSegment(ctx, input.segment_id);
  if (input.account_id) await getAccount(ctx, input.account_id);
  const snapshot = await snapshotSegment(ctx, input.segment_id);
  const row: CouponPushesTable = {
    id: newId('cpu', ctx.now),
    merchant_id: ctx.merchantId,
    campaign_id: campaignId,
    segment_id: input.segment_id,
    snapshot_id: snapshot.id,
    account_id: input.account_id ?? null,
    members: snapshot.members,
    issued: 0,
    skipped: 0,
    cursor: null,
    status: 'running',
    created_by: actorLabel(ctx.actor),
    created_at: ctx.now,
    finished_at: null,
  };
  await ctx.db.insertInto('coupon_pushes').values(row).execute();
  await enqueueJob(
    ctx.db,
    {
      type: COUPON_PUSH_JOB,
      merchantId: ctx.merchantId,
      key: `${row.id}:start`,
      payload: { pushId: row.id },
    },
    ctx.now,
  );
  ctx.deps.wakeJobs();
  return row;
}

export async function listPushes(ctx: Ctx, campaignId: string): Promise<CouponPushesTable[]> {
  await getCampaign(ctx, campaignId);
  return ctx.db
    .selectFrom('coupon_pushes')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('campaign_id', '=', campaignId)
    .orderBy('created_at', 'desc')
    .limit(50)
    .execute();
}

/** One run of a push: up to PAGES_PER_RUN pages from its cursor, then the next run is queued. */
export async function runPush(ctx: Ctx, pushId: string): Promise<void> {
  const push = await ctx.db
    .selectFrom('coupon_pushes')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', pushId)
    .executeTakeFirst();
  if (push?.status !== 'running') return;
  let cursor = push.cursor;
  let exhausted = false;
  for (let page = 0; page < PAGES_PER_RUN && !exhausted; page += 1) {
    const { members, next } = await snapshotAudience(ctx, push.snapshot_id, {
      limit: PAGE,
      ...(cursor ? { after: cursor } : {}),
    });
    let issued = 0;
    let skipped = 0;
    for (const member of members) {
      const identity =
        member.openids.find((o) => o.account_id === push.account_id) ?? member.openids[0] ?? null;
      const grant = identity
        ? await grantCoupon(ctx, {
            campaignId: push.campaign_id,
            openid: identity.openid,
            source: `push:${push.id}:${member.member_id}`,
            accountId: identity.account_id,
            quietRefusals: true,
          })
        : null;
      if (grant?.outcome === 'issued') issued += 1;
      else if (identity && grant === null) {
        // Granted by an earlier run of this page: counted then.
      } else skipped += 1;
      // Gone, closed or out of budget: nobody else in the segment can get one either.
      if (grant && (grant.outcome === 'gone' || grant.outcome === 'closed' || grant.outcome === 'budget')) {
        exhausted = true;
        break;
      }
    }
    cursor = members.at(-1)?.member_id ?? cursor;
    const done = exhausted || next === null;
    await ctx.db
      .updateTable('coupon_pushes')
      .set((eb) => ({
        issued: eb('issued', '+', issued),
        skipped: eb('skipped', '+', skipped),
        cursor,
        ...(done ? { status: 'done' as const, finished_at: ctx.now } : {}),
      }))
      .where('id', '=', push.id)
      .execute();
    if (done) return;
  }
  await enqueueJob(
    ctx.db,
    {
      type: COUPON_PUSH_JOB,
      merchantId: ctx.merchantId,
      key: `${push.id}:${cursor}`,
      payload: { pushId: push.id },
    },
    ctx.now,
  );
  ctx.deps.wakeJobs();
}
