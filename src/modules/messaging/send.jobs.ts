import { merchantCtx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { PermanentJobError } from '../../platform/jobs/worker.ts';
import { SEND_JOB } from './broadcasts.service.ts';
import { registerNoticeJobs } from './notices.jobs.ts';
import { registerResultJobs } from './results.jobs.ts';
import { runSend } from './send.service.ts';

/** The send job carries the broadcast's id only; the worker reads the fresh row and resumes. */
export function registerMessagingJobs(deps: AppDeps): void {
  deps.jobHandlers.set(SEND_JOB, async (job) => {
    if (!job.merchantId) throw new PermanentJobError('job without merchant');
    await runSend(merchantCtx(deps, job.merchantId), String(job.payload.id));
  });
  registerNoticeJobs(deps);
  registerResultJobs(deps);
}
