export type ArticleAccess = 'free' | 'members';
export type ArticleStatus = 'draft' | 'published';

export interface CommunityArticlesTable {
  id: string;
  merchant_id: string;
  title: string;
  summary: string;
  cover_url: string;
  /** Sanitised on write (allow-listed tags and attributes); product cards as <product-card>. */
  body: string;
  access: ArticleAccess;
  status: ArticleStatus;
  /** The list it shows in ("本周新品"); '' for none. */
  column_name: string;
  /** A fan who sends this word gets the article's card in chat (a channel reply rule). */
  keyword: string | null;
  account_id: string | null;
  /** The channel reply rule that answers the keyword. */
  rule_id: string | null;
  published_at: number | null;
  created_at: number;
  updated_at: number;
}

/** A menu click that answers with an article list (a channel click rule). */
export interface CommunityListRepliesTable {
  id: string;
  merchant_id: string;
  account_id: string;
  menu_key: string;
  column_name: string;
  title: string;
  rule_id: string;
  created_at: number;
}

export type PlanRepeat = 'yearly' | 'none';

export interface CommunityPlansTable {
  id: string;
  merchant_id: string;
  name: string;
  description: string;
  period_days: number;
  /** Fen; kept in step with the catalog SKU the checkout sells. */
  price: number;
  product_id: string;
  sku_id: string;
  /** Seats a recruiting round sells at most. */
  seat_cap: number;
  /** The first round opens here; with `yearly` it opens again on the same day every year. */
  window_start: number;
  window_days: number;
  repeat: PlanRepeat;
  /** Members' price: this percent off goods and deals while the membership is active (0: none). */
  member_discount_pct: number;
  status: 'active' | 'paused';
  created_at: number;
  updated_at: number;
}

/** Seats taken in one recruiting round: the guarded counter that keeps the cap under concurrency. */
export interface CommunityPlanRoundsTable {
  plan_id: string;
  round_start: number;
  merchant_id: string;
  seats_taken: number;
}

export type SeatStatus = 'held' | 'paid' | 'released';

/** One order's seat: held at checkout, paid with the order, released by a cancel or a refund. */
export interface CommunitySeatsTable {
  order_id: string;
  merchant_id: string;
  plan_id: string;
  round_start: number;
  account_id: string;
  openid: string;
  status: SeatStatus;
  /** 1 when the seat counts against the round's cap (a new member); a renewal is not capped. */
  counted: number;
  /** What the order charged for it, in fen (the sales report sums paid seats). */
  amount: number;
  created_at: number;
  updated_at: number;
}

export interface CommunityMembershipsTable {
  id: string;
  merchant_id: string;
  account_id: string;
  openid: string;
  plan_id: string;
  status: 'active' | 'ended';
  started_at: number;
  expires_at: number;
  ended_at: number | null;
  /** The order whose payment last extended it (a refund of that order ends it). */
  last_order_id: string;
  created_at: number;
  updated_at: number;
}

export interface CommunityPostsTable {
  id: string;
  merchant_id: string;
  account_id: string;
  openid: string;
  /** A reply names the post it answers; replies are one level deep. */
  parent_id: string | null;
  text: string;
  /** JSON array of image URLs. */
  images: string;
  status: 'visible' | 'hidden';
  pinned: number;
  reply_count: number;
  report_count: number;
  created_at: number;
  updated_at: number;
}

export interface CommunityReportsTable {
  id: string;
  merchant_id: string;
  post_id: string;
  account_id: string;
  openid: string;
  reason: string;
  status: 'open' | 'resolved';
  created_at: number;
  resolved_at: number | null;
}

export interface CommunityBansTable {
  id: string;
  merchant_id: string;
  account_id: string;
  openid: string;
  reason: string;
  until: number | null;
  created_by: string;
  created_at: number;
}

export interface CommunitySettingsTable {
  merchant_id: string;
  /** JSON array of words a post may not contain. */
  sensitive_words: string;
  posts_per_hour: number;
  /** The template (a service account's 模板消息) the renewal reminder is sent with; null: chat only. */
  renewal_template: string | null;
  updated_at: number;
}

export interface CommunityTables {
  community_articles: CommunityArticlesTable;
  community_list_replies: CommunityListRepliesTable;
  community_plans: CommunityPlansTable;
  community_plan_rounds: CommunityPlanRoundsTable;
  community_seats: CommunitySeatsTable;
  community_memberships: CommunityMembershipsTable;
  community_posts: CommunityPostsTable;
  community_reports: CommunityReportsTable;
  community_bans: CommunityBansTable;
  community_settings: CommunitySettingsTable;
}
