import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { cursorPage, found, type Page } from '../../platform/db/paging.ts';
import { badRequest, conflict } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { enqueueJobs } from '../../platform/jobs/jobs.ts';
import { getAccount } from '../accounts/index.ts';
import { skusForOrder } from '../catalog/index.ts';
import { createRule } from '../channel/index.ts';
import { getMember, memberOfFan } from '../crm/index.ts';
import type { GrowthTrialEntriesTable, GrowthTrialsTable } from './growth.schema.ts';
import { DRAW_ALGORITHM, drawWinners, newSeed, seedHash } from './trial-draw.ts';

export const TRIAL = { zh: '试用活动', en: 'Trial' };
export const TRIAL_PRIZE_JOB = 'growth.trial_prize';
export const TRIAL_CONSOLATION_JOB = 'growth.trial_consolation';
export const TRIAL_NOTICE_JOB = 'growth.trial_notice';

export interface TrialInput {
  account_id: string;
  title: string;
  sku_id: string;
  units: number;
  keyword: string;
  closes_at: number;
  consolation_campaign_id?: string | null;
  /** What the account answers a reply that starts with the keyword (a keyword rule in channel). */
  reply_text?: string;
}

export type TrialView = Omit<GrowthTrialsTable, 'seed_sealed'>;

const view = ({ seed_sealed: _sealed, ...row }: GrowthTrialsTable): TrialView => row;
export const normalizeKeyword = (text: string) => text.trim().toLowerCase();
const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export async function createTrial(ctx: Ctx, input: TrialInput): Promise<TrialView> {
  requireRole(ctx, 'operator');
  await getAccount(ctx, input.account_id);
  const keyword = normalizeKeyword(input.keyword);
  if (!keyword) throw badRequest('keyword_required', '请填写关键词', 'A keyword is required');
  if (input.closes_at <= ctx.now)
    throw badRequest('invalid_window', '截止时间必须在未来', 'The closing time must be in the future');
  const [sku] = await skusForOrder(ctx, [input.sku_id]);
  if (!sku) throw badRequest('unknown_sku', '试用商品不存在', 'No such product SKU');
  const seed = newSeed();
  const id = newId('trl', ctx.now);
  // Fans get an instant answer from channel's own rule matching: no extra work on the inbound path.
  const rule = await createRule(ctx, {
    account_id: input.account_id,
    kind: 'keyword',
    match_type: 'regex',
    keyword: `^${escapeRegex(keyword)}`,
    priority: 100,
    reply: {
      type: 'text',
      content:
        input.reply_text?.trim() ||
        `已收到你的「${input.title}」试用申请，开奖后会在这里通知你。每人限报名一次，以第一条回复为准。`,
    },
    ends_at: input.closes_at,
  });
  const row: GrowthTrialsTable = {
    id,
    merchant_id: ctx.merchantId,
    account_id: input.account_id,
    title: input.title.trim(),
    product_id: sku.product_id,
    sku_id: sku.id,
    units: input.units,
    keyword,
    status: 'open',
    seed_hash: seedHash(seed),
    seed_sealed: await ctx.deps.vault.seal(ctx.merchantId, seed),
    seed: null,
    draw_mode: null,
    consolation_campaign_id: input.consolation_campaign_id ?? null,
    closes_at: input.closes_at,
    entry_count: 0,
    reply_rule_id: rule.id,
    drawn_at: null,
    created_at: ctx.now,
    updated_at: ctx.now,
  };
  await ctx.db.insertInto('growth_trials').values(row).execute();
  return view(row);
}

async function trialRow(ctx: Pick<Ctx, 'db' | 'merchantId'>, id: string): Promise<GrowthTrialsTable> {
  return found(
    await ctx.db
      .selectFrom('growth_trials')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('id', '=', id)
      .executeTakeFirst(),
    TRIAL,
  );
}

export async function getTrial(ctx: Ctx, id: string): Promise<TrialView> {
  requireRole(ctx, 'operator');
  return view(await trialRow(ctx, id));
}

export async function listTrials(ctx: Ctx): Promise<TrialView[]> {
  requireRole(ctx, 'operator');
  const rows = await ctx.db
    .selectFrom('growth_trials')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .orderBy('created_at', 'desc')
    .limit(200)
    .execute();
  return rows.map(view);
}

export interface EntryView extends GrowthTrialEntriesTable {
  member: { id: string; name: string | null; tags: string[]; order_count: number; spend: number } | null;
}

