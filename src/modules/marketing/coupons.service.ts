import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { inTransaction, isUniqueViolation } from '../../platform/db/database.ts';
import { badRequest, conflict, notFound } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { buyerOf } from '../orders/index.ts';
import type { CouponCampaignsTable, CouponKind, CouponScope, CouponsTable } from './marketing.schema.ts';

export const CAMPAIGN = { zh: '优惠券活动', en: 'Coupon campaign' };
export const COUPON = { zh: '优惠券', en: 'Coupon' };
const DAY = 86_400_000;

export interface CampaignInput {
  name: string;
  kind: CouponKind;
  value: number;
  min_spend?: number;
  max_off?: number;
  scope?: CouponScope;
  scope_ids?: string[];
  valid_from?: number | null;
  valid_until?: number | null;
  valid_days?: number | null;
  per_fan_limit?: number;
  total_limit: number;
  budget?: number;
  return_on_refund?: boolean;
}

export type CampaignView = Omit<CouponCampaignsTable, 'scope_ids' | 'return_on_refund'> & {
  scope_ids: string[];
  return_on_refund: boolean;
};

const view = (row: CouponCampaignsTable): CampaignView => ({
  ...row,
  scope_ids: JSON.parse(row.scope_ids) as string[],
  return_on_refund: row.return_on_refund === 1,
});

function validate(input: CampaignInput): void {
  const fen = (v: number | undefined) => v === undefined || (Number.isSafeInteger(v) && v >= 0);
  if (!fen(input.value) || !fen(input.min_spend) || !fen(input.max_off) || !fen(input.budget))
    throw badRequest(
      'invalid_amount',
      '金额必须是非负整数（分）',
      'Amounts must be non-negative integer fen',
    );
  if (input.kind === 'percent' && (input.value < 1 || input.value > 99))
    throw badRequest(
      'invalid_percent',
      '折扣须在 1–99 之间（80 即 8 折）',
      'Percent must be 1–99 (80 = 20% off)',
    );
  if ((input.kind === 'fixed' || input.kind === 'threshold') && input.value < 1)
    throw badRequest('invalid_amount', '减免金额至少 1 分', 'The amount off must be at least 1 fen');
  if (input.kind === 'first_order' && input.value < 1)
    throw badRequest('invalid_amount', '首单价至少 1 分', 'The first-order price must be at least 1 fen');
  if (!input.valid_days && !input.valid_until)
    throw badRequest(
      'validity_required',
      '请设置有效期：截止日期或领取后天数',
      'Set a validity: an end date or a number of days after claiming',
    );
  if (input.valid_from && input.valid_until && input.valid_until <= input.valid_from)
    throw badRequest('invalid_dates', '结束时间须晚于开始时间', 'The end must be after the start');
  if ((input.scope ?? 'all') !== 'all' && !input.scope_ids?.length)
    throw badRequest(
      'scope_required',
      '请选择适用的分类或商品',
      'Choose the categories or products it applies to',
    );
}

export async function createCampaign(ctx: Ctx, input: CampaignInput): Promise<CampaignView> {
  requireRole(ctx, 'operator');
  validate(input);
  const row: CouponCampaignsTable = {
    id: newId('cpc', ctx.now),
    merchant_id: ctx.merchantId,
    name: input.name.trim().slice(0, 60),
    kind: input.kind,
    value: input.value,
    min_spend: input.min_spend ?? 0,
    max_off: input.max_off ?? 0,
    scope: input.scope ?? 'all',
    scope_ids: JSON.stringify(input.scope === 'all' ? [] : (input.scope_ids ?? [])),
    valid_from: input.valid_from ?? null,
    valid_until: input.valid_until ?? null,
    valid_days: input.valid_days ?? null,
    per_fan_limit: input.per_fan_limit ?? 1,
    total_limit: input.total_limit,
    budget: input.budget ?? 0,
    claimed: 0,
    used: 0,
    spent: 0,
    revenue: 0,
    return_on_refund: input.return_on_refund === false ? 0 : 1,
    status: 'active',
    created_at: ctx.now,
    updated_at: ctx.now,
  };
  await ctx.db.insertInto('coupon_campaigns').values(row).execute();
  return view(row);
}

