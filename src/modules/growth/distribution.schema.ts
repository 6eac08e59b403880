/** Distribution (分销): distributors, buyer bindings, commission rules, commissions, ledger, withdrawals. */

export type JoinMode = 'open' | 'apply' | 'package';
export type DistributorStatus = 'pending' | 'active' | 'rejected' | 'suspended';
export type CommissionKind = 'percent' | 'fixed';
export type CommissionStatus = 'pending' | 'settled' | 'reversed';
export type WithdrawalStatus = 'requested' | 'paying' | 'paid' | 'rejected' | 'failed';
export type LedgerKind = 'commission' | 'withdrawal' | 'withdrawal_return';

/** One merchant's distribution settings; a missing row means the defaults (switched off). */
export interface DistSettingsTable {
  merchant_id: string;
  enabled: number;
  join_mode: JoinMode;
  /** For `package`: buying this product makes the buyer a distributor. */
  package_product_id: string | null;
  /** 1 or 2; WeChat's rules forbid more than two levels. */
  levels: number;
  /** How long a buyer stays bound to a referrer; 0 = for good. */
  binding_days: number;
  /** After a binding lapses, may the next referral bind the buyer again (1) or not (0)? */
  rebind_after_expiry: number;
  /** Commissions stay pending this long after payment (refunds are possible meanwhile). */
  refund_window_days: number;
  /** The rule when no product or category rule applies. */
  default_kind: CommissionKind;
  /** Percent in basis points (1000 = 10 %) or fen per unit for `fixed`. */
  default_level1: number;
  default_level2: number;
  min_withdrawal: number;
  /** Flag a referrer who binds `burst_buyers` or more buyers within `burst_minutes`. */
  burst_buyers: number;
  burst_minutes: number;
  updated_at: number;
}

export interface DistributorsTable {
  id: string;
  merchant_id: string;
  account_id: string;
  openid: string;
  /** The public part of the personal link: random, never guessable from another's. */
  code: string;
  status: DistributorStatus;
  via: JoinMode | 'admin';
  /** The distributor who referred this one (level 2 of their sales); fixed when they join. */
  parent_id: string | null;
  /** Settled money not yet withdrawn: always the sum of this distributor's ledger. */
  balance: number;
  qrcode_id: string | null;
  scene: string | null;
  qr_url: string | null;
  note: string;
  flagged: number;
  flag_reason: string | null;
  created_at: number;
  approved_at: number | null;
  updated_at: number;
}

/** The referrer a buyer is bound to: one row per buyer, whatever the number of referrals. */
export interface DistBindingsTable {
  id: string;
  merchant_id: string;
  account_id: string;
  openid: string;
  distributor_id: string;
  source: 'link' | 'qr' | 'admin';
  bound_at: number;
  /** Null = for good. */
  expires_at: number | null;
  created_at: number;
}

export interface DistRulesTable {
  id: string;
  merchant_id: string;
  scope: 'product' | 'category';
  /** A product id or a category name. */
  ref: string;
  kind: CommissionKind;
  level1: number;
  level2: number;
  created_at: number;
}

export interface DistCommissionsTable {
  id: string;
  merchant_id: string;
  order_id: string;
  distributor_id: string;
  level: number;
  account_id: string;
  buyer_openid: string;
  /** Fen the buyer paid for the lines the commission is on (after discounts, before shipping). */
  base: number;
  amount: number;
  status: CommissionStatus;
  settle_after: number;
  created_at: number;
  settled_at: number | null;
  reversed_at: number | null;
}

export interface DistLedgerTable {
  id: string;
  merchant_id: string;
  distributor_id: string;
  kind: LedgerKind;
  /** Signed fen. */
  amount: number;
  /** The commission or withdrawal id; (kind, ref) is unique, so a retry writes nothing. */
  ref: string;
  created_at: number;
}

export interface DistWithdrawalsTable {
  id: string;
  merchant_id: string;
  distributor_id: string;
  amount: number;
  status: WithdrawalStatus;
  reviewed_by: string | null;
  reject_reason: string | null;
  batch_id: string | null;
  error: string | null;
  created_at: number;
  reviewed_at: number | null;
  paid_at: number | null;
}

/** What looked wrong and when (a burst of buyers, a refused cycle): the console's review list. */
export interface DistFlagsTable {
  id: string;
  merchant_id: string;
  distributor_id: string;
  kind: 'burst' | 'cycle' | 'self_purchase';
  detail: string;
  created_at: number;
}

export interface DistributionTables {
  growth_dist_settings: DistSettingsTable;
  growth_distributors: DistributorsTable;
  growth_dist_bindings: DistBindingsTable;
  growth_dist_rules: DistRulesTable;
  growth_dist_commissions: DistCommissionsTable;
  growth_dist_ledger: DistLedgerTable;
  growth_dist_withdrawals: DistWithdrawalsTable;
  growth_dist_flags: DistFlagsTable;
}
