/** A fan who arrived at the shop through a send's tracked link (`wl_bc`), signed in. */
export interface BroadcastVisitsTable {
  broadcast_id: string;
  openid: string;
  merchant_id: string;
  account_id: string;
  first_at: number;
  last_at: number;
  visits: number;
}

/** The send each fan clicked last: orders within 7 days are credited to it. */
export interface FanLastClicksTable {
  merchant_id: string;
  account_id: string;
  openid: string;
  broadcast_id: string;
  clicked_at: number;
}

/** An order credited to a send (heard from order.placed / order.paid / order.refunded). */
export interface BroadcastOrdersTable {
  order_id: string;
  merchant_id: string;
  broadcast_id: string;
  account_id: string;
  openid: string;
  placed_at: number;
  paid_at: number | null;
  amount: number;
  refunded_at: number | null;
}

/** MASSSENDJOBFINISH as WeChat reported it, per mass-send call. */
export interface BroadcastFinishesTable {
  account_id: string;
  msg_id: string;
  merchant_id: string;
  broadcast_id: string | null;
  status: string;
  total: number;
  filtered: number;
  sent: number;
  errors: number;
  at: number;
}

/** Reads per send and China day, pulled from WeChat's datacube (getarticlesummary). */
export interface BroadcastReadsTable {
  broadcast_id: string;
  day: string;
  merchant_id: string;
  read_users: number;
  read_count: number;
  pulled_at: number;
}

export interface ResultTables {
  broadcast_visits: BroadcastVisitsTable;
  fan_last_clicks: FanLastClicksTable;
  broadcast_orders: BroadcastOrdersTable;
  broadcast_finishes: BroadcastFinishesTable;
  broadcast_reads: BroadcastReadsTable;
}
