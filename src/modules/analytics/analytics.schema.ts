/**
 * Analytics' own tables: daily rollups kept by jobs from channel's message log (so the dashboard
 * never scans the log), and WeChat's own follower figures pulled from its datacube beside them.
 * `day` is the local day number in the merchant's zone (days since 1970-01-01 there).
 */

/** Follows and unfollows per account, local day and channel QR code ('' = no QR code). */
export interface AnalyticsFollowerDaysTable {
  merchant_id: string;
  account_id: string;
  day: number;
  qrcode_id: string;
  new_count: number;
  lost_count: number;
}

/** Messages per account and local day: what fans sent and what the account answered. */
export interface AnalyticsMessageDaysTable {
  merchant_id: string;
  account_id: string;
  day: number;
  fan_messages: number;
  replies: number;
}

/** Log rows the tail has counted lately: a re-read (restart, second process) never counts twice. */
export interface AnalyticsLogSeenTable {
  id: string;
  created_at: number;
}

export interface AnalyticsCursorsTable {
  name: string;
  position: string;
  updated_at: number;
}

/**
 * Followers the log does not explain (there before the log began, or older than its retention):
 * subscribed now minus the net of every rolled-up day, set by the daily job and after a rebuild.
 */
export interface AnalyticsFollowerBaselinesTable {
  account_id: string;
  merchant_id: string;
  followers: number;
  computed_at: number;
}

/** WeChat's getusersummary: new and cancelled followers per China day and WeChat user_source. */
export interface AnalyticsWechatUserDaysTable {
  merchant_id: string;
  account_id: string;
  ref_date: string;
  user_source: number;
  new_user: number;
  cancel_user: number;
  pulled_at: number;
}

/** WeChat's getusercumulate: followers at the end of each China day. */
export interface AnalyticsWechatCumulateTable {
  merchant_id: string;
  account_id: string;
  ref_date: string;
  cumulate_user: number;
  pulled_at: number;
}

export interface AnalyticsTables {
  analytics_follower_days: AnalyticsFollowerDaysTable;
  analytics_message_days: AnalyticsMessageDaysTable;
  analytics_log_seen: AnalyticsLogSeenTable;
  analytics_cursors: AnalyticsCursorsTable;
  analytics_follower_baselines: AnalyticsFollowerBaselinesTable;
  analytics_wechat_user_days: AnalyticsWechatUserDaysTable;
  analytics_wechat_cumulate: AnalyticsWechatCumulateTable;
}
