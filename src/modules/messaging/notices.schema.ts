/** The template-notice kinds a merchant maps to its own WeChat templates. */
export const NOTICE_KINDS = [
  'order_paid',
  'order_shipped',
  'order_refunded',
  'voucher_issued',
  'unpaid_reminder',
  'birthday',
] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

/** 'sending': a call is (or was, if its worker died) in flight; sent_at is when it began. */
export type NoticeStatus = 'pending' | 'sending' | 'sent' | 'skipped' | 'failed';

/** A merchant's template for one kind: its WeChat template id and how each field is filled. */
export interface NoticeTemplatesTable {
  merchant_id: string;
  kind: NoticeKind;
  template_id: string;
  /** JSON: { field: "text with {variables}" }, e.g. { "keyword1": "{order_id}" }. */
  fields: string;
  enabled: number;
  updated_at: number;
}

/**
 * One notice to one fan. The unique (merchant, kind, event_key, openid) is the idempotency key:
 * an event heard twice makes one row, and a row is sent until it is 'sent', 'skipped' or 'failed'.
 */
export interface NoticesTable {
  id: string;
  merchant_id: string;
  account_id: string;
  kind: NoticeKind;
  event_key: string;
  openid: string;
  /** Sending unit: one job sends every pending notice of its batch. */
  batch_id: string;
  via: 'template' | 'chat';
  template_id: string | null;
  /** JSON: the template's data, or { content } for chat. */
  data: string;
  url: string | null;
  status: NoticeStatus;
  attempts: number;
  msg_id: string | null;
  /** TEMPLATESENDJOBFINISH's Status ("success", "failed:user block" …), when WeChat reported it. */
  finish_status: string | null;
  error: string | null;
  created_at: number;
  sent_at: number | null;
}

/** Template notices sent per account and China calendar day (WeChat's daily allowance). */
export interface NoticeDailyTable {
  account_id: string;
  day: string;
  merchant_id: string;
  used: number;
}

/** A merchant's throttles; defaults until an owner saves them. */
export interface NoticeSettingsTable {
  merchant_id: string;
  daily_limit: number;
  per_second: number;
  updated_at: number;
}

export interface NoticeTables {
  notice_templates: NoticeTemplatesTable;
  notices: NoticesTable;
  notice_daily: NoticeDailyTable;
  notice_settings: NoticeSettingsTable;
}
