import { type Ctx, merchantCtx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { PermanentJobError } from '../../platform/jobs/worker.ts';
import { WECHAT_EVENTS } from '../channel/index.ts';
import { ORDER_EVENTS } from '../orders/index.ts';
import { attributeOrder } from './attribution.service.ts';
import { pullReads, READS_JOB, recordMassFinish } from './results.service.ts';

/**
 * What became of a send: WeChat's finish reports, its read counts pulled from the datacube, and
 * the orders its clicks brought (heard through orders' events, never read from their tables).
 */
export function registerResultJobs(deps: AppDeps): void {
  const ctxOf = (merchantId: string | null): Ctx => {
    if (!merchantId) throw new PermanentJobError('job without merchant');
    return merchantCtx(deps, merchantId);
  };
  deps.jobHandlers.set(READS_JOB, async (job) => {
    await pullReads(ctxOf(job.merchantId), String(job.payload.id));
  });
  for (const step of ['placed', 'paid', 'refunded'] as const)
    deps.events.subscribe(ORDER_EVENTS[step], `messaging.attribute_${step}`, async (event) => {
      await attributeOrder(ctxOf(event.merchantId), String(event.payload.orderId), step);
    });
  deps.events.subscribe(WECHAT_EVENTS.sendJobFinished, 'messaging.mass_finished', async (event) => {
    const p = event.payload;
    if (p.kind !== 'mass') return;
    await recordMassFinish(ctxOf(event.merchantId), {
      accountId: String(p.accountId),
      msgId: String(p.msgId),
      status: String(p.status ?? ''),
      total: Number(p.total ?? 0),
      filtered: Number(p.filtered ?? 0),
      sent: Number(p.sent ?? 0),
      errors: Number(p.errors ?? 0),
      at: Number(p.at ?? deps.clock.now()),
    });
  });
}
