/**
 * Inbox: conversations per fan per account from channel's message log, assignment, the 48-hour
 * customer-service reply, SLA, canned replies, personas, live updates. Sits above crm (the
 * profile beside the chat), channel, orders and accounts.
 */
import type { ModuleMigrations } from '../../platform/db/migrate.ts';
import { up as inbox } from './migrations/0011_inbox.ts';
import { up as hours } from './migrations/0014_inbox_hours.ts';

export const inboxMigrations: ModuleMigrations = { '0011_inbox': inbox, '0014_inbox_hours': hours };

export { inboxTail } from './conversation-log.ts';
export { inboxRoutes } from './inbox.routes.ts';
export type { InboxTables } from './inbox.schema.ts';
