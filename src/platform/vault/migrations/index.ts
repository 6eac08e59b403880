import type { ModuleMigrations } from '../../db/migrate.ts';
import { up as vault } from './0006_vault.ts';

export const vaultMigrations: ModuleMigrations = { '0006_vault': vault };
