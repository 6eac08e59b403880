import type { AppDeps } from '../../deps.ts';
import { hashToken } from '../../platform/auth/secrets.ts';

export const FAN_COOKIE = 'wl_fan';

export interface FanSession {
  merchantId: string;
  accountId: string;
  openid: string;
}

/** The fan behind a shop session cookie, if it is valid for this account's shop. */
export async function resolveFan(
  deps: Pick<AppDeps, 'db'>,
  appid: string,
  token: string | undefined,
  now: number,
): Promise<FanSession | null> {
  if (!token) return null;
  const session = await deps.db
    .selectFrom('fan_sessions')
    .innerJoin('official_accounts', 'official_accounts.id', 'fan_sessions.account_id')
    .select([
      'fan_sessions.merchant_id',
      'fan_sessions.account_id',
      'fan_sessions.openid',
      'fan_sessions.expires_at',
    ])
    .where('fan_sessions.token_hash', '=', hashToken(token))
    .where('official_accounts.appid', '=', appid)
    .executeTakeFirst();
  if (!session || session.expires_at < now) return null;
  return { merchantId: session.merchant_id, accountId: session.account_id, openid: session.openid };
}
