/**
 * Marketing: coupons, group-buy vouchers and flash sales. Sits above orders, payments, catalog,
 * channel and accounts (imports their faces; they never import it) and hears about orders through
 * ORDER_EVENTS.
 */
import type { ModuleMigrations } from '../../platform/db/migrate.ts';
import { up as marketing } from './migrations/0020_marketing.ts';

export const marketingMigrations: ModuleMigrations = { '0020_marketing': marketing };

export { couponOptions, priceItems } from './coupon-checkout.ts';
export { couponAdminRoutes, couponShopRoutes } from './coupons.routes.ts';
export { claimCoupon, createCampaign, getCampaign } from './coupons.service.ts';
export { flashAdminRoutes, flashShopRoutes } from './flash.routes.ts';
export { createSale, saleBoard } from './flash-sales.service.ts';
export { registerMarketingJobs } from './marketing.jobs.ts';
export type { MarketingTables } from './marketing.schema.ts';
export { describeCampaign, marketingPageRoutes, voucherQr } from './marketing-pages.routes.ts';
export { voucherRoutes } from './vouchers.routes.ts';
export { bindClerk, orderVouchers } from './vouchers.service.ts';
