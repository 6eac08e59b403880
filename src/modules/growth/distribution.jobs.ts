import { merchantCtx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { positionIn } from '../../platform/db/cursor-table.ts';
import { AppError } from '../../platform/http/errors.ts';
import { PermanentJobError } from '../../platform/jobs/worker.ts';
import { PayApiError } from '../../wechat/pay/pay-client.ts';
import { createQrCode, followLog, type LogEntry } from '../channel/index.ts';
import { getOrder, ORDER_EVENTS } from '../orders/index.ts';
import { transferToFan } from '../payments/index.ts';
import {
  accrueCommissions,
  DIST_SETTLE_JOB,
  reverseCommissions,
  settleCommissions,
} from './commissions.service.ts';
import { bindBuyer, DIST_QR_JOB, getDistributor } from './distributors.service.ts';
import { DIST_PAYOUT_JOB, failWithdrawal, getWithdrawal, markWithdrawalPaid } from './withdrawals.service.ts';

const CURSOR = 'growth.referrals';

/** A scan of a distributor's QR code (following or already a follower) binds the fan as a buyer. */
async function applyReferralLog(deps: AppDeps, rows: LogEntry[]): Promise<void> {
  const scans = rows.filter((r) => (r.kind === 'subscribe' || r.kind === 'scan') && r.content);
  if (scans.length === 0) return;
  const owners = await deps.db
    .selectFrom('growth_distributors')
    .select(['id', 'merchant_id', 'account_id', 'scene'])
    .where('account_id', 'in', [...new Set(scans.map((r) => r.account_id))])
    .where('scene', 'in', [...new Set(scans.map((r) => String(r.content)))])
    .execute();
  for (const row of scans) {
    const owner = owners.find((o) => o.account_id === row.account_id && o.scene === row.content);
    if (!owner) continue;
    const ctx = { ...merchantCtx(deps, owner.merchant_id), now: row.created_at };
    await bindBuyer(ctx, {
      accountId: row.account_id,
      openid: row.openid,
      distributorId: owner.id,
      source: 'qr',
    });
  }
}

/** Follows channel's message log for distributor QR scans; call the result to catch up now. */
export function referralTail(deps: AppDeps): () => Promise<void> {
  return followLog(deps, {
    name: CURSOR,
    ...positionIn(deps.db, deps.clock, 'growth_cursors', CURSOR),
    apply: (rows) => applyReferralLog(deps, rows),
  });
}

export function registerDistributionJobs(deps: AppDeps): void {
  const ctxOf = (merchantId: string | null) => {
    if (!merchantId) throw new PermanentJobError('job without merchant');
    return merchantCtx(deps, merchantId);
  };
  referralTail(deps);

  deps.events.subscribe(ORDER_EVENTS.paid, 'growth.dist_accrue', async (event) => {
    const ctx = ctxOf(event.merchantId);
    const order = await getOrder(ctx, String(event.payload.orderId)).catch(() => null);
    if (!order) return;
    await accrueCommissions(ctx, order);
  });
  for (const name of [ORDER_EVENTS.refundRequested, ORDER_EVENTS.refunded])
    deps.events.subscribe(name, 'growth.dist_reverse', async (event) => {
      await reverseCommissions(ctxOf(event.merchantId), String(event.payload.orderId));
    });

  deps.jobHandlers.set(DIST_SETTLE_JOB, async (job) => {
    await settleCommissions(ctxOf(job.merchantId), { orderId: String(job.payload.orderId) });
  });

  deps.jobHandlers.set(DIST_QR_JOB, async (job) => {
    const ctx = ctxOf(job.merchantId);
    const distributor = await getDistributor(ctx, String(job.payload.distributorId));
    if (distributor.qrcode_id || distributor.status !== 'active') return;
    try {
      const code = await createQrCode(ctx, deps, {
        account_id: distributor.account_id,
        name: `分销·${distributor.code}`,
      });
      await deps.db
        .updateTable('growth_distributors')
        .set({ qrcode_id: code.id, scene: code.scene, qr_url: code.image_url, updated_at: ctx.now })
        .where('id', '=', distributor.id)
        .execute();
    } catch (error) {
      // A subscription or unverified account has no parametric QR codes: the link alone serves.
      if (error instanceof AppError && error.code === 'service_account_required') return;
      throw error;
    }
  });

  deps.jobHandlers.set(DIST_PAYOUT_JOB, async (job) => {
    const ctx = ctxOf(job.merchantId);
    const withdrawal = await getWithdrawal(ctx, String(job.payload.withdrawalId));
    if (withdrawal.status !== 'paying') return;
    const distributor = await getDistributor(ctx, withdrawal.distributor_id);
    try {
      // The withdrawal id is the batch number: a retry after a lost answer never pays twice.
      const { batchId } = await transferToFan(ctx, {
        accountId: distributor.account_id,
        openid: distributor.openid,
        amount: Number(withdrawal.amount),
        reference: withdrawal.id.replace(/[^0-9A-Za-z]/g, '').slice(0, 32),
        title: '分销佣金提现',
        remark: '佣金提现',
      });
      await markWithdrawalPaid(ctx, withdrawal.id, batchId);
    } catch (error) {
      if (!(error instanceof PayApiError) || error.status >= 500) throw error;
      await failWithdrawal(ctx, withdrawal.id, `${error.code}: ${error.message}`);
    }
  });
}
