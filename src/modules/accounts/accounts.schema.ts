import type { MessageMode } from '../../wechat/envelope.ts';

export type AccountType = 'subscription' | 'service';

export interface OfficialAccountsTable {
  id: string;
  merchant_id: string;
  name: string;
  appid: string;
  original_id: string | null;
  type: AccountType;
  verified: number;
  app_secret: string;
  token: string;
  aes_key: string | null;
  mode: MessageMode;
  created_at: number;
  updated_at: number;
}

export interface AccountsTables {
  official_accounts: OfficialAccountsTable;
}
