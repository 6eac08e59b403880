/**
 * Channel: the WeChat conversation — callbacks, keyword rules, menus, QR channels, followers, the
 * message log. Order and other notices are messaging's (it hears orders' events).
 */
import type { ModuleMigrations } from '../../platform/db/migrate.ts';
import { up as channel } from './migrations/0002_channel.ts';
import { up as fanIndex } from './migrations/0011_inbox.ts';

export const channelMigrations: ModuleMigrations = { '0002_channel': channel, '0011_inbox': fanIndex };

export { createQrCode, followerGrowth, followInvite, messagesByDay } from './audience.service.ts';
export { callbackRoutes } from './callback.routes.ts';
export { registerChannelJobs, scheduleMessagePruning } from './channel.jobs.ts';
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
