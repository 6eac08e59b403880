/**
 * Marketing: coupons, group-buy vouchers and flash sales. Sits above crm, channel, orders,
 * catalog, accounts and tenants (imports their faces; they never import it), hears about orders
 * through ORDER_EVENTS and about chat (keywords, menu clicks, QR scans) through channel's log.
 */
import type { ModuleMigrations } from '../../platform/db/migrate.ts';
import { up as marketing } from './migrations/0020_marketing.ts';
import { up as couponChannels } from './migrations/0021_coupon_channels.ts';

export const marketingMigrations: ModuleMigrations = {
  '0020_marketing': marketing,
  '0021_coupon_channels': couponChannels,
};

export { couponLogTail } from './coupon-channels.jobs.ts';
export { couponOptions, couponPart, priceItems } from './coupon-checkout.ts';
export { grantCoupon } from './coupon-issue.service.ts';
export { couponAdminRoutes, couponShopRoutes } from './coupons.routes.ts';
export { claimCoupon, createCampaign, getCampaign } from './coupons.service.ts';
export { flashAdminRoutes, flashShopRoutes } from './flash.routes.ts';
export { createSale, saleBoard } from './flash-sales.service.ts';
export { registerMarketingJobs } from './marketing.jobs.ts';
export type { MarketingTables } from './marketing.schema.ts';
export { describeCampaign, marketingPageRoutes, voucherQr } from './marketing-pages.routes.ts';
export { voucherRoutes } from './vouchers.routes.ts';
export { bindClerk, orderVouchers, VOUCHER_EVENTS } from './vouchers.service.ts';
