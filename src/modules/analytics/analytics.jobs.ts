import { merchantCtx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { DAY_MS } from '../../platform/db/day-buckets.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import { listAccounts } from '../accounts/index.ts';
import { chinaDay, DATACUBE_MAX_DAYS, pullWechatUsers } from './datacube.service.ts';
import { pruneSeen, refreshBaselines, rollupTail } from './rollups.service.ts';

export const ANALYTICS_DAILY_JOB = 'analytics.daily';

/** Merchants whose accounts have anything in the rollups: the ones with figures to keep. */
async function activeMerchants(deps: AppDeps): Promise<string[]> {
  const rows = await deps.db
    .selectFrom('analytics_follower_days')
    .select('merchant_id')
    .distinct()
    .union(deps.db.selectFrom('analytics_message_days').select('merchant_id').distinct())
    .execute();
  return [...new Set(rows.map((r) => r.merchant_id))];
}

/**
 * Once a day, per merchant: WeChat's follower figures for the last seven China days up to
 * yesterday (WeChat revises recent days, so they are pulled again), the cumulative baseline
 * re-anchored to channel's follower count, and the tail's ledger pruned.
 */
export async function runDaily(deps: AppDeps): Promise<void> {
  const now = deps.clock.now();
  const to = chinaDay(now - DAY_MS);
  const from = chinaDay(now - DATACUBE_MAX_DAYS * DAY_MS);
  for (const merchantId of await activeMerchants(deps)) {
    const ctx = merchantCtx(deps, merchantId);
    await refreshBaselines(ctx);
    for (const account of await listAccounts(ctx)) {
      try {
        await pullWechatUsers(ctx, account.id, { from, to });
      } catch (error) {
        // One account WeChat refuses (unverified, revoked) must not keep the others' figures back.
        deps.logger.warn({ err: error, accountId: account.id }, 'datacube pull failed');
      }
    }
  }
  await pruneSeen(deps);
}

export function registerAnalyticsJobs(deps: AppDeps): void {
  rollupTail(deps);
  deps.jobHandlers.set(ANALYTICS_DAILY_JOB, async () => {
    await runDaily(deps);
    await scheduleAnalytics(deps, deps.clock.now() + DAY_MS);
  });
}

/** Queues the daily analytics job; one per day whatever the number of processes. */
export async function scheduleAnalytics(deps: Pick<AppDeps, 'db'>, at: number): Promise<void> {
  const day = new Date(at).toISOString().slice(0, 10);
  await enqueueJob(deps.db, { type: ANALYTICS_DAILY_JOB, key: day, runAt: at }, at);
}
