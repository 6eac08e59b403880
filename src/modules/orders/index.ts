/**
 * Orders: checkout, the order lifecycle, addresses, reviews, the fan's shop session. Tells others
 * what happened through ORDER_EVENTS; imports neither payments nor notices.
 */
import type { ModuleMigrations } from '../../platform/db/migrate.ts';
import { up as orders } from './migrations/0004_orders.ts';
import { up as moduleBoundaries } from './migrations/0005_module_boundaries.ts';
import { up as adjustments } from './migrations/0020_marketing.ts';
import { up as storePickup } from './migrations/0022_store_pickup.ts';

export const ordersMigrations: ModuleMigrations = {
  '0004_orders': orders,
  '0005_module_boundaries': moduleBoundaries,
  '0020_marketing': adjustments,
  '0022_store_pickup': storePickup,
};

export {
  type BatchOrder,
  type PlacedInBatch,
  placeOrdersTogether,
} from './batch-checkout.service.ts';
export { buyerOf } from './buyer.ts';
export {
  listAddresses,
  type OrderAdjustment,
  type PlaceOrderInput,
  type PlaceOrderOptions,
  type PricedLine,
  type PricedOrder,
  placeOrder,
} from './checkout.service.ts';
export { type CheckoutPart, composeCheckout, quoteCheckout } from './checkout-parts.ts';
export { FAN_COOKIE, type FanSession, fanCtx, requireFan, resolveFan } from './fan-session.ts';
export {
  cancelOrder,
  markPaid,
  markRefunded,
  ORDER_EVENTS,
  refundOrder,
  remindUnpaid,
  shipOrder,
} from './lifecycle.service.ts';
export { buildOrderSettingsBody, OrderSettings } from './order-settings.schemas.ts';
export {
  type OrderPolicy,
  orderPolicy,
  orderSettingsView,
  saveOrderSettings,
} from './order-settings.service.ts';
export { ordersRoutes } from './orders.routes.ts';
export type { OrderStatus, OrdersTables } from './orders.schema.ts';
export { OrderSchema } from './orders.schemas.ts';
export { collectPickup, findPickup, pickupRefusal } from './pickup.service.ts';
export {
  type AddressInput,
  buyerSpend,
  getOrder,
  listOrders,
  type OrderView,
  orderOutcomes,
  ordersByDay,
} from './queries.service.ts';
export {
  awaitsReview,
  productReviews,
  reviewedProducts,
  reviewFromChat,
  reviewOrder,
} from './reviews.service.ts';
export { shopApiRoutes } from './shop-api.routes.ts';
