/**
 * Payments: WeChat Pay settings, prepay, notices, close and refund. Calls orders (never the
 * other way) and acts on orders' events: watches unpaid orders, closes, refunds.
 */
import type { ModuleMigrations } from '../../platform/db/migrate.ts';
import { up as orders } from './migrations/0004_orders.ts';
import { up as moduleBoundaries } from './migrations/0005_module_boundaries.ts';
import { up as charges } from './migrations/0040_loyalty.ts';
import { up as chargeRefunds } from './migrations/0042_charge_refunds.ts';

export const paymentsMigrations: ModuleMigrations = {
  '0004_orders': orders,
  '0005_module_boundaries': moduleBoundaries,
  '0040_loyalty': charges,
  '0042_charge_refunds': chargeRefunds,
};

export { refundCharge, refundedCharges } from './charge-refunds.service.ts';
export { CHARGE_EVENTS, getCharge, paidCharges, startCharge } from './charges.service.ts';
export { payNotifyRoutes } from './notify.routes.ts';
export { registerPaymentJobs } from './payments.jobs.ts';
export { paymentsRoutes, shopPayRoutes } from './payments.routes.ts';
export type { PaymentsTables } from './payments.schema.ts';
export {
  type PaymentSettingsInput,
  savePaymentSettings,
  sealStoredPaymentSecrets,
} from './settings.service.ts';
export { transferToFan } from './transfers.service.ts';
