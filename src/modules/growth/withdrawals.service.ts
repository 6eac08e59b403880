import type { Ctx } from '../../context.ts';
import { actorLabel, requireRole } from '../../platform/auth/roles.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { found } from '../../platform/db/paging.ts';
import { badRequest, conflict } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import { moveBalance } from './commissions.service.ts';
import type { DistWithdrawalsTable } from './distribution.schema.ts';
import { distSettings } from './distribution.settings.ts';
import { distributorOfFan, getDistributor } from './distributors.service.ts';

export const WITHDRAWAL = { zh: '提现申请', en: 'Withdrawal' };
export const DIST_PAYOUT_JOB = 'growth.dist_payout';
/** WeChat's merchant transfer takes at least 0.10 yuan; larger single transfers need more checks. */
const MIN_TRANSFER = 10;
const MAX_TRANSFER = 2_000_000;

export async function getWithdrawal(ctx: Pick<Ctx, 'db' | 'merchantId'>, id: string) {
  return found(
    await ctx.db
      .selectFrom('growth_dist_withdrawals')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('id', '=', id)
      .executeTakeFirst(),
    WITHDRAWAL,
  );
}

/**
 * A distributor asks to withdraw. The amount leaves the balance at once (a ledger entry), guarded
 * in one UPDATE so concurrent requests can never take more than the settled balance; a rejected
 * or failed withdrawal puts it back with another entry.
 */
export async function requestWithdrawal(
  ctx: Ctx,
  fan: { accountId: string; openid: string },
  amount: number,
): Promise<DistWithdrawalsTable> {
  const distributor = await distributorOfFan(ctx, fan.accountId, fan.openid);
  if (distributor?.status !== 'active')
    throw conflict('not_a_distributor', '你还不是分销员', 'You are not a distributor');
  const settings = await distSettings(ctx);
  const floor = Math.max(MIN_TRANSFER, settings.min_withdrawal);
  if (!Number.isSafeInteger(amount) || amount < floor || amount > MAX_TRANSFER)
    throw badRequest(
      'invalid_amount',
      `提现金额需在 ${(floor / 100).toFixed(2)} 元到 ${MAX_TRANSFER / 100} 元之间`,
      `Withdraw between ${(floor / 100).toFixed(2)} and ${MAX_TRANSFER / 100} yuan`,
    );
  const row: DistWithdrawalsTable = {
    id: newId('dwd', ctx.now),
    merchant_id: ctx.merchantId,
    distributor_id: distributor.id,
    amount,
    status: 'requested',
    reviewed_by: null,
    reject_reason: null,
    batch_id: null,
    error: null,
    created_at: ctx.now,
    reviewed_at: null,
    paid_at: null,
  };
  await inTransaction(ctx.db, async (trx) => {
    await trx.insertInto('growth_dist_withdrawals').values(row).execute();
    await moveBalance(
      { ...ctx, db: trx },
      { distributorId: distributor.id, kind: 'withdrawal', amount: -amount, ref: row.id },
    );
  });
  return row;
}

/** The owner approves (the payout is a job in the same transaction) or rejects (the amount returns). */
export async function reviewWithdrawal(
  ctx: Ctx,
  id: string,
  decision: { approve: boolean; reason?: string },
): Promise<DistWithdrawalsTable> {
  requireRole(ctx, 'owner');
  await getWithdrawal(ctx, id);
  await inTransaction(ctx.db, async (trx) => {
    const moved = await trx
      .updateTable('growth_dist_withdrawals')
      .set({
        status: decision.approve ? 'paying' : 'rejected',
        reviewed_by: actorLabel(ctx.actor),
        reviewed_at: ctx.now,
        reject_reason: decision.approve ? null : (decision.reason ?? '').slice(0, 200),
      })
      .where('merchant_id', '=', ctx.merchantId)
      .where('id', '=', id)
      .where('status', '=', 'requested')
      .returning(['distributor_id', 'amount'])
      .executeTakeFirst();
    if (!moved) throw conflict('already_reviewed', '这笔提现已处理', 'This withdrawal was already handled');
    if (decision.approve)
      await enqueueJob(
        trx,
        { type: DIST_PAYOUT_JOB, key: id, merchantId: ctx.merchantId, payload: { withdrawalId: id } },
        ctx.now,
      );
    else
      await moveBalance(
        { ...ctx, db: trx },
        {
          distributorId: moved.distributor_id,
          kind: 'withdrawal_return',
          amount: Number(moved.amount),
          ref: id,
        },
      );
  });
  if (decision.approve) ctx.deps.wakeJobs();
  return getWithdrawal(ctx, id);
}

/** WeChat refused the transfer for good: the withdrawal failed and its amount returns to the balance. */
export async function failWithdrawal(ctx: Ctx, id: string, error: string): Promise<void> {
  await inTransaction(ctx.db, async (trx) => {
    const moved = await trx
      .updateTable('growth_dist_withdrawals')
      .set({ status: 'failed', error: error.slice(0, 200) })
      .where('merchant_id', '=', ctx.merchantId)
      .where('id', '=', id)
      .where('status', '=', 'paying')
      .returning(['distributor_id', 'amount'])
      .executeTakeFirst();
    if (!moved) return;
    await moveBalance(
      { ...ctx, db: trx },
      {
        distributorId: moved.distributor_id,
        kind: 'withdrawal_return',
        amount: Number(moved.amount),
        ref: id,
      },
    );
  });
}

export async function markWithdrawalPaid(ctx: Ctx, id: string, batchId: string): Promise<void> {
  await ctx.db
    .updateTable('growth_dist_withdrawals')
    .set({ status: 'paid', batch_id: batchId, paid_at: ctx.now })
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .where('status', '=', 'paying')
    .execute();
}

export async function listWithdrawals(
  ctx: Ctx,
  filter: { status?: string; distributor_id?: string; limit: number; cursor?: string },
) {
  requireRole(ctx, 'operator');
  let query = ctx.db
    .selectFrom('growth_dist_withdrawals')
    .innerJoin('growth_distributors', 'growth_distributors.id', 'growth_dist_withdrawals.distributor_id')
    .selectAll('growth_dist_withdrawals')
    .select(['growth_distributors.openid', 'growth_distributors.balance'])
    .where('growth_dist_withdrawals.merchant_id', '=', ctx.merchantId);
  if (filter.status)
    query = query.where(
      'growth_dist_withdrawals.status',
      '=',
      filter.status as DistWithdrawalsTable['status'],
    );
  if (filter.distributor_id)
    query = query.where('growth_dist_withdrawals.distributor_id', '=', filter.distributor_id);
  if (filter.cursor) query = query.where('growth_dist_withdrawals.id', '<', filter.cursor);
  const rows = await query
    .orderBy('growth_dist_withdrawals.id', 'desc')
    .limit(filter.limit + 1)
    .execute();
  const items = rows
    .slice(0, filter.limit)
    .map((r) => ({ ...r, amount: Number(r.amount), balance: Number(r.balance) }));
  return { items, next_cursor: rows.length > filter.limit ? (items.at(-1)?.id ?? null) : null };
}

export async function fanWithdrawals(ctx: Ctx, distributorId: string) {
  await getDistributor(ctx, distributorId);
  return ctx.db
    .selectFrom('growth_dist_withdrawals')
    .select(['id', 'amount', 'status', 'reject_reason', 'created_at', 'paid_at'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('distributor_id', '=', distributorId)
    .orderBy('id', 'desc')
    .limit(50)
    .execute();
}
