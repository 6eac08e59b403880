export interface PaymentSettingsTable {
  merchant_id: string;
  mchid: string;
  serial_no: string;
  private_key_pem: string;
  /** 32-byte key that decrypts WeChat Pay notices. */
  api_v3_key: string;
  platform_public_key_pem: string;
  platform_key_id: string;
  updated_at: number;
}

export interface PaymentsTable {
  id: string;
  merchant_id: string;
  order_id: string;
  out_trade_no: string;
  appid: string;
  prepay_id: string;
  amount: number;
  status: 'created' | 'paid' | 'closed';
  transaction_id: string | null;
  paid_at: number | null;
  created_at: number;
}

export interface RefundsTable {
  id: string;
  merchant_id: string;
  order_id: string;
  amount: number;
  reason: string;
  status: 'processing' | 'succeeded' | 'failed';
  refund_id: string | null;
  created_at: number;
  succeeded_at: number | null;
}

/** A WeChat Pay payment that is not an order; `purpose` + `ref` name what it pays for (its id is the out_trade_no). */
export interface ChargesTable {
  id: string;
  merchant_id: string;
  purpose: string;
  ref: string;
  account_id: string;
  openid: string;
  appid: string;
  prepay_id: string;
  amount: number;
  status: 'created' | 'paid';
  transaction_id: string | null;
  paid_at: number | null;
  created_at: number;
}

export interface ChargeRefundsTable {
  id: string;
  merchant_id: string;
  charge_id: string;
  ref: string;
  amount: number;
  status: 'processing' | 'succeeded';
  refund_id: string | null;
  created_at: number;
  succeeded_at: number | null;
}

export interface PaymentsTables {
  charge_refunds: ChargeRefundsTable;
  charges: ChargesTable;
  payment_settings: PaymentSettingsTable;
  payments: PaymentsTable;
  refunds: RefundsTable;
}
