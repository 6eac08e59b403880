import type { Db } from './database.ts';
import type { Actor } from './platform/auth/roles.ts';
import type { DialectName } from './platform/db/database.ts';

/**
 * What every service call receives: which database (or transaction), which merchant, who acts,
 * and when. Services never reach for globals, so tests control all four.
 */
export interface Ctx {
  db: Db;
  dialect: DialectName;
  merchantId: string;
  actor: Actor;
  now: number;
}

/** For work that is not one merchant's (sign-up, login, the CLI's set-up commands). */
export interface SystemCtx {
  db: Db;
  dialect: DialectName;
  now: number;
}
