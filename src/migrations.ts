import { accountsMigrations } from './modules/accounts/index.ts';
import { analyticsMigrations } from './modules/analytics/index.ts';
import { catalogMigrations } from './modules/catalog/index.ts';
import { channelMigrations } from './modules/channel/index.ts';
import { communityMigrations } from './modules/community/index.ts';
import { crmMigrations } from './modules/crm/index.ts';
import { growthMigrations } from './modules/growth/index.ts';
import { inboxMigrations } from './modules/inbox/index.ts';
import { loyaltyMigrations } from './modules/loyalty/index.ts';
import { marketingMigrations } from './modules/marketing/index.ts';
import { messagingMigrations } from './modules/messaging/index.ts';
import { ordersMigrations } from './modules/orders/index.ts';
import { paymentsMigrations } from './modules/payments/index.ts';
import { tenantsMigrations } from './modules/tenants/index.ts';
import type { ModuleMigrations } from './platform/db/migrate.ts';
import { jobsMigrations } from './platform/jobs/migrations/index.ts';
import { vaultMigrations } from './platform/vault/migrations/index.ts';

/**
 * Every module's migrations, owners of referenced tables first: the parts that share a name run
 * in this order. A new module adds itself here.
 */
export const migrations: readonly ModuleMigrations[] = [
  jobsMigrations,
  vaultMigrations,
  tenantsMigrations,
  accountsMigrations,
  channelMigrations,
  catalogMigrations,
  ordersMigrations,
  paymentsMigrations,
  crmMigrations,
  inboxMigrations,
  marketingMigrations,
  growthMigrations,
  messagingMigrations,
  loyaltyMigrations,
  communityMigrations,
  analyticsMigrations,
];
