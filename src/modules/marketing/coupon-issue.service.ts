import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { inTransaction, isUniqueViolation } from '../../platform/db/database.ts';
import { AppError, badRequest, notFound } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import { getAccount } from '../accounts/index.ts';
import { createQrCode, createRule, updateRule } from '../channel/index.ts';
import { CAMPAIGN, claimWithin, getCampaign } from './coupons.service.ts';
import type { CouponsTable, CouponTriggersTable, GrantOutcome, TriggerKind } from './marketing.schema.ts';

export const COUPON_NOTICE_JOB = 'marketing.coupon_notice';
const TRIGGER = { zh: '发券方式', en: 'Coupon trigger' };

export interface Grant {
  outcome: GrantOutcome;
  coupon: CouponsTable | null;
}

const OUTCOMES: Record<string, GrantOutcome> = {
  coupons_gone: 'gone',
  claim_limit: 'limit',
  campaign_closed: 'closed',
  budget_exhausted: 'budget',
};

/**
 * Issues one coupon of a campaign to a fan for one cause (`source`: a message, an order, a
 * segment member). The grant row is written in the claim's transaction and keyed by (campaign,
 * source), so a log row read twice or a retried job issues at most once, and the claim keeps the
 * total, per-fan and budget limits exactly as the claim page does. Returns null when this cause
 * was already granted (by this process or another), else what the fan got, and queues the chat
 * notice when the fan can be told (`accountId`).
 */
export async function grantCoupon(
  ctx: Ctx,
  input: {
    campaignId: string;
    openid: string;
    source: string;
    /** The account to tell the fan on in chat (null: nobody is told). */
    accountId: string | null;
    /** Tell only a fan who got one (a push or a paid order is not asked for). */
    quietRefusals?: boolean;
  },
): Promise<Grant | null> {
  const base = {
    merchant_id: ctx.merchantId,
    campaign_id: input.campaignId,
    source: input.source,
    openid: input.openid,
    created_at: ctx.now,
  };
  const notify = async (db: Ctx['db'], outcome: GrantOutcome, couponId: string | null) => {
    if (!input.accountId || (outcome !== 'issued' && input.quietRefusals)) return;
    await enqueueJob(
      db,
      {
        type: COUPON_NOTICE_JOB,
        merchantId: ctx.merchantId,
        key: `${input.campaignId}:${input.source}`,
        payload: {
          campaignId: input.campaignId,
          accountId: input.accountId,
          openid: input.openid,
          outcome,
          couponId,
        },
      },
      ctx.now,
    );
  };
  try {
    return await inTransaction(ctx.db, async (trx) => {
      const fresh = await trx
        .insertInto('coupon_grants')
        .values({ ...base, coupon_id: null, outcome: 'issued' })
        .onConflict((oc) => oc.columns(['campaign_id', 'source']).doNothing())
        .executeTakeFirst();
      if (Number(fresh.numInsertedOrUpdatedRows ?? 0) === 0) return null;
      const coupon = await claimWithin({ ...ctx, db: trx }, input.campaignId, input.openid);
      await trx
        .updateTable('coupon_grants')
        .set({ coupon_id: coupon.id })
        .where('campaign_id', '=', input.campaignId)
        .where('source', '=', input.source)
        .execute();
      await notify(trx, 'issued', coupon.id);
      return { outcome: 'issued' as const, coupon };
    });
  } catch (error) {
    const outcome = isUniqueViolation(error)
      ? 'limit'
      : error instanceof AppError
        ? OUTCOMES[error.code]
        : undefined;
    if (!outcome) throw error;
    // The refusal is recorded too, so the fan is told once however often the cause is re-read.
    return inTransaction(ctx.db, async (trx) => {
      const wrote = await trx
        .insertInto('coupon_grants')
        .values({ ...base, coupon_id: null, outcome })
        .onConflict((oc) => oc.columns(['campaign_id', 'source']).doNothing())
        .executeTakeFirst();
      if (Number(wrote.numInsertedOrUpdatedRows ?? 0) === 0) return null;
      await notify(trx, outcome, null);
      return { outcome, coupon: null };
    });
  }
}

