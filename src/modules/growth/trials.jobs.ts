import { type Ctx, merchantCtx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { positionIn } from '../../platform/db/cursor-table.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { AppError, conflict, forbidden } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { PermanentJobError } from '../../platform/jobs/worker.ts';
import { followLog, type LogEntry } from '../channel/index.ts';
import { claimCoupon } from '../marketing/index.ts';
import type { AddressInput, OrderView } from '../orders/index.ts';
import type { GrowthTrialEntriesTable, GrowthTrialsTable } from './growth.schema.ts';
import { prizesPath, tellFan } from './growth-notices.ts';
import { type PrizeAddress, placeFreeOrder, savedAddress } from './prize-order.ts';
import { applyRedPacketLog } from './redpackets.jobs.ts';
import {
  normalizeKeyword,
  TRIAL_CONSOLATION_JOB,
  TRIAL_NOTICE_JOB,
  TRIAL_PRIZE_JOB,
} from './trials.service.ts';

const CURSOR = 'growth.trials';
const MAX_REASON = 500;
const INSERT_CHUNK = 200;

/**
 * Entries from channel's message log: the inbound path only records the message (and answers
 * from channel's keyword rule); this reader matches each batch of text rows against the open
 * trials with one query per batch, and the unique (trial, fan) index keeps each fan's first reply.
 */
export async function applyTrialLog(deps: AppDeps, rows: LogEntry[]): Promise<void> {
  const texts = rows.filter((r) => r.kind === 'text' && r.content);
  if (texts.length === 0) return;
  const open = await deps.db
    .selectFrom('growth_trials')
    .select(['id', 'merchant_id', 'account_id', 'keyword', 'closes_at', 'created_at'])
    .where('status', '=', 'open')
    .where('account_id', 'in', [...new Set(texts.map((r) => r.account_id))])
    .execute();
  if (open.length === 0) return;
  const byAccount = new Map<string, typeof open>();
  for (const trial of open)
    byAccount.set(trial.account_id, [...(byAccount.get(trial.account_id) ?? []), trial]);
  const entries: GrowthTrialEntriesTable[] = [];
  for (const row of texts) {
    const text = normalizeKeyword(row.content ?? '');
    for (const trial of byAccount.get(row.account_id) ?? []) {
      if (row.created_at < trial.created_at || row.created_at > trial.closes_at) continue;
      if (!text.startsWith(trial.keyword)) continue;
      const reason = (row.content ?? '')
        .trim()
        .slice(trial.keyword.length)
        .replace(/^[\s:：,，]+/, '');
      entries.push({
        id: newId('ent', row.created_at),
        merchant_id: trial.merchant_id,
        trial_id: trial.id,
        account_id: row.account_id,
        openid: row.openid,
        reason: reason.slice(0, MAX_REASON),
        message_id: row.id,
        status: 'entered',
        prize: 'none',
        order_id: null,
        coupon_id: null,
        created_at: row.created_at,
      });
    }
  }
  if (entries.length === 0) return;
  // Oldest first, so within a batch the fan's first reply is the one kept.
  entries.sort((a, b) => (a.message_id < b.message_id ? -1 : 1));
  await inTransaction(deps.db, async (trx) => {
    for (let i = 0; i < entries.length; i += INSERT_CHUNK) {
      await trx
        .insertInto('growth_trial_entries')
        .values(entries.slice(i, i + INSERT_CHUNK))
        .onConflict((oc) => oc.columns(['trial_id', 'account_id', 'openid']).doNothing())
        .execute();
    }
    for (const trialId of new Set(entries.map((e) => e.trial_id))) {
      const { n } = await trx
        .selectFrom('growth_trial_entries')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('trial_id', '=', trialId)
        .executeTakeFirstOrThrow();
      await trx
        .updateTable('growth_trials')
        .set({ entry_count: Number(n) })
        .where('id', '=', trialId)
        .execute();
    }
  });
}

/** Follows channel's log into trial entries and keyword red packets; call the result to catch up now (reads do). */
export function trialTail(deps: AppDeps): () => Promise<void> {
  return followLog(deps, {
    name: CURSOR,
    ...positionIn(deps.db, deps.clock, 'growth_cursors', CURSOR),
    apply: async (rows) => {
      await applyTrialLog(deps, rows);
      await applyRedPacketLog(deps, rows);
    },
  });
}

async function entryWithTrial(ctx: Pick<Ctx, 'db' | 'merchantId'>, entryId: string) {
  const entry = await ctx.db
    .selectFrom('growth_trial_entries')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', entryId)
    .executeTakeFirst();
  if (!entry) return null;
  const trial = await ctx.db
    .selectFrom('growth_trials')
    .selectAll()
    .where('id', '=', entry.trial_id)
    .executeTakeFirstOrThrow();
  return { entry, trial };
}

const asFan = (deps: AppDeps, entry: GrowthTrialEntriesTable): Ctx =>
  merchantCtx(deps, entry.merchant_id, { kind: 'fan', accountId: entry.account_id, openid: entry.openid });

/** The winner's prize: the trial's SKU as a ¥0 order, keyed by the entry (a retry returns the same order). */
function placePrizeOrder(
  fan: Ctx,
  trial: GrowthTrialsTable,
  entry: GrowthTrialEntriesTable,
  where: PrizeAddress,
): Promise<OrderView> {
  return placeFreeOrder(
    fan,
    {
      skuId: trial.sku_id,
      kind: 'trial',
      label: '试用中奖',
      note: `试用中奖：${trial.title}`,
      ref: trial.id,
    },
    `trial:${entry.id}`,
    where,
    async (db, orderId) => {
      await db
        .updateTable('growth_trial_entries')
        .set({ order_id: orderId, prize: 'ordered' })
        .where('id', '=', entry.id)
        .execute();
    },
  );
}

/** A winner with no saved address sends one from the shop; the order is then placed. */
export async function claimTrialPrize(fan: Ctx, entryId: string, address: AddressInput): Promise<OrderView> {
  if (fan.actor.kind !== 'fan') throw forbidden();
  const found = await entryWithTrial(fan, entryId);
  if (!found || found.entry.openid !== fan.actor.openid || found.entry.account_id !== fan.actor.accountId)
    throw new AppError(404, 'not_found', { zh: '没有找到这次中奖', en: 'No such prize' });
  if (found.entry.status !== 'won')
    throw conflict('not_a_winner', '这次报名没有中奖', 'This entry did not win');
  if (found.entry.prize === 'ordered')
    throw conflict('already_claimed', '奖品已经下单', 'The prize has already been ordered');
  return placePrizeOrder(fan, found.trial, found.entry, { address });
}

/** The fan's own trial entries (the phone's "my trials"). */
export async function fanTrialEntries(fan: Ctx) {
  if (fan.actor.kind !== 'fan') throw forbidden();
  return fan.db
    .selectFrom('growth_trial_entries')
    .innerJoin('growth_trials', 'growth_trials.id', 'growth_trial_entries.trial_id')
    .select([
      'growth_trial_entries.id',
      'growth_trial_entries.status',
      'growth_trial_entries.prize',
      'growth_trial_entries.order_id',
      'growth_trial_entries.reason',
      'growth_trial_entries.created_at',
      'growth_trials.title',
    ])
    .where('growth_trial_entries.merchant_id', '=', fan.merchantId)
    .where('growth_trial_entries.account_id', '=', fan.actor.accountId)
    .where('growth_trial_entries.openid', '=', fan.actor.openid)
    .orderBy('growth_trial_entries.id', 'desc')
    .limit(50)
    .execute();
}

export function registerTrialJobs(deps: AppDeps): void {
  trialTail(deps);

  deps.jobHandlers.set(TRIAL_PRIZE_JOB, async (job) => {
    if (!job.merchantId) throw new PermanentJobError('prize without merchant');
    const found = await entryWithTrial(merchantCtx(deps, job.merchantId), String(job.payload.entryId));
    if (!found) throw new PermanentJobError('entry is gone');
    const { entry, trial } = found;
    if (entry.status !== 'won' || entry.prize === 'ordered') return;
    const fan = asFan(deps, entry);
    const address = await savedAddress(fan);
    if (address) {
      await placePrizeOrder(fan, trial, entry, address);
      return;
    }
    await deps.db
      .updateTable('growth_trial_entries')
      .set({ prize: 'awaiting_address' })
      .where('id', '=', entry.id)
      .where('prize', '=', 'none')
      .execute();
  });

  deps.jobHandlers.set(TRIAL_CONSOLATION_JOB, async (job) => {
    if (!job.merchantId) throw new PermanentJobError('consolation without merchant');
    const found = await entryWithTrial(merchantCtx(deps, job.merchantId), String(job.payload.entryId));
    if (!found) throw new PermanentJobError('entry is gone');
    const { entry, trial } = found;
    if (entry.status !== 'lost' || entry.coupon_id || !trial.consolation_campaign_id) return;
    try {
      const coupon = await claimCoupon(asFan(deps, entry), trial.consolation_campaign_id);
      await deps.db
        .updateTable('growth_trial_entries')
        .set({ coupon_id: coupon.id })
        .where('id', '=', entry.id)
        .execute();
    } catch (error) {
      // Coupons ran out or the fan already holds their limit: nothing more to give, no retry.
      if (error instanceof AppError && error.status === 409) return;
      throw error;
    }
    await tellFan(
      deps,
      job.merchantId,
      entry,
      (appid, base) =>
        `「${trial.title}」已开奖，这次没有抽中。送你一张优惠券作为感谢，已放入卡包。<a href="${base}${prizesPath(appid)}">查看</a>`,
    ).catch(quietWhenRefused);
  });

  // The winner hears it in chat (a customer-service message: they wrote to us when entering).
  deps.jobHandlers.set(TRIAL_NOTICE_JOB, async (job) => {
    if (!job.merchantId) throw new PermanentJobError('notice without merchant');
    const found = await entryWithTrial(merchantCtx(deps, job.merchantId), String(job.payload.entryId));
    if (found?.entry.status !== 'won') return;
    await tellFan(
      deps,
      job.merchantId,
      found.entry,
      (appid, base) =>
        `恭喜！你在「${found.trial.title}」试用中中奖了，奖品免费寄出。<a href="${base}${prizesPath(appid)}">查看奖品与订单</a>`,
    );
  });
}

/** WeChat refused the message for good (window closed, unfollowed): the coupon still stands. */
const quietWhenRefused = (error: unknown) => {
  if (!(error instanceof PermanentJobError)) throw error;
};
