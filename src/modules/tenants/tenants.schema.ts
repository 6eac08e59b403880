import type { Role } from '../../platform/auth/roles.ts';

export interface MerchantsTable {
  id: string;
  slug: string;
  name: string;
  timezone: string;
  created_at: number;
}

export interface UsersTable {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  created_at: number;
}

export interface MembershipsTable {
  merchant_id: string;
  user_id: string;
  role: Role;
  created_at: number;
}

export interface SessionsTable {
  token_hash: string;
  user_id: string;
  merchant_id: string;
  expires_at: number;
  created_at: number;
}

export interface ApiTokensTable {
  id: string;
  merchant_id: string;
  name: string;
  role: Role;
  token_hash: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  /** The member who minted it (null from the CLI or before 0007): removing them revokes it. */
  created_by: string | null;
}

export interface TenantsTables {
  merchants: MerchantsTable;
  users: UsersTable;
  memberships: MembershipsTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  auth_failures: AuthFailuresTable;
}

export interface AuthFailuresTable {
  id: string;
  /** Set when the failure names one merchant (a revoked API token of theirs). */
  merchant_id: string | null;
  /** Set when the e-mail tried belongs to a user: every merchant they belong to sees it. */
  user_id: string | null;
  kind: 'login' | 'api_token';
  reason: 'wrong_password' | 'unknown_email' | 'unknown_token' | 'revoked_token';
  email: string | null;
  ip: string;
  user_agent: string;
  created_at: number;
}
