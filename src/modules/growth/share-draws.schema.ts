/** Share-to-unlock campaigns and lucky draws (migration 0055). */

/** "Forward this and N friends open it: a coupon is yours." */
export interface GrowthShareCampaignsTable {
  id: string;
  merchant_id: string;
  account_id: string;
  name: string;
  /** What the fan's friends see in WeChat's share card. */
  share_title: string;
  share_desc: string;
  /** The product the page shows, or null for a plain campaign page. */
  product_id: string | null;
  /** Distinct friends (OAuth openids, not the sharer) who must open the link. */
  required_opens: number;
  /** Marketing's coupon campaign the sharer's coupon comes from. */
  coupon_campaign_id: string;
  status: 'active' | 'ended';
  ends_at: number;
  shares: number;
  unlocked: number;
  created_at: number;
  updated_at: number;
}

/** One fan's share link of one campaign. */
export interface GrowthSharesTable {
  id: string;
  merchant_id: string;
  campaign_id: string;
  account_id: string;
  openid: string;
  /** The unguessable part of the link friends open. */
  token: string;
  /** Distinct friends who opened it (the guarded counter; the opens table is the truth). */
  opens: number;
  unlocked_at: number | null;
  coupon_id: string | null;
  created_at: number;
}

export interface GrowthShareOpensTable {
  id: string;
  merchant_id: string;
  share_id: string;
  account_id: string;
  openid: string;
  created_at: number;
}

/**
 * How a fan earns a play: once a day (check-in), once per paid order, once in all, or as often as
 * they spend `entry_points` points from the member card.
 */
export type DrawEntryRule = 'daily' | 'order' | 'once' | 'points';
export type DrawPrizeKind = 'coupon' | 'goods' | 'points' | 'nothing';

/** A lucky draw (抽奖): prizes with odds and stock, a seed committed before the first play. */
export interface GrowthDrawsTable {
  id: string;
  merchant_id: string;
  account_id: string;
  name: string;
  entry_rule: DrawEntryRule;
  /** For `order`: orders of at least this many fen. */
  min_order_total: number;
  /** For `points`: what one play costs (migration 0056). */
  entry_points: number;
  status: 'active' | 'ended';
  seed_hash: string;
  seed_sealed: string;
  /** Revealed when the draw ends, so every roll can be recomputed. */
  seed: string | null;
  starts_at: number;
  ends_at: number;
  plays: number;
  created_at: number;
  updated_at: number;
}

export interface GrowthDrawPrizesTable {
  id: string;
  merchant_id: string;
  draw_id: string;
  position: number;
  name: string;
  kind: DrawPrizeKind;
  coupon_campaign_id: string | null;
  sku_id: string | null;
  /** For a `points` prize: how many points it gives. */
  points: number;
  /** Chance out of 10,000 (basis points); what the prizes leave is "nothing". */
  odds: number;
  stock: number;
  /** Units given; the guard is `won < stock` in the UPDATE. */
  won: number;
}

export type DrawOutcome = 'won' | 'nothing' | 'out_of_stock';

export interface GrowthDrawResultsTable {
  id: string;
  merchant_id: string;
  draw_id: string;
  account_id: string;
  openid: string;
  /** `day:YYYY-MM-DD`, `order:<id>`, `once` or `points:<n>` (the fan's nth bought play). */
  entry_ref: string;
  /** 0–9999 from sha256(seed:account:openid:entry_ref): recomputable once the seed is revealed. */
  roll: number;
  /** The prize the roll landed on (even when its stock was gone). */
  rolled_prize_id: string | null;
  /** The prize given. */
  prize_id: string | null;
  outcome: DrawOutcome;
  coupon_id: string | null;
  order_id: string | null;
  /** Points this play cost (loyalty ledger `draw_entry`, ref = this id). */
  points_spent: number;
  /** Points the prize put on the card (loyalty ledger `draw_prize`, ref = this id), once given. */
  points_awarded: number;
  created_at: number;
}

export interface GrowthShareDrawTables {
  growth_share_campaigns: GrowthShareCampaignsTable;
  growth_shares: GrowthSharesTable;
  growth_share_opens: GrowthShareOpensTable;
  growth_draws: GrowthDrawsTable;
  growth_draw_prizes: GrowthDrawPrizesTable;
  growth_draw_results: GrowthDrawResultsTable;
}
