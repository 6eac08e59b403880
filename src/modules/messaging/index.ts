/**
 * Messaging: broadcasts (news, text, image) to a tag, a segment or, when chosen explicitly,
 * everyone; previews, scheduling in the merchant's zone, WeChat's mass-send quotas, and a send
 * that reaches each fan exactly once however often its worker dies. Sits above accounts and crm.
 */
import type { ModuleMigrations } from '../../platform/db/migrate.ts';
import { up as messaging } from './migrations/0030_messaging.ts';

export const messagingMigrations: ModuleMigrations = { '0030_messaging': messaging };

export { getBroadcast, listBroadcasts } from './broadcasts.service.ts';
export { clickRoutes } from './clicks.routes.ts';
export { messagingRoutes } from './messaging.routes.ts';
export type { MessagingTables } from './messaging.schema.ts';
export { sendFigures, YARDSTICKS } from './report.service.ts';
export { registerMessagingJobs } from './send.jobs.ts';
