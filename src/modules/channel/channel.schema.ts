export type RuleKind = 'keyword' | 'default' | 'welcome' | 'click';
export type MatchType = 'exact' | 'contains' | 'regex';

export interface ChannelQrcodesTable {
  id: string;
  merchant_id: string;
  account_id: string;
  name: string;
  scene: string;
  permanent: number;
  ticket: string;
  url: string;
  expires_at: number | null;
  created_at: number;
}

export interface FollowersTable {
  id: string;
  merchant_id: string;
  account_id: string;
  openid: string;
  unionid: string | null;
  subscribed: number;
  first_subscribed_at: number | null;
  subscribed_at: number | null;
  unsubscribed_at: number | null;
  /** The channel QR code that first brought this follower; never overwritten. */
  source_qrcode_id: string | null;
  last_interaction_at: number | null;
  created_at: number;
}

export interface FollowerTagsTable {
  follower_id: string;
  merchant_id: string;
  tag: string;
  created_at: number;
}

export interface QrcodeScansTable {
  id: string;
  merchant_id: string;
  qrcode_id: string;
  follower_id: string;
  kind: 'subscribe' | 'scan';
  created_at: number;
}

export interface ReplyRulesTable {
  id: string;
  merchant_id: string;
  account_id: string;
  kind: RuleKind;
  match_type: MatchType | null;
  keyword: string | null;
  priority: number;
  /** JSON of a PassiveReply. */
  reply: string;
  /** Tag the fan with this when the rule fires ("新客户" / "老客户" grouping). */
  tag_fan: string | null;
  enabled: number;
  starts_at: number | null;
  ends_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface MenusTable {
  account_id: string;
  merchant_id: string;
  buttons: string;
  published_at: number | null;
  updated_at: number;
}

export interface InboundMessagesTable {
  id: string;
  merchant_id: string;
  account_id: string;
  dedupe_key: string;
  openid: string;
  kind: string;
  content: string | null;
  /** JSON of the PassiveReply given, so a retried push gets the same answer. */
  reply: string | null;
  /** JSON of a second message sent through the customer-service API (e.g. the product list). */
  followup: string | null;
  created_at: number;
}

export interface ChannelTables {
  channel_qrcodes: ChannelQrcodesTable;
  followers: FollowersTable;
  follower_tags: FollowerTagsTable;
  qrcode_scans: QrcodeScansTable;
  reply_rules: ReplyRulesTable;
  menus: MenusTable;
  inbound_messages: InboundMessagesTable;
}