export async function getCampaign(ctx: Pick<Ctx, 'db' | 'merchantId'>, id: string): Promise<CampaignView> {
  const row = await ctx.db
    .selectFrom('coupon_campaigns')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound(CAMPAIGN);
  return view(row);
}

export async function listCampaigns(ctx: Ctx): Promise<CampaignView[]> {
  const rows = await ctx.db
    .selectFrom('coupon_campaigns')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .orderBy('created_at', 'desc')
    .limit(200)
    .execute();
  return rows.map(view);
}

/** Pause or resume a campaign, or change its limits (never below what was already claimed or spent). */
export async function updateCampaign(
  ctx: Ctx,
  id: string,
  patch: { status?: 'active' | 'paused'; name?: string; total_limit?: number; budget?: number },
): Promise<CampaignView> {
  requireRole(ctx, 'operator');
  const current = await getCampaign(ctx, id);
  if (patch.total_limit !== undefined && patch.total_limit < current.claimed)
    throw badRequest(
      'limit_below_claimed',
      '总量不能小于已领取数',
      'The limit cannot go below what was claimed',
    );
  await ctx.db
    .updateTable('coupon_campaigns')
    .set({ ...patch, updated_at: ctx.now })
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .execute();
  return getCampaign(ctx, id);
}

/**
 * A fan claims a coupon. Race-safe on both engines: the campaign's count moves only while below
 * its total (the guard is in the UPDATE), and the fan's n-th coupon has a unique (campaign, fan,
 * n), so two simultaneous claims by one fan cannot both pass the per-fan limit.
 */
export async function claimCoupon(ctx: Ctx, campaignId: string): Promise<CouponsTable> {
  const { openid } = buyerOf(ctx);
  try {
    return await inTransaction(ctx.db, (trx) => claimWithin({ ...ctx, db: trx }, campaignId, openid));
  } catch (error) {
    if (isUniqueViolation(error)) throw limitReached();
    throw error;
  }
}

/**
 * The claim itself, inside the caller's transaction (a grant of a keyword or a paid order writes
 * its record in the same one). A unique violation on `coupons` means the per-fan limit.
 */
export async function claimWithin(trx: Ctx, campaignId: string, openid: string): Promise<CouponsTable> {
  const campaign = await getCampaign(trx, campaignId);
  if (campaign.status !== 'active' || (campaign.valid_until !== null && campaign.valid_until <= trx.now))
    throw conflict('campaign_closed', '活动已结束', 'This campaign has ended');
  if (campaign.budget > 0 && campaign.spent >= campaign.budget)
    throw conflict('budget_exhausted', '活动预算已用完', "The campaign's budget is spent");
  // The guarded UPDATE comes first: its row lock queues every claim of this campaign, so the
  // count below already sees the coupons of claims that committed before (PostgreSQL's read
  // committed takes a fresh snapshot per statement); the unique seq is the last word.
  const took = await trx.db
    .updateTable('coupon_campaigns')
    .set((eb) => ({ claimed: eb('claimed', '+', 1), updated_at: trx.now }))
    .where('id', '=', campaignId)
    .where('claimed', '<', campaign.total_limit)
    .executeTakeFirst();
  if (Number(took.numUpdatedRows) === 0)
    throw conflict('coupons_gone', '优惠券已领完', 'All coupons have been claimed');
  const mine = await trx.db
    .selectFrom('coupons')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('campaign_id', '=', campaignId)
    .where('openid', '=', openid)
    .executeTakeFirstOrThrow();
  if (Number(mine.n) >= campaign.per_fan_limit) throw limitReached();
  const validFrom = Math.max(campaign.valid_from ?? trx.now, trx.now);
  const byDays = campaign.valid_days ? trx.now + campaign.valid_days * DAY : Number.MAX_SAFE_INTEGER;
  const coupon: CouponsTable = {
    id: newId('cpn', trx.now),
    merchant_id: trx.merchantId,
    campaign_id: campaignId,
    openid,
    seq: Number(mine.n) + 1,
    status: 'available',
    valid_from: validFrom,
    valid_until: Math.min(campaign.valid_until ?? Number.MAX_SAFE_INTEGER, byDays),
    order_id: null,
    discount: 0,
    used_at: null,
    claimed_at: trx.now,
  };
  await trx.db.insertInto('coupons').values(coupon).execute();
  return coupon;
}

