/**
 * Shop: the fan's server-rendered H5 pages (search, product, checkout, orders, deals, stores).
 * It only composes the other modules' services; it owns no table.
 */

export { catalogPageRoutes } from './catalog-pages.routes.ts';
export { checkoutApiRoutes } from './checkout-api.routes.ts';
export { checkoutPageRoutes } from './checkout-pages.routes.ts';
