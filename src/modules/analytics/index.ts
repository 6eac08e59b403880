/** Analytics: the dashboard and the seeds' yardsticks, from daily rollups it keeps from the other modules' faces. */
import type { ModuleMigrations } from '../../platform/db/migrate.ts';
import { up as rollups } from './migrations/0060_analytics_rollups.ts';

export const analyticsMigrations: ModuleMigrations = { '0060_analytics_rollups': rollups };

export { ANALYTICS_DAILY_JOB, registerAnalyticsJobs, runDaily, scheduleAnalytics } from './analytics.jobs.ts';
export { analyticsRoutes } from './analytics.routes.ts';
export type { AnalyticsTables } from './analytics.schema.ts';
export { orderFunnel, overview } from './analytics.service.ts';
export { rebuildRollups, rollupTail } from './rollups.service.ts';
