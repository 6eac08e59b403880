/**
 * Channel: the WeChat conversation — callbacks, keyword rules, menus, QR channels, followers, the
 * message log. Order and other notices are messaging's (it hears orders' events).
 */
import type { ModuleMigrations } from '../../platform/db/migrate.ts';
import { up as channel } from './migrations/0002_channel.ts';
import { up as fanIndex } from './migrations/0011_inbox.ts';
import { up as activityIndex } from './migrations/0070_activity_index.ts';
import { up as receiptsIndex } from './migrations/0071_receipts_index.ts';

export const channelMigrations: ModuleMigrations = {
  '0002_channel': channel,
  '0011_inbox': fanIndex,
  '0070_activity_index': activityIndex,
  '0071_receipts_index': receiptsIndex,
};

export {
  createQrCode,
  FAN_MESSAGE_KINDS,
  followerGrowth,
  followInvite,
  messagesByDay,
  qrCodeDirectory,
  subscribedByAccount,
} from './audience.service.ts';
export { callbackRoutes } from './callback.routes.ts';
export { MESSAGE_RETENTION_MS, registerChannelJobs, scheduleMessagePruning } from './channel.jobs.ts';
export { channelRoutes } from './channel.routes.ts';
export type { ChannelTables, RuleKind } from './channel.schema.ts';
export { LATE_REPLY_JOB, WECHAT_EVENTS } from './inbound.service.ts';
export {
  AGENT_KIND,
  FAN_EVENTS,
  followerOf,
  followLog,
  type LogEntry,
  type LogReader,
  logSince,
  messagesOf,
  onLogWritten,
  recordAgentMessage,
} from './log.service.ts';
export { publishMenu, saveMenu } from './menus.service.ts';
export { createRule, deleteRule, setSingletonRule, updateRule } from './replies.service.ts';
export {
  type TemplateFinish,
  templateFinishesBetween,
  templateFinishesForFans,
  templateFinishesOf,
} from './send-finishes.service.ts';
