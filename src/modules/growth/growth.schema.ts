/** Growth campaigns: trials (试用) and red packets; share campaigns and lucky draws in share-draws.schema.ts. */
import type { GrowthShareDrawTables } from './share-draws.schema.ts';

export type TrialStatus = 'open' | 'closed' | 'drawn';
export type EntryStatus = 'entered' | 'won' | 'lost';
/** What became of a winner's prize: waiting for an address, or the ¥0 order placed. */
export type PrizeStatus = 'none' | 'awaiting_address' | 'ordered';

/** A trial campaign: N units of one SKU, entered by replying `keyword` + a reason in chat. */
export interface GrowthTrialsTable {
  id: string;
  merchant_id: string;
  account_id: string;
  title: string;
  product_id: string;
  sku_id: string;
  units: number;
  /** Normalised (trimmed, lower-case) keyword a reply must start with. */
  keyword: string;
  status: TrialStatus;
  /** sha256 hex of the draw seed, published when the trial opens (commit). */
  seed_hash: string;
  /** The seed itself, sealed in the vault until the draw reveals it. */
  seed_sealed: string;
  /** The revealed seed, null before the draw. */
  seed: string | null;
  draw_mode: 'random' | 'manual' | null;
  /** Coupon campaign whose coupon each loser gets, or null for none. */
  consolation_campaign_id: string | null;
  /** Entries made after this instant are not counted. */
  closes_at: number;
  entry_count: number;
  reply_rule_id: string | null;
  drawn_at: number | null;
  created_at: number;
  updated_at: number;
}

/** One fan's entry in one trial: the first reply counts, later ones are ignored. */
export interface GrowthTrialEntriesTable {
  id: string;
  merchant_id: string;
  trial_id: string;
  account_id: string;
  openid: string;
  reason: string;
  /** The message log row it came from (the entry's place in the log). */
  message_id: string;
  status: EntryStatus;
  prize: PrizeStatus;
  order_id: string | null;
  coupon_id: string | null;
  created_at: number;
}

/** Where a reader of another module's log got to. */
export interface GrowthCursorsTable {
  name: string;
  position: string;
  updated_at: number;
}

export type RedPacketTrigger = 'keyword' | 'paid' | 'link' | 'follow';

/** A red-packet campaign: a budget (fen) never exceeded, one packet per fan, fixed or random amounts. */
export interface GrowthRedpacketCampaignsTable {
  id: string;
  merchant_id: string;
  account_id: string;
  name: string;
  budget: number;
  /** Fen promised so far (claimed packets, paid or being paid); the guard is `spent + amount <= budget`. */
  spent: number;
  claims: number;
  /** Each packet's amount in fen: fixed when min = max, else uniform in [min, max]. */
  amount_min: number;
  amount_max: number;
  trigger: RedPacketTrigger;
  /** For `keyword`: the (normalised) text a reply must start with. */
  keyword: string | null;
  /** For `paid`: orders of at least this many fen. */
  min_order_total: number;
  /** For `follow`: the channel QR scene a follow or scan must come through (null: any new follow). */
  scene: string | null;
  status: 'active' | 'paused' | 'exhausted';
  created_at: number;
  updated_at: number;
}

export interface GrowthRedpacketsTable {
  id: string;
  merchant_id: string;
  campaign_id: string;
  account_id: string;
  openid: string;
  amount: number;
  status: 'paying' | 'paid' | 'failed';
  /** What earned it: the log message or the order id. */
  source_ref: string;
  batch_id: string | null;
  error: string | null;
  created_at: number;
  paid_at: number | null;
}

export interface GrowthTables extends GrowthShareDrawTables {
  growth_redpacket_campaigns: GrowthRedpacketCampaignsTable;
  growth_redpackets: GrowthRedpacketsTable;
  growth_trials: GrowthTrialsTable;
  growth_trial_entries: GrowthTrialEntriesTable;
  growth_cursors: GrowthCursorsTable;
}
