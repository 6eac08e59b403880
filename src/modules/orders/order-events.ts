/**
 * What orders tells other modules, through the jobs outbox (payload: `orderId`, and `reason` for a
 * refund request). Payments, notices and CRM subscribe; orders imports none of them.
 */
export const ORDER_EVENTS = {
  placed: 'order.placed',
  paid: 'order.paid',
  shipped: 'order.shipped',
  cancelled: 'order.cancelled',
  refundRequested: 'order.refund_requested',
  refunded: 'order.refunded',
  paymentReminder: 'order.payment_reminder',
  /** A buyer reviewed a product of the order; the payload names both. */
  reviewed: 'order.reviewed',
} as const;
