/** Accounts: the merchant's WeChat official accounts, their secrets, callbacks and API clients. */
import type { ModuleMigrations } from '../../platform/db/migrate.ts';
import { up as channel } from './migrations/0002_channel.ts';

export const accountsMigrations: ModuleMigrations = { '0002_channel': channel };

export { accountsRoutes } from './accounts.routes.ts';
export type { AccountsTables, AccountType, OfficialAccountsTable } from './accounts.schema.ts';
export {
  type Account,
  accountForCallback,
  accountView,
  apiClientFor,
  callbackUrl,
  createAccount,
  getAccount,
  listAccounts,
  listAllAccountIds,
  sealStoredAccountSecrets,
  viaWeChat,
} from './accounts.service.ts';
