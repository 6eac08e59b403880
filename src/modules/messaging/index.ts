/**
 * Messaging: broadcasts (news, text, image) to a tag, a segment or, when chosen explicitly,
 * everyone; previews, scheduling in the merchant's zone, WeChat's mass-send quotas, and a send
 * that reaches each fan exactly once however often its worker dies; template notices (order,
 * voucher, reminder, birthday) each merchant maps to its own templates, heard from orders' and
 * marketing's events. Sits above accounts, channel, crm, marketing and orders.
 */
import type { ModuleMigrations } from '../../platform/db/migrate.ts';
import { up as messaging } from './migrations/0030_messaging.ts';
import { up as notices } from './migrations/0031_notices.ts';
import { up as sendResults } from './migrations/0032_send_results.ts';
import { up as noticePages } from './migrations/0033_notice_pages.ts';

export const messagingMigrations: ModuleMigrations = {
  '0030_messaging': messaging,
  '0031_notices': notices,
  '0032_send_results': sendResults,
  '0033_notice_pages': noticePages,
};

export { recordVisit } from './attribution.service.ts';
export { getBroadcast, listBroadcasts } from './broadcasts.service.ts';
export { clickRoutes } from './clicks.routes.ts';
export { messagingRoutes } from './messaging.routes.ts';
export type { MessagingTables } from './messaging.schema.ts';
export { NOTICE_KINDS, type NoticeKind } from './notices.schema.ts';
export {
  requestNotice,
  requestTemplateNotices,
  saveNoticeSettings,
  saveNoticeTemplate,
} from './notices.service.ts';
export { sendFigures, YARDSTICKS } from './report.service.ts';
export { registerMessagingJobs } from './send.jobs.ts';
