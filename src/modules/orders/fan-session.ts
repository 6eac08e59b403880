import type { FastifyRequest } from 'fastify';
import type { Ctx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { hashToken } from '../../platform/auth/secrets.ts';
import { expiringMap } from '../../platform/cache/cache.ts';
import { unauthorized } from '../../platform/http/errors.ts';
import { newSecret } from '../../platform/ids.ts';
import { type Account, accountForCallback } from '../accounts/index.ts';

export const FAN_COOKIE = 'wl_fan';
export const FAN_SESSION_MS = 30 * 24 * 3_600_000;

export interface FanSession {
  merchantId: string;
  accountId: string;
  openid: string;
}

/** Opens a shop session for the fan WeChat's OAuth named; returns the cookie's token. */
export async function startFanSession(deps: AppDeps, account: Account, openid: string): Promise<string> {
  const token = newSecret();
  const now = deps.clock.now();
  await deps.db
    .insertInto('fan_sessions')
    .values({
      token_hash: hashToken(token),
      merchant_id: account.merchant_id,
      account_id: account.id,
      openid,
      expires_at: now + FAN_SESSION_MS,
      created_at: now,
    })
    .execute();
  return token;
}

/** The fan behind a shop session cookie, if it is valid for this account's shop. */
export async function resolveFan(
  deps: AppDeps,
  appid: string,
  token: string | undefined,
  now: number,
): Promise<FanSession | null> {
  if (!token) return null;
  const found = await accountForCallback(deps, appid, now);
  if (!found) return null;
  // A flash sale's fans call many times a second: a session read from the database is kept a few
  // minutes in-process (sessions are never revoked, only expire, and the entry keeps the expiry),
  // so a loser's answer needs no query.
  const cache = deps.local.slot('orders.fan_sessions', () =>
    expiringMap<{ fan: FanSession; expiresAt: number }>(SESSION_CACHE_MS, 250_000),
  );
  const key = `${found.account.id}:${token}`;
  const hit = cache.get(key, now);
  if (hit) return hit.expiresAt < now ? null : hit.fan;
  const session = await sessionLoader(deps)(hashToken(token));
  if (!session || session.account_id !== found.account.id || session.expires_at < now) return null;
  const fan = { merchantId: session.merchant_id, accountId: session.account_id, openid: session.openid };
  cache.set(key, { fan, expiresAt: session.expires_at }, now);
  return fan;
}

const SESSION_CACHE_MS = 300_000;

type SessionRow = {
  token_hash: string;
  merchant_id: string;
  account_id: string;
  openid: string;
  expires_at: number;
};

/**
 * Session reads asked for in the same turn of the event loop share one query: when a sale opens,
 * thousands of fans arrive at once, and one `IN (…)` read costs about what a single one does.
 */
function sessionLoader(deps: AppDeps): (tokenHash: string) => Promise<SessionRow | undefined> {
  return deps.local.slot('orders.fan_session_loader', () => {
    let waiting = new Map<string, Array<(row: SessionRow | undefined, error?: unknown) => void>>();
    const flush = async () => {
      const batch = waiting;
      if (batch.size === 0) return;
      waiting = new Map();
      try {
        const rows = await deps.db
          .selectFrom('fan_sessions')
          .select(['token_hash', 'merchant_id', 'account_id', 'openid', 'expires_at'])
          .where('token_hash', 'in', [...batch.keys()])
          .execute();
        const byHash = new Map(rows.map((r) => [r.token_hash, r]));
        for (const [hash, callers] of batch) for (const done of callers) done(byHash.get(hash));
      } catch (error) {
        for (const callers of batch.values()) for (const done of callers) done(undefined, error);
      }
    };
    return (tokenHash) =>
      new Promise((resolve, reject) => {
        if (waiting.size === 0) setImmediate(() => void flush());
        if (waiting.size >= 500) void flush();
        const callers = waiting.get(tokenHash) ?? [];
        callers.push((row, error) => (error ? reject(error) : resolve(row)));
        waiting.set(tokenHash, callers);
      });
  });
}

/** The service context of a signed-in fan. */
export function fanCtx(deps: AppDeps, fan: FanSession): Ctx {
  return {
    db: deps.db,
    dialect: deps.dialect,
    merchantId: fan.merchantId,
    actor: { kind: 'fan', accountId: fan.accountId, openid: fan.openid },
    now: deps.clock.now(),
    deps,
  };
}

/** For the shop's API routes: the fan's context, or 401. */
export async function requireFan(
  deps: AppDeps,
  request: { cookies: FastifyRequest['cookies']; params: { appid: string } },
): Promise<Ctx> {
  const fan = await resolveFan(deps, request.params.appid, request.cookies[FAN_COOKIE], deps.clock.now());
  if (!fan) throw unauthorized();
  return fanCtx(deps, fan);
}
