/** Tenants: merchants, users and their roles, console sessions, API tokens. */
import type { ModuleMigrations } from '../../platform/db/migrate.ts';
import { up as foundation } from './migrations/0001_foundation.ts';
import { up as hardening } from './migrations/0006_hardening.ts';
import { up as tokenCreator } from './migrations/0007_token_creator.ts';

export const tenantsMigrations: ModuleMigrations = {
  '0001_foundation': foundation,
  '0006_hardening': hardening,
  '0007_token_creator': tokenCreator,
};

export { adminAuthHook, principalOf, SESSION_COOKIE } from './admin-auth.ts';
export { authFailureRoutes } from './auth-failures.ts';
export { sessionRoutes, tenantsRoutes } from './tenants.routes.ts';
export type { TenantsTables } from './tenants.schema.ts';
export {
  addMember,
  createApiToken,
  createMerchant,
  findMerchantBySlug,
  getMerchant,
  hasMerchants,
  revokeApiToken,
} from './tenants.service.ts';
