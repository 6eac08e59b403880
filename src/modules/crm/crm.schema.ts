/** One person per merchant, across its official accounts. */
export interface CrmMembersTable {
  id: string;
  merchant_id: string;
  name: string | null;
  phone: string | null;
  region: string | null;
  gender: 'male' | 'female' | null;
  /** YYYY-MM-DD. */
  birthday: string | null;
  unionid: string | null;
  /** JSON object of the merchant-defined attributes, validated against crm_attribute_defs. */
  attrs: string;
  source_account_id: string | null;
  /** The channel QR code that first brought this person (from channel's follower record). */
  source_qrcode_id: string | null;
  first_contact_at: number | null;
  last_contact_at: number | null;
  /** Derived from order events: paid orders, net spend (fen), last payment. */
  order_count: number;
  spend: number;
  last_order_at: number | null;
  /** Set when this record was merged into another; such rows are hidden everywhere. */
  merged_into: string | null;
  created_at: number;
  updated_at: number;
}

/**
 * Every key that names a person: `openid` (value "account:openid"), `unionid`, `phone`, or an
 * external id `ext:<system>`. The primary key makes two writers racing to create or merge the
 * same person collide instead of making two members.
 */
export interface CrmIdentitiesTable {
  merchant_id: string;
  kind: string;
  value: string;
  member_id: string;
  created_at: number;
}

export interface CrmAttributeDefsTable {
  id: string;
  merchant_id: string;
  key: string;
  label: string;
  type: 'text' | 'number' | 'date' | 'choice' | 'boolean';
  /** JSON array of allowed values for `choice`. */
  options: string | null;
  created_at: number;
}

export interface CrmTagsTable {
  id: string;
  merchant_id: string;
  name: string;
  /** 1 when the tag is mirrored to WeChat user tags on every account. */
  sync: number;
  created_at: number;
}

export interface CrmMemberTagsTable {
  merchant_id: string;
  member_id: string;
  tag_id: string;
  /** 1 once every openid of the member carries the tag in WeChat. */
  synced: number;
  created_at: number;
}

/** A tag's WeChat twin on one account, and the state of the mirror. */
export interface CrmTagSyncTable {
  merchant_id: string;
  tag_id: string;
  account_id: string;
  wechat_tag_id: number | null;
  state: 'pending' | 'synced' | 'failed';
  error: string | null;
  updated_at: number;
}

/** The member's orders as CRM keeps them for derived figures and behaviour segments. */
export interface CrmMemberOrdersTable {
  order_id: string;
  merchant_id: string;
  member_id: string;
  total: number;
  refunded: number;
  paid_at: number;
  /** Product categories of the order, "|"-joined with a leading and trailing "|". */
  categories: string;
}

/** Notes, tag changes, orders, merges: the member's own timeline events (messages come from channel). */
export interface CrmEventsTable {
  id: string;
  merchant_id: string;
  member_id: string;
  kind: string;
  /** JSON. */
  body: string;
  actor: string;
  created_at: number;
}

/** An explicit or automatic merge, with what moved, so it can be undone. */
export interface CrmMergesTable {
  id: string;
  merchant_id: string;
  from_member_id: string;
  into_member_id: string;
  reason: string;
  /** JSON: identities, tags and orders moved, and the survivor's fields before. */
  moved: string;
  actor: string;
  created_at: number;
  undone_at: number | null;
}

export interface CrmSegmentsTable {
  id: string;
  merchant_id: string;
  name: string;
  /** JSON of a SegmentRule group. */
  rules: string;
  /** A tag this segment keeps on exactly its members (re-checked by jobs when members change). */
  auto_tag_id: string | null;
  created_at: number;
  updated_at: number;
}

/** RFM band edges per merchant (JSON of RfmBands). */
export interface CrmRfmTable {
  merchant_id: string;
  bands: string;
  updated_at: number;
}

/** A member on one operator's care list for a (merchant-local) day. */
export interface CrmCareItemsTable {
  merchant_id: string;
  day: string;
  member_id: string;
  /** The operator (user or token id) who owns this greeting. */
  owner: string;
  reason: string;
  done_at: number | null;
  created_at: number;
}

/** A segment's member list frozen at a moment (a broadcast's audience "as of send time"). */
export interface CrmSnapshotsTable {
  id: string;
  merchant_id: string;
  segment_id: string;
  members: number;
  created_at: number;
}

export interface CrmSnapshotMembersTable {
  snapshot_id: string;
  member_id: string;
}

/** Where a tailing reader of channel's message log has got to. */
export interface CrmCursorsTable {
  name: string;
  position: string;
  updated_at: number;
}

/**
 * A CSV import: the file is stored as line-aligned chunks (so any process can resume it) and
 * applied one chunk per transaction; `next_chunk` is the resumable cursor.
 */
export interface CrmImportsTable {
  id: string;
  merchant_id: string;
  status: 'uploading' | 'queued' | 'running' | 'done' | 'failed';
  /** JSON array of the CSV's column names. */
  header: string;
  chunks: number;
  next_chunk: number;
  total_bytes: number;
  done_bytes: number;
  rows_ok: number;
  rows_failed: number;
  actor: string;
  created_at: number;
  finished_at: number | null;
}

export interface CrmImportChunksTable {
  import_id: string;
  seq: number;
  /** The file line number of the chunk's first row, for per-line errors. */
  first_line: number;
  data: string;
}

export interface CrmImportErrorsTable {
  import_id: string;
  line: number;
  message: string;
}

/** A member greeted on a (merchant-local) day: off that day's care list. */
export interface CrmCareDoneTable {
  merchant_id: string;
  member_id: string;
  /** YYYY-MM-DD in the merchant's zone. */
  day: string;
  reason: string;
  done_by: string;
  done_at: number;
}

export interface CrmTables {
  crm_members: CrmMembersTable;
  crm_identities: CrmIdentitiesTable;
  crm_attribute_defs: CrmAttributeDefsTable;
  crm_tags: CrmTagsTable;
  crm_member_tags: CrmMemberTagsTable;
  crm_tag_sync: CrmTagSyncTable;
  crm_member_orders: CrmMemberOrdersTable;
  crm_events: CrmEventsTable;
  crm_merges: CrmMergesTable;
  crm_segments: CrmSegmentsTable;
  crm_snapshots: CrmSnapshotsTable;
  crm_snapshot_members: CrmSnapshotMembersTable;
  crm_cursors: CrmCursorsTable;
  crm_imports: CrmImportsTable;
  crm_import_chunks: CrmImportChunksTable;
  crm_import_errors: CrmImportErrorsTable;
  crm_care_done: CrmCareDoneTable;
  crm_rfm: CrmRfmTable;
  crm_care_items: CrmCareItemsTable;
}
