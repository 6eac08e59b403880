/**
 * CRM: one member per person across a merchant's accounts (openids, unionid, phone, external
 * ids), profiles with merchant-defined fields, tags mirrored to WeChat, segments and snapshots,
 * the timeline. Sits above channel, orders, catalog and accounts; learns from them through their
 * public functions, domain events and channel's message log.
 */
import type { ModuleMigrations } from '../../platform/db/migrate.ts';
import { up as crm } from './migrations/0010_crm.ts';
import { up as autotag } from './migrations/0013_crm_autotag.ts';
import { up as speed } from './migrations/0015_crm_speed.ts';
import { up as importSpeed } from './migrations/0016_crm_import.ts';

export const crmMigrations: ModuleMigrations = {
  '0010_crm': crm,
  '0013_crm_autotag': autotag,
  '0015_crm_speed': speed,
  '0016_crm_import': importSpeed,
};

export { createAttributeDef } from './attributes.service.ts';
export { logTail, registerCrmJobs } from './crm.jobs.ts';
export { crmRoutes } from './crm.routes.ts';
export type { CrmTables } from './crm.schema.ts';
export { memberOfFan, membersOfFans, resolveFan } from './identities.service.ts';
export { importNextChunk, startImport } from './import.service.ts';
export { getMember, type MemberView } from './members.service.ts';
export type { Condition, RuleGroup } from './segment-rules.ts';
export {
  countMembers,
  getSegment,
  listMembers,
  snapshotAudience,
  snapshotRules,
  snapshotSegment,
} from './segments.service.ts';
export { scheduleTagPulls } from './tag-pull.jobs.ts';
export { registerTagSyncJobs } from './tag-sync.jobs.ts';
export { listTags, tagMembers, untagMembers } from './tags.service.ts';
