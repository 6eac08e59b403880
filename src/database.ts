import type { Kysely } from 'kysely';
import type { AccountsTables } from './modules/accounts/accounts.schema.ts';
import type { AnalyticsTables } from './modules/analytics/analytics.schema.ts';
import type { CatalogTables } from './modules/catalog/catalog.schema.ts';
import type { ChannelTables } from './modules/channel/channel.schema.ts';
import type { CommunityTables } from './modules/community/community.schema.ts';
import type { CrmTables } from './modules/crm/crm.schema.ts';
import type { AgentTables } from './modules/growth/agents.schema.ts';
import type { DistributionTables } from './modules/growth/distribution.schema.ts';
import type { GrowthTables } from './modules/growth/growth.schema.ts';
import type { InboxTables } from './modules/inbox/inbox.schema.ts';
import type { LoyaltyTables } from './modules/loyalty/loyalty.schema.ts';
import type { MarketingTables } from './modules/marketing/marketing.schema.ts';
import type { MessagingTables } from './modules/messaging/messaging.schema.ts';
import type { OrdersTables } from './modules/orders/orders.schema.ts';
import type { PaymentsTables } from './modules/payments/payments.schema.ts';
import type { TenantsTables } from './modules/tenants/tenants.schema.ts';
import type { DialectName } from './platform/db/database.ts';
import type { JobTables } from './platform/jobs/jobs.schema.ts';
import type { VaultTables } from './platform/vault/vault.schema.ts';

/** Every table Weiloop owns; each module declares its own in `<module>.schema.ts`. */
export interface DB
  extends JobTables,
    VaultTables,
    TenantsTables,
    AccountsTables,
    ChannelTables,
    CatalogTables,
    OrdersTables,
    PaymentsTables,
    CrmTables,
    InboxTables,
    MarketingTables,
    GrowthTables,
    DistributionTables,
    AgentTables,
    MessagingTables,
    LoyaltyTables,
    CommunityTables,
    AnalyticsTables {}

export type Db = Kysely<DB>;

export interface DbHandle {
  db: Db;
  dialect: DialectName;
}
