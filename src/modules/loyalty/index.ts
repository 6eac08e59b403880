/**
 * Loyalty: the member card program, one card per CRM member, points and stored-value ledgers,
 * levels moved by events, checkout with the card. Sits above orders, crm, catalog and accounts
 * (imports their faces; they never import it) and hears about orders through ORDER_EVENTS.
 */
import type { ModuleMigrations } from '../../platform/db/migrate.ts';
import { up as loyalty } from './migrations/0040_loyalty.ts';
import { up as rewards } from './migrations/0041_loyalty_rewards.ts';

export const loyaltyMigrations: ModuleMigrations = {
  '0040_loyalty': loyalty,
  '0041_loyalty_rewards': rewards,
};

export { type CardUse, cardPart, checkoutWithCard, settleCoveredOrder } from './card-checkout.ts';
export { cardPageRoutes } from './card-page.routes.ts';
export { cardOfFan, getCard, issueCard } from './cards.service.ts';
export { clerkCardPageRoutes } from './clerk-page.routes.ts';
export { CARD_MENU_KEY, loyaltyLogTail } from './join.service.ts';
export { movePoints, moveValue } from './ledger.service.ts';
export { BIRTHDAYS_JOB, registerLoyaltyJobs, scheduleBirthdays } from './loyalty.jobs.ts';
export { loyaltyAdminRoutes, loyaltyShopRoutes } from './loyalty.routes.ts';
export type { LoyaltyTables } from './loyalty.schema.ts';
export { grantBirthdays } from './perks.service.ts';
export { getProgram, saveProgram } from './program.service.ts';
export { loyaltyReport, reconcile } from './report.service.ts';
export { redeemReward } from './rewards.service.ts';
