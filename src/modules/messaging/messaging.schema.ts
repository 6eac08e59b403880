import type { NoticeTables } from './notices.schema.ts';
import type { ResultTables } from './results.schema.ts';

export type BroadcastKind = 'news' | 'text' | 'image';
export type BroadcastStatus = 'draft' | 'scheduled' | 'sending' | 'sent' | 'cancelled' | 'failed';
export type AudienceKind = 'tag' | 'segment' | 'all';

/** One mass send: what, to whom (frozen at send time), when, and how far it got. */
export interface BroadcastsTable {
  id: string;
  merchant_id: string;
  account_id: string;
  title: string;
  kind: BroadcastKind;
  /** JSON: news → { articles: […] }, text → { content }, image → { media_id }. */
  content: string;
  audience_kind: AudienceKind;
  /** The tag or segment id; null for 'all'. */
  audience_ref: string | null;
  /** The CRM snapshot taken when sending started. */
  snapshot_id: string | null;
  status: BroadcastStatus;
  scheduled_at: number | null;
  started_at: number | null;
  finished_at: number | null;
  /** mpnews media_id, uploaded once per send so every batch carries the same message. */
  media_id: string | null;
  recipients: number;
  batches: number;
  batches_done: number;
  sent: number;
  /** "Read more" taps through the tracked link (a cached counter; the shop sees `wl_bc`). */
  clicks: number;
  error: string | null;
  created_at: number;
  updated_at: number;
}

/** The frozen recipient list, numbered so a batch is a fixed range however often it is retried. */
export interface BroadcastRecipientsTable {
  broadcast_id: string;
  seq: number;
  openid: string;
}

/** One mass-send call; `status` moves to 'sent' after WeChat accepted it (or said it had). */
export interface BroadcastBatchesTable {
  broadcast_id: string;
  batch_no: number;
  size: number;
  status: 'pending' | 'sent';
  msg_id: string | null;
  sent_at: number | null;
}

export interface MessagingTables extends NoticeTables, ResultTables {
  broadcasts: BroadcastsTable;
  broadcast_recipients: BroadcastRecipientsTable;
  broadcast_batches: BroadcastBatchesTable;
}