export const limitReached = () =>
  conflict('claim_limit', '您已领取过该优惠券', 'You have already claimed this coupon');

export type FanCoupon = CouponsTable & { campaign: CampaignView };

/** The fan's coupons, newest first, with what each one is. */
export async function fanCoupons(ctx: Ctx, status?: CouponsTable['status']): Promise<FanCoupon[]> {
  const { openid } = buyerOf(ctx);
  let query = ctx.db
    .selectFrom('coupons')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('openid', '=', openid);
  if (status) query = query.where('status', '=', status);
  const coupons = await query.orderBy('claimed_at', 'desc').limit(100).execute();
  const ids = [...new Set(coupons.map((c) => c.campaign_id))];
  const campaigns = ids.length
    ? await ctx.db
        .selectFrom('coupon_campaigns')
        .selectAll()
        .where('merchant_id', '=', ctx.merchantId)
        .where('id', 'in', ids)
        .execute()
    : [];
  const byId = new Map(campaigns.map((c) => [c.id, view(c)]));
  return coupons.flatMap((c) => {
    const campaign = byId.get(c.campaign_id);
    return campaign ? [{ ...c, campaign }] : [];
  });
}

/**
 * The order that used a coupon was cancelled or refunded: the campaign's figures drop, and the
 * coupon goes back to the fan if the campaign says so and it is still valid (else it is void).
 */
export async function releaseCoupon(ctx: Ctx, orderId: string, orderTotal: number): Promise<boolean> {
  return inTransaction(ctx.db, async (trx) => {
    const coupon = await trx
      .selectFrom('coupons')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('order_id', '=', orderId)
      .where('status', '=', 'used')
      .executeTakeFirst();
    if (!coupon) return false;
    const campaign = await getCampaign({ db: trx, merchantId: ctx.merchantId }, coupon.campaign_id);
    const back = campaign.return_on_refund && coupon.valid_until > ctx.now;
    const moved = await trx
      .updateTable('coupons')
      .set(back ? { status: 'available', order_id: null, discount: 0, used_at: null } : { status: 'void' })
      .where('id', '=', coupon.id)
      .where('status', '=', 'used')
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) === 0) return false;
    await trx
      .updateTable('coupon_campaigns')
      .set((eb) => ({
        used: eb('used', '-', 1),
        spent: eb('spent', '-', coupon.discount),
        revenue: eb('revenue', '-', orderTotal),
        updated_at: ctx.now,
      }))
      .where('id', '=', campaign.id)
      .execute();
    return back;
  });
}

/** Per campaign: claimed → used → revenue, what is still in fans' hands, and the money given. */
export async function couponReport(ctx: Ctx) {
  const campaigns = await listCampaigns(ctx);
  const counts = await ctx.db
    .selectFrom('coupons')
    .select((eb) => ['campaign_id', 'status', eb.fn.countAll<number>().as('n')])
    .where('merchant_id', '=', ctx.merchantId)
    .groupBy(['campaign_id', 'status'])
    .execute();
  const count = (id: string, status: string) =>
    Number(counts.find((c) => c.campaign_id === id && c.status === status)?.n ?? 0);
  return campaigns.map((c) => ({
    campaign_id: c.id,
    name: c.name,
    kind: c.kind,
    claimed: c.claimed,
    used: c.used,
    available: count(c.id, 'available'),
    void: count(c.id, 'void'),
    use_rate: c.claimed ? Math.round((c.used / c.claimed) * 1000) / 1000 : 0,
    spent: c.spent,
    revenue: c.revenue,
    budget: c.budget,
  }));
}
