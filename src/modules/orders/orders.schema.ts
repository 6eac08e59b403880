export type OrderStatus =
  | 'pending_payment'
  | 'paid'
  | 'shipped'
  | 'completed'
  | 'cancelled'
  | 'refunding'
  | 'refunded';
export type PaymentMethod = 'wechat' | 'cod';

export interface OrdersTable {
  id: string;
  merchant_id: string;
  account_id: string;
  openid: string;
  status: OrderStatus;
  payment_method: PaymentMethod;
  items_total: number;
  shipping_fee: number;
  /** What adjustments (a coupon, a flash-sale price) took off, in fen: total = items + shipping − discount. */
  discount: number;
  total: number;
  /** JSON of {name, phone, region, detail}. */
  address: string;
  note: string;
  /** Where the buyer came from, e.g. "chat_search" or a campaign: push → visit → order attribution. */
  source: string | null;
  /** The client's key for this checkout: a double-tapped "submit" makes one order. */
  idempotency_key: string | null;
  paid_at: number | null;
  shipped_at: number | null;
  carrier: string | null;
  tracking_no: string | null;
  completed_at: number | null;
  cancelled_at: number | null;
  cancel_reason: 'unpaid_timeout' | 'buyer' | 'merchant' | null;
  reminded_at: number | null;
  /** Collected at this store instead of shipped (goods only). */
  pickup_store_id: string | null;
  /** 10 digits (a voucher has 12), unique per merchant: what the clerk types or scans. */
  pickup_code: string | null;
  collected_at: number | null;
  collected_by: string | null;
  created_at: number;
  updated_at: number;
}

export interface OrderItemsTable {
  id: string;
  order_id: string;
  merchant_id: string;
  product_id: string;
  sku_id: string;
  title: string;
  spec_text: string;
  price: number;
  quantity: number;
  subtotal: number;
}

/**
 * Why an order costs less than its items: one row per coupon or sale price, written with the order
 * by the module that granted it (marketing), so totals, refunds and exports can explain the price.
 */
export interface OrderAdjustmentsTable {
  id: string;
  order_id: string;
  merchant_id: string;
  /** e.g. "coupon", "flash_sale". */
  kind: string;
  label: string;
  /** Fen taken off; never negative. */
  amount: number;
  /** The granting module's id (a coupon, a sale). */
  ref: string;
  created_at: number;
}

export interface OrderEventsTable {
  id: string;
  order_id: string;
  merchant_id: string;
  from_status: OrderStatus | null;
  to_status: OrderStatus;
  actor: string;
  note: string | null;
  created_at: number;
}

export interface AddressesTable {
  id: string;
  merchant_id: string;
  openid: string;
  name: string;
  phone: string;
  region: string;
  detail: string;
  last_used_at: number;
  created_at: number;
}

export interface ReviewsTable {
  id: string;
  merchant_id: string;
  order_id: string;
  product_id: string;
  openid: string;
  rating: number;
  text: string;
  source: 'shop' | 'chat';
  hidden: number;
  created_at: number;
}

export interface FanSessionsTable {
  token_hash: string;
  merchant_id: string;
  account_id: string;
  openid: string;
  expires_at: number;
  created_at: number;
}

/** How a merchant's orders behave: cash on delivery, unpaid reminder and auto-cancel, notice templates. */
export interface OrderSettingsTable {
  merchant_id: string;
  cod_enabled: number;
  remind_after_ms: number;
  cancel_after_ms: number;
  template_paid: string | null;
  template_shipped: string | null;
  updated_at: number;
}

export interface OrdersTables {
  order_settings: OrderSettingsTable;
  fan_sessions: FanSessionsTable;
  orders: OrdersTable;
  order_items: OrderItemsTable;
  order_adjustments: OrderAdjustmentsTable;
  order_events: OrderEventsTable;
  addresses: AddressesTable;
  reviews: ReviewsTable;
}
