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
}

export interface TenantsTables {
  merchants: MerchantsTable;
  users: UsersTable;
  memberships: MembershipsTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
}