/** Entries newest first, each beside the fan's CRM member (one bounded lookup per row of a page). */
export async function listEntries(
  ctx: Ctx,
  trialId: string,
  page: { limit: number; cursor?: string; status?: GrowthTrialEntriesTable['status'] },
): Promise<Page<EntryView>> {
  requireRole(ctx, 'operator');
  await trialRow(ctx, trialId);
  let query = ctx.db
    .selectFrom('growth_trial_entries')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('trial_id', '=', trialId);
  if (page.status) query = query.where('status', '=', page.status);
  const rows = await cursorPage(query, page);
  const items: EntryView[] = [];
  for (const row of rows.items) {
    const memberId = await memberOfFan(ctx, row.account_id, row.openid);
    const member = memberId ? await getMember(ctx, memberId).catch(() => null) : null;
    items.push({
      ...row,
      member: member && {
        id: member.id,
        name: member.name ?? null,
        tags: member.tags.map((t) => t.name),
        order_count: Number(member.order_count),
        spend: Number(member.spend),
      },
    });
  }
  return { items, next_cursor: rows.next_cursor };
}

/**
 * Picks the winners — by the seeded draw or by hand — marks everyone else lost, and queues each
 * winner's ¥0 order and each loser's consolation coupon (jobs keyed by entry: a retry adds none).
 */
export async function drawTrial(
  ctx: Ctx,
  trialId: string,
  input: { mode: 'random' | 'manual'; entry_ids?: string[] },
): Promise<TrialView> {
  requireRole(ctx, 'operator');
  const trial = await trialRow(ctx, trialId);
  if (trial.status === 'drawn') throw conflict('already_drawn', '该试用已开奖', 'This trial has been drawn');
  const seed = await ctx.deps.vault.open(ctx.merchantId, trial.seed_sealed);
  return inTransaction(ctx.db, async (trx) => {
    const claimed = await trx
      .updateTable('growth_trials')
      .set({ status: 'drawn', seed, draw_mode: input.mode, drawn_at: ctx.now, updated_at: ctx.now })
      .where('id', '=', trialId)
      .where('status', '!=', 'drawn')
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) === 0)
      throw conflict('already_drawn', '该试用已开奖', 'This trial has been drawn');
    const ids = (
      await trx
        .selectFrom('growth_trial_entries')
        .select('id')
        .where('trial_id', '=', trialId)
        .where('merchant_id', '=', ctx.merchantId)
        .execute()
    ).map((r) => r.id);
    let winners: string[];
    if (input.mode === 'random') winners = drawWinners(seed, ids, trial.units);
    else {
      const known = new Set(ids);
      winners = [...new Set(input.entry_ids ?? [])];
      if (winners.length === 0 || winners.length > trial.units || !winners.every((id) => known.has(id)))
        throw badRequest(
          'invalid_winners',
          `请从报名中选择 1–${trial.units} 位中奖者`,
          `Pick 1–${trial.units} winners among the entries`,
        );
    }
    const won = new Set(winners);
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const chunkWon = chunk.filter((id) => won.has(id));
      const chunkLost = chunk.filter((id) => !won.has(id));
      if (chunkWon.length)
        await trx
          .updateTable('growth_trial_entries')
          .set({ status: 'won' })
          .where('id', 'in', chunkWon)
          .execute();
      if (chunkLost.length)
        await trx
          .updateTable('growth_trial_entries')
          .set({ status: 'lost' })
          .where('id', 'in', chunkLost)
          .execute();
    }
    // One multi-row insert per 200 jobs: a round of 10,000 entries queues its consolations in
    // 50 statements, not 10,000, inside the operator's request.
    const jobs = ids.flatMap((id) =>
      (won.has(id)
        ? [TRIAL_PRIZE_JOB, TRIAL_NOTICE_JOB]
        : trial.consolation_campaign_id
          ? [TRIAL_CONSOLATION_JOB]
          : []
      ).map((type) => ({ type, key: `${type}:${id}`, merchantId: ctx.merchantId, payload: { entryId: id } })),
    );
    await enqueueJobs(trx, jobs, ctx.now);
    return view(await trialRow({ db: trx, merchantId: ctx.merchantId }, trialId));
  });
}

/** What anyone needs to re-check the draw: the published hash, the seed, the entries and the rule. */
export async function trialAudit(ctx: Ctx, trialId: string) {
  requireRole(ctx, 'operator');
  const trial = await trialRow(ctx, trialId);
  const entries = await ctx.db
    .selectFrom('growth_trial_entries')
    .select(['id', 'status'])
    .where('trial_id', '=', trialId)
    .where('merchant_id', '=', ctx.merchantId)
    .orderBy('id')
    .execute();
  return {
    trial_id: trial.id,
    units: trial.units,
    seed_hash: trial.seed_hash,
    seed: trial.seed,
    draw_mode: trial.draw_mode,
    algorithm: DRAW_ALGORITHM,
    entries: entries.map((e) => ({ id: e.id, won: e.status === 'won' })),
  };
}
