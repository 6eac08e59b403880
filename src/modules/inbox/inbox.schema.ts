/** One fan's conversation with one account, kept from channel's message log. */
export interface InboxConversationsTable {
  id: string;
  merchant_id: string;
  account_id: string;
  openid: string;
  member_id: string | null;
  status: 'open' | 'closed';
  /** The user (or API token) handling it; null = unassigned. */
  assignee_id: string | null;
  /** The fan's last message or menu click: WeChat's 48-hour customer-service window starts here. */
  last_inbound_at: number | null;
  last_agent_at: number | null;
  last_message_at: number;
  preview: string | null;
  /** The fan's first message not yet answered by an agent; null when nothing waits. */
  waiting_since: number | null;
  /** The fan asked for a person (人工/客服). */
  wants_human: number;
  opened_at: number;
  first_response_at: number | null;
  closed_at: number | null;
  updated_at: number;
}

export interface InboxCannedTable {
  id: string;
  merchant_id: string;
  title: string;
  /** Text with variables: {{name}}, {{persona}}, {{agent}}. */
  body: string;
  created_at: number;
}

/** The persona agents speak as on one account (the seeds' "小美"). */
export interface InboxPersonasTable {
  account_id: string;
  merchant_id: string;
  name: string;
  avatar_url: string | null;
  signature: string | null;
  guidelines: string | null;
  updated_at: number;
}

export interface InboxSettingsTable {
  merchant_id: string;
  sla_minutes: number;
  /** JSON of BusinessHours; null = around the clock. */
  business_hours: string | null;
  /** JSON array of words that mean "a person, please"; null = the defaults. */
  handoff_keywords: string | null;
  /** The merchant's template for reaching a fan outside the 48-hour window. */
  notice_template_id: string | null;
  updated_at: number;
}

/** The channel keyword rule that answers a fan's "人工" with transfer_customer_service, per account. */
export interface InboxHandoffRulesTable {
  account_id: string;
  merchant_id: string;
  rule_id: string;
  updated_at: number;
}

export interface InboxCursorsTable {
  name: string;
  position: string;
  updated_at: number;
}

export interface InboxTables {
  inbox_conversations: InboxConversationsTable;
  inbox_canned: InboxCannedTable;
  inbox_personas: InboxPersonasTable;
  inbox_settings: InboxSettingsTable;
  inbox_cursors: InboxCursorsTable;
  inbox_handoff_rules: InboxHandoffRulesTable;
}
