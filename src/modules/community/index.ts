/**
 * Community: the merchant's own articles (free or members-only), a paid membership sold through
 * the normal checkout, and the members' board. Sits above channel, orders, catalog and accounts
 * (imports their faces; none imports it): keyword and menu replies are channel rules it writes,
 * and it hears about membership orders through ORDER_EVENTS.
 */
import type { ModuleMigrations } from '../../platform/db/migrate.ts';
import { up as community } from './migrations/0045_community.ts';

export const communityMigrations: ModuleMigrations = { '0045_community': community };

export { createArticle, createListReply } from './articles.service.ts';
export { createPost, moderatePost } from './board.service.ts';
export { registerCommunityJobs } from './community.jobs.ts';
export { communityAdminRoutes } from './community.routes.ts';
export type { CommunityTables } from './community.schema.ts';
export { communityPageRoutes } from './community-pages.routes.ts';
export { communityShopRoutes } from './community-shop.routes.ts';
export { activateForOrder, endForRefund, joinPlan, membershipOf } from './membership.service.ts';
export { createPlan } from './plans.service.ts';
export { sanitizeHtml } from './sanitize.ts';