export interface TriggerInput {
  campaign_id: string;
  kind: TriggerKind;
  account_id?: string | null;
  /** keyword: the word a fan sends; click: the menu button's key. */
  key?: string | null;
  /** What the fan sees at once (keyword / click); the coupon itself follows in chat. */
  reply_text?: string | null;
  /** paid: orders of at least this many fen. */
  min_total?: number;
}

export type TriggerView = CouponTriggersTable;

const KEY_PATTERN = /^[\w\-\u4e00-\u9fa5]{1,30}$/u;

/**
 * Hands a campaign out through chat or after payment. A keyword or a menu key becomes one of
 * channel's reply rules (the fan gets its passive reply at once, channel stays unaware of
 * coupons); a scan trigger makes a channel QR code. Marketing then follows channel's message log
 * and issues to whoever sent the word, clicked or scanned.
 */
export async function createTrigger(ctx: Ctx, input: TriggerInput): Promise<TriggerView> {
  requireRole(ctx, 'operator');
  const campaign = await getCampaign(ctx, input.campaign_id);
  const needsAccount = input.kind !== 'paid';
  if (needsAccount && !input.account_id)
    throw badRequest('account_required', '请选择公众号', 'Choose an official account');
  if (input.account_id) await getAccount(ctx, input.account_id);
  const key = input.key?.trim() ?? '';
  if ((input.kind === 'keyword' || input.kind === 'click') && !KEY_PATTERN.test(key))
    throw badRequest(
      'invalid_key',
      '关键词或菜单键须为 1–30 个字母、数字、汉字、下划线或连字符',
      'The keyword or menu key must be 1–30 letters, digits, Chinese characters, _ or -',
    );
  const reply = {
    type: 'text' as const,
    content:
      input.reply_text?.trim() ||
      `正在为你发放「${campaign.name}」优惠券，稍后在这里查收。 / Your coupon "${campaign.name}" is on its way.`,
  };
  let ref: string | null = null;
  let stored: string | null = null;
  let image: string | null = null;
  if (input.kind === 'keyword' || input.kind === 'click') {
    const rule = await createRule(ctx, {
      account_id: input.account_id!,
      kind: input.kind,
      match_type: input.kind === 'keyword' ? 'exact' : null,
      keyword: key,
      priority: 100,
      reply,
    });
    ref = rule.id;
    stored = key;
  } else if (input.kind === 'scan') {
    const code = await createQrCode(ctx, ctx.deps, {
      account_id: input.account_id!,
      name: `领券·${campaign.name}`.slice(0, 40),
    });
    ref = code.id;
    stored = code.scene;
    image = code.image_url;
  }
  const row: CouponTriggersTable = {
    id: newId('ctr', ctx.now),
    merchant_id: ctx.merchantId,
    campaign_id: campaign.id,
    kind: input.kind,
    account_id: input.account_id ?? null,
    key: stored,
    ref_id: ref,
    image_url: image,
    min_total: input.kind === 'paid' ? (input.min_total ?? 0) : 0,
    status: 'active',
    issued: 0,
    created_at: ctx.now,
  };
  await ctx.db.insertInto('coupon_triggers').values(row).execute();
  return row;
}

export async function listTriggers(ctx: Ctx, campaignId: string): Promise<TriggerView[]> {
  await getCampaign(ctx, campaignId);
  return ctx.db
    .selectFrom('coupon_triggers')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('campaign_id', '=', campaignId)
    .orderBy('created_at')
    .execute();
}

/** Stops a trigger; its reply rule is switched off so the fan is not promised a coupon. */
export async function stopTrigger(ctx: Ctx, id: string): Promise<void> {
  requireRole(ctx, 'operator');
  const row = await ctx.db
    .selectFrom('coupon_triggers')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound(TRIGGER);
  if (row.ref_id && (row.kind === 'keyword' || row.kind === 'click'))
    await updateRule(ctx, row.ref_id, { enabled: false }).catch((error: unknown) => {
      // The operator may have deleted the rule in the replies editor already.
      if (!(error instanceof AppError && error.status === 404)) throw error;
    });
  await ctx.db
    .updateTable('coupon_triggers')
    .set({ status: 'stopped' })
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .execute();
}

export { CAMPAIGN };
