export type CouponKind = 'fixed' | 'threshold' | 'percent' | 'first_order' | 'free_shipping';
export type CouponScope = 'all' | 'categories' | 'products';

/** A coupon campaign: what a claimed coupon takes off, where it applies, how many exist. */
export interface CouponCampaignsTable {
  id: string;
  merchant_id: string;
  name: string;
  kind: CouponKind;
  /**
   * fixed / threshold: fen off; percent: the percent paid (80 = 8折); first_order: the price the
   * eligible items cost together (10 = ¥0.10); free_shipping: unused.
   */
  value: number;
  /** Items (in scope) must reach this many fen (满减's 满). */
  min_spend: number;
  /** percent: the most it may take off, fen (0 = no cap). */
  max_off: number;
  scope: CouponScope;
  /** JSON array of category paths or product ids, by scope. */
  scope_ids: string;
  /** A claimed coupon is valid from/until these instants, or for valid_days after its claim. */
  valid_from: number | null;
  valid_until: number | null;
  valid_days: number | null;
  per_fan_limit: number;
  total_limit: number;
  /** Fen the campaign may give away in all (0 = no budget cap). */
  budget: number;
  claimed: number;
  used: number;
  spent: number;
  /** Revenue (order totals) of the orders that used one. */
  revenue: number;
  /** A coupon used on an order later cancelled or refunded goes back to the fan while still valid. */
  return_on_refund: number;
  status: 'active' | 'paused';
  created_at: number;
  updated_at: number;
}

export interface CouponsTable {
  id: string;
  merchant_id: string;
  campaign_id: string;
  openid: string;
  /** 1…per_fan_limit: unique with (campaign_id, openid), so two racing claims cannot both pass. */
  seq: number;
  status: 'available' | 'used' | 'void';
  valid_from: number;
  valid_until: number;
  order_id: string | null;
  discount: number;
  used_at: number | null;
  claimed_at: number;
}

export type VoucherStatus = 'valid' | 'redeemed' | 'expired' | 'refunded';

/** A group-buy voucher: one per paid unit of a deal, redeemed once at one of its stores. */
export interface VouchersTable {
  id: string;
  merchant_id: string;
  /** 12 digits, unique per merchant: what a clerk types or scans. */
  code: string;
  order_id: string;
  order_item_id: string;
  /** Which unit of the order line (1…quantity): unique with order_item_id, so issuing twice issues once. */
  unit: number;
  product_id: string;
  title: string;
  account_id: string;
  openid: string;
  price: number;
  /** JSON array of store ids it may be redeemed at (empty = any of the merchant's). */
  store_ids: string;
  valid_from: number;
  valid_until: number | null;
  status: VoucherStatus;
  redeemed_at: number | null;
  redeemed_store_id: string | null;
  redeemed_by: string | null;
  created_at: number;
}

/** Audit of every redemption and reversal. */
export interface VoucherEventsTable {
  id: string;
  merchant_id: string;
  voucher_id: string;
  action: 'redeem' | 'reverse' | 'expire' | 'refund';
  store_id: string | null;
  actor: string;
  reason: string | null;
  created_at: number;
}

/** Which store a clerk (a console user or API token) redeems at. */
export interface ClerkStoresTable {
  merchant_id: string;
  principal_id: string;
  store_id: string;
  created_at: number;
}

/** Per deal: whether vouchers that expire unredeemed are refunded. */
export interface DealPoliciesTable {
  merchant_id: string;
  product_id: string;
  refund_expired: number;
  updated_at: number;
}

export interface FlashSalesTable {
  id: string;
  merchant_id: string;
  title: string;
  product_id: string;
  sku_id: string;
  price: number;
  stock: number;
  /** Units held by live orders (unpaid or paid); never above stock (guarded in the UPDATE). */
  sold: number;
  paid: number;
  returned: number;
  per_buyer_limit: number;
  requires_reservation: number;
  opens_at: number;
  closes_at: number;
  remind_before_ms: number;
  created_at: number;
  updated_at: number;
}

export interface FlashReservationsTable {
  sale_id: string;
  merchant_id: string;
  openid: string;
  account_id: string;
  created_at: number;
}

/** A gate pass that became an order: the database's record of who got a unit. */
export interface FlashPassesTable {
  id: string;
  merchant_id: string;
  sale_id: string;
  openid: string;
  /**
   * 1…per_buyer_limit, unique with (sale_id, openid): one buyer can never exceed the limit. Null
   * once returned (nulls never collide), so the slot is free again.
   */
  seq: number | null;
  order_id: string;
  status: 'held' | 'paid' | 'returned';
  created_at: number;
  updated_at: number;
}

export type TriggerKind = 'keyword' | 'click' | 'scan' | 'paid';

/**
 * Where a campaign's coupons are handed out besides the claim page: a keyword or a menu click
 * (channel's reply rule `ref_id` answers at once), a channel QR code's scene (`ref_id` the code),
 * or every paid order of at least `min_total` fen.
 */
export interface CouponTriggersTable {
  id: string;
  merchant_id: string;
  campaign_id: string;
  kind: TriggerKind;
  /** Null for `paid` on any account. */
  account_id: string | null;
  /** The keyword, the menu key or the QR scene. */
  key: string | null;
  ref_id: string | null;
  /** scan: the QR code's image, to print. */
  image_url: string | null;
  min_total: number;
  status: 'active' | 'stopped';
  issued: number;
  created_at: number;
}

export type GrantOutcome = 'issued' | 'gone' | 'limit' | 'closed' | 'budget';

/** What one cause (a message, an order, a segment member) got from one campaign: at most once. */
export interface CouponGrantsTable {
  merchant_id: string;
  campaign_id: string;
  /** `msg:<id>`, `order:<id>` or `push:<id>:<member>`. */
  source: string;
  openid: string;
  coupon_id: string | null;
  outcome: GrantOutcome;
  created_at: number;
}

/** A campaign issued to a CRM segment's members, frozen as a snapshot and worked through in pages. */
export interface CouponPushesTable {
  id: string;
  merchant_id: string;
  campaign_id: string;
  segment_id: string;
  snapshot_id: string;
  /** Prefer the member's openid on this account (else their first). */
  account_id: string | null;
  members: number;
  issued: number;
  skipped: number;
  /** The last member id done. */
  cursor: string | null;
  status: 'running' | 'done';
  created_by: string;
  created_at: number;
  finished_at: number | null;
}

export interface MarketingCursorsTable {
  name: string;
  position: string;
  updated_at: number;
}

export interface MarketingTables {
  coupon_campaigns: CouponCampaignsTable;
  coupons: CouponsTable;
  vouchers: VouchersTable;
  voucher_events: VoucherEventsTable;
  clerk_stores: ClerkStoresTable;
  deal_policies: DealPoliciesTable;
  flash_sales: FlashSalesTable;
  flash_reservations: FlashReservationsTable;
  flash_passes: FlashPassesTable;
  coupon_triggers: CouponTriggersTable;
  coupon_grants: CouponGrantsTable;
  coupon_pushes: CouponPushesTable;
  marketing_cursors: MarketingCursorsTable;
}
