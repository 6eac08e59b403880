import type { ModuleMigrations } from '../../db/migrate.ts';
import { up as foundation } from './0001_foundation.ts';

export const jobsMigrations: ModuleMigrations = { '0001_foundation': foundation };
