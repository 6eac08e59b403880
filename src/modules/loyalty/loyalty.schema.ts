/** One level of a merchant's card program, stored as JSON in the program row. */
export interface LevelRule {
  key: string;
  name: string;
  /** Reached when the card's lifetime paid spend (fen) or lifetime earned points reach these. */
  min_spend: number;
  min_points: number;
  /** Points earned per yuan paid at this level (1 = 1 point per ¥1). */
  earn_rate: number;
  /** Percent off at checkout for this level (5 = 5% off); 0 = none. */
  discount_pct: number;
  free_shipping: boolean;
  birthday_gift: string;
  /** Per-store perks: store id → text. */
  store_perks: Record<string, string>;
  /** Points given on the birthday with the gift (0 = none; absent in programs saved before). */
  birthday_points?: number;
}

/** A merchant's card program: one per merchant. */
export interface LoyaltyProgramsTable {
  merchant_id: string;
  name: string;
  cover_url: string;
  color: string;
  terms: string;
  /** JSON LevelRule[], lowest first. */
  levels: string;
  /** How many points make ¥1 at checkout (100 by default). */
  points_per_yuan: number;
  /** JSON array of category prefixes that earn no points. */
  excluded_categories: string;
  checkin_points: number;
  review_points: number;
  /** Points expire this many days after they were earned (0 = never). */
  expiry_days: number;
  /** The card is issued after a first paid order. */
  issue_on_first_order: number;
  /** JSON TopUpRule[]: "充 500 送 50" is { amount: 50000, bonus: 5000 }. */
  topup_rules: string;
  status: 'active' | 'paused';
  updated_at: number;
  /** The WeChat template for level and birthday notices ('' = a chat message instead). */
  notice_template_id: string;
}

export type CardSource = 'store_qr' | 'menu' | 'first_order' | 'shop' | 'console' | 'lucky_draw';

/** One card per CRM member. Balances are kept in step with their ledgers in one transaction. */
export interface LoyaltyCardsTable {
  id: string;
  merchant_id: string;
  member_id: string;
  /** The account and fan that received the card (where notices go). */
  account_id: string;
  openid: string;
  number: string;
  home_store_id: string | null;
  source: CardSource;
  level: string;
  points: number;
  /** Stored value (储值), fen. */
  balance: number;
  /** Lifetime paid spend (fen) net of refunds, and lifetime earned points: what levels read. */
  total_spend: number;
  lifetime_points: number;
  /** MM-DD, for the birthday gift; set once. */
  birthday: string | null;
  created_at: number;
  updated_at: number;
}

/** Why points moved; `ref` names the order, check-in day, review or adjustment. */
export type PointsReason =
  | 'order_earn'
  | 'order_reverse'
  | 'checkout_spend'
  | 'checkout_return'
  | 'checkin'
  | 'review'
  | 'expiry'
  | 'store_redeem'
  | 'reward'
  | 'reward_return'
  | 'birthday'
  | 'adjustment'
  /** Spent on a lucky draw's play, and won in one (growth; ref = the draw result). */
  | 'draw_entry'
  | 'draw_prize';

export interface LoyaltyPointsLedgerTable {
  id: string;
  merchant_id: string;
  card_id: string;
  delta: number;
  reason: PointsReason;
  ref: string;
  actor: string;
  note: string;
  /** For earned points: when what is left of them expires (null = never). */
  expires_at: number | null;
  created_at: number;
}

export type ValueReason =
  | 'topup'
  | 'topup_bonus'
  | 'checkout_pay'
  | 'checkout_return'
  | 'store_charge'
  | 'topup_refund'
  | 'adjustment';

export interface LoyaltyValueLedgerTable {
  id: string;
  merchant_id: string;
  card_id: string;
  delta: number;
  reason: ValueReason;
  ref: string;
  actor: string;
  note: string;
  created_at: number;
}

/** Level changes, for the card's history and the level notice job (which reads the row by id). */
export interface LoyaltyLevelChangesTable {
  id: string;
  merchant_id: string;
  card_id: string;
  from_level: string;
  to_level: string;
  cause: string;
  notified_at: number | null;
  created_at: number;
}

/** A channel QR code that issues cards with a home store. */
export interface LoyaltyStoreCodesTable {
  merchant_id: string;
  account_id: string;
  scene: string;
  store_id: string;
  qrcode_id: string;
  created_at: number;
}

export interface LoyaltyCursorsTable {
  name: string;
  position: string;
  updated_at: number;
}

export interface LoyaltyCardCodesTable {
  code: string;
  merchant_id: string;
  card_id: string;
  expires_at: number;
  used_at: number | null;
}

export interface TopUpRule {
  amount: number;
  bonus: number;
}

export interface LoyaltyTopupsTable {
  id: string;
  merchant_id: string;
  card_id: string;
  amount: number;
  bonus: number;
  charge_id: string | null;
  status: 'pending' | 'credited' | 'refunding' | 'refunded';
  created_at: number;
  credited_at: number | null;
  refund_amount: number | null;
  bonus_back: number | null;
  refunded_at: number | null;
}

export interface LoyaltyRewardsTable {
  id: string;
  merchant_id: string;
  name: string;
  description: string;
  image_url: string;
  points: number;
  stock: number | null;
  per_card_limit: number;
  /** The lowest level that may redeem it (a level key; '' = any). */
  min_level: string;
  status: 'active' | 'archived';
  redeemed: number;
  created_at: number;
  updated_at: number;
}

export interface LoyaltyRedemptionsTable {
  id: string;
  merchant_id: string;
  reward_id: string;
  card_id: string;
  points: number;
  code: string;
  status: 'issued' | 'fulfilled' | 'cancelled';
  created_at: number;
  fulfilled_at: number | null;
}

export interface LoyaltyBirthdayGiftsTable {
  id: string;
  merchant_id: string;
  card_id: string;
  year: number;
  level: string;
  gift: string;
  points: number;
  notified_at: number | null;
  created_at: number;
}

export interface LoyaltyTables {
  loyalty_rewards: LoyaltyRewardsTable;
  loyalty_redemptions: LoyaltyRedemptionsTable;
  loyalty_birthday_gifts: LoyaltyBirthdayGiftsTable;
  loyalty_topups: LoyaltyTopupsTable;
  loyalty_card_codes: LoyaltyCardCodesTable;
  loyalty_store_codes: LoyaltyStoreCodesTable;
  loyalty_cursors: LoyaltyCursorsTable;
  loyalty_programs: LoyaltyProgramsTable;
  loyalty_cards: LoyaltyCardsTable;
  loyalty_points_ledger: LoyaltyPointsLedgerTable;
  loyalty_value_ledger: LoyaltyValueLedgerTable;
  loyalty_level_changes: LoyaltyLevelChangesTable;
}
