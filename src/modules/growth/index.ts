/**
 * Growth: trials (试用) entered by replying in chat, with a seeded, auditable draw; red packets
 * with a budget never exceeded, paid through WeChat Pay's transfer (by link, keyword, payment or a
 * follow through a QR code); share-to-unlock coupons counted by distinct friends; lucky draws
 * with odds, guarded stock and a committed seed. Sits above
 * channel (reads its message log), orders (the winner's ¥0 order), crm (member beside each entry),
 * marketing (the losers' consolation coupon) and loyalty (points spent on a draw and won in one);
 * nothing imports it but the app.
 */
import type { ModuleMigrations } from '../../platform/db/migrate.ts';
import { up as growth } from './migrations/0050_growth.ts';
import { up as distribution } from './migrations/0051_distribution.ts';
import { up as agents } from './migrations/0052_agents.ts';
import { up as shareDraws } from './migrations/0055_growth_share_draws.ts';
import { up as drawPoints } from './migrations/0056_growth_draw_points.ts';

export const growthMigrations: ModuleMigrations = {
  '0050_growth': growth,
  '0051_distribution': distribution,
  '0052_agents': agents,
  '0055_growth_share_draws': shareDraws,
  '0056_growth_draw_points': drawPoints,
};

export { agentAdminRoutes } from './agents.routes.ts';
export type { AgentTables } from './agents.schema.ts';
export { placeStockOrder } from './agents.service.ts';
export {
  accrueCommissions,
  moveBalance,
  reconcileLedger,
  reverseCommissions,
  settleCommissions,
} from './commissions.service.ts';
export { referralTail, registerDistributionJobs } from './distribution.jobs.ts';
export { distributionAdminRoutes } from './distribution.routes.ts';
export type { DistributionTables } from './distribution.schema.ts';
export { saveDistSettings } from './distribution.settings.ts';
export { distributionPageRoutes, distributionShopApi } from './distribution.shop.ts';
export { becomeDistributor, bindBuyer, reviewDistributor } from './distributors.service.ts';
export { registerDrawJobs } from './draws.jobs.ts';
export { drawAdminRoutes, drawShopRoutes } from './draws.routes.ts';
export { createDraw, play, prizeForRoll, rollOf } from './draws.service.ts';
export { growthAdminRoutes, growthShopRoutes } from './growth.routes.ts';
export type { GrowthTables } from './growth.schema.ts';
export { growthPageRoutes } from './growth-pages.routes.ts';
export { registerRedPacketJobs } from './redpackets.jobs.ts';
export { redPacketAdminRoutes, redPacketShopRoutes } from './redpackets.routes.ts';
export { claimRedPacket, createRedPacketCampaign } from './redpackets.service.ts';
export { registerShareJobs } from './share.jobs.ts';
export { shareAdminRoutes, shareShopRoutes } from './share.routes.ts';
export { createShareCampaign, recordOpen } from './share.service.ts';
export { drawWinners, seedHash, ticket } from './trial-draw.ts';
export { applyTrialLog, registerTrialJobs, trialTail } from './trials.jobs.ts';
export { createTrial, drawTrial } from './trials.service.ts';
export { requestWithdrawal, reviewWithdrawal } from './withdrawals.service.ts';
