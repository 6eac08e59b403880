import type { AppDeps } from '../../deps.ts';
import { hashToken } from '../../platform/auth/secrets.ts';
import { expiringMap } from '../../platform/cache/cache.ts';
import { newSecret } from '../../platform/ids.ts';

/**
 * A verified API token is kept in-process for a few seconds, so a clerk scanning vouchers (or an
 * integrator's burst) costs no database read per request. Revocation still takes effect: revoking
 * forgets the token here at once, and with Redis bumps a shared epoch that every process checks
 * at most once a second (clearing what it kept). Without Redis, another process (the CLI)
 * revoking is seen when the entry expires, TOKEN_CACHE_MS at most.
 */
const TOKEN_CACHE_MS = 10_000;
const EPOCH_CHECK_MS = 1_000;
const EPOCH_KEY = 'tenants:api_token_epoch';

function tokenCache(deps: Pick<AppDeps, 'local'>) {
  return deps.local.slot('tenants.api_tokens', () => ({
    entries: expiringMap<unknown>(TOKEN_CACHE_MS, 10_000),
    // Bumped by every forget: a read that started before a revocation must not re-add the token.
    generation: 0,
    epoch: null as string | null,
    checkedAt: Number.NEGATIVE_INFINITY,
  }));
}

/** What `resolve` (the database's check) says of the token, through the in-process cache. Only valid tokens are kept; failures always read. */
export async function cachedApiToken<P>(
  deps: Pick<AppDeps, 'local' | 'cache'>,
  now: number,
  token: string,
  resolve: () => Promise<P | null>,
): Promise<P | null> {
  const state = tokenCache(deps);
  if (deps.cache.kind === 'redis' && now - state.checkedAt >= EPOCH_CHECK_MS) {
    state.checkedAt = now;
    const epoch = await deps.cache.get(EPOCH_KEY);
    if (epoch !== state.epoch) {
      state.entries.clear();
      state.generation++;
      state.epoch = epoch;
    }
  }
  const key = hashToken(token);
  const hit = state.entries.get(key, now);
  if (hit) return hit as P;
  const generation = state.generation;
  const principal = await resolve();
  if (principal && generation === state.generation) state.entries.set(key, principal, now);
  return principal;
}

/** A token was revoked: this process forgets it now, the others within a second (Redis). */
export async function forgetApiToken(
  deps: Pick<AppDeps, 'local' | 'cache'>,
  tokenHash: string,
): Promise<void> {
  const state = tokenCache(deps);
  state.entries.delete(tokenHash);
  state.generation++;
  // A fresh random epoch, not a counter: a counter whose key expired (or a Redis restarted without
  // its data) counts 1, 2, … again and may land on the very value a process last saw.
  if (deps.cache.kind === 'redis') await deps.cache.set(EPOCH_KEY, newSecret(), 30 * 24 * 3_600_000);
}
