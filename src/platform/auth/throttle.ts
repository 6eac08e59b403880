import { createHash } from 'node:crypto';
import type { Cache } from '../cache/cache.ts';
import { TooManyRequests } from '../http/errors.ts';

/**
 * Guessing defences for anything that checks a secret (password, API token). Counters live in
 * the shared cache, so every process behind a load balancer sees the same attempts (Redis in
 * scale-out; in-process in the embedded mode, where there is one process).
 */
export interface ThrottlePolicy {
  /** Failures per account before each further attempt must wait. */
  freeFailures: number;
  /** The first wait; it doubles with every further failure… */
  baseDelayMs: number;
  /** …up to this, so an attacker can slow an account's owner down but not lock them out for long. */
  maxDelayMs: number;
  /** Failures are forgotten this long after the first one. */
  accountWindowMs: number;
  /** Failures from one IP address per window, over all accounts. */
  ipFailures: number;
  ipWindowMs: number;
}

export const LOGIN_POLICY: ThrottlePolicy = {
  freeFailures: 5,
  baseDelayMs: 1000,
  maxDelayMs: 15 * 60_000,
  accountWindowMs: 60 * 60_000,
  ipFailures: 30,
  ipWindowMs: 15 * 60_000,
};

// Keys hold no raw e-mail address or token: the cache may be a shared Redis.
const digest = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, 22);

/**
 * `name` separates the doors (login, api_token); `now` is the app's clock, so tests can wait
 * without sleeping.
 */
export function failureThrottle(cache: Cache, now: () => number, name: string, policy: ThrottlePolicy) {
  const accountKey = (account: string) => `throttle:${name}:acct:${digest(account)}`;
  const ipWindow = () => Math.floor(now() / policy.ipWindowMs);
  const ipKey = (ip: string, window: number) => `throttle:${name}:ip:${digest(ip)}:${window}`;

  /** How long this IP must wait (0: it may try). */
  async function ipWait(ip: string): Promise<number> {
    const window = ipWindow();
    const failures = Number((await cache.get(ipKey(ip, window))) ?? 0);
    return failures >= policy.ipFailures ? (window + 1) * policy.ipWindowMs - now() : 0;
  }

  /** How long this account must wait (0: it may try): doubling after the free failures. */
  async function accountWait(account: string): Promise<number> {
    const raw = await cache.get(`${accountKey(account)}:last`);
    if (!raw) return 0;
    const [count = 0, last = 0] = raw.split(':').map(Number);
    if (count < policy.freeFailures) return 0;
    const delay = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (count - policy.freeFailures));
    return Math.max(0, last + delay - now());
  }

  return {
    /**
     * Throws 429 (with Retry-After) when the IP or the account must wait, before the secret is
     * even looked at, so a right guess during the wait tells the attacker nothing. Returns a
     * release to call when the check is over; one check per account runs at a time, so a burst
     * of parallel guesses cannot all slip in before the first failure is counted.
     */
    async enter(input: { ip: string; account?: string }): Promise<() => Promise<void>> {
      const wait = Math.max(await ipWait(input.ip), input.account ? await accountWait(input.account) : 0);
      if (wait > 0) throw new TooManyRequests(wait);
      if (!input.account) return async () => {};
      const busy = `${accountKey(input.account)}:busy`;
      if (!(await cache.setIfAbsent(busy, '1', 10_000))) throw new TooManyRequests(1000);
      return () => cache.delete(busy);
    },

    async failed(input: { ip: string; account?: string }): Promise<void> {
      await cache.increment(ipKey(input.ip, ipWindow()), policy.ipWindowMs);
      if (!input.account) return;
      const count = await cache.increment(accountKey(input.account), policy.accountWindowMs);
      await cache.set(`${accountKey(input.account)}:last`, `${count}:${now()}`, policy.accountWindowMs);
    },

    /** The right secret clears the account's failures (not the IP's). */
    async succeeded(account: string): Promise<void> {
      await cache.delete(accountKey(account));
      await cache.delete(`${accountKey(account)}:last`);
    },
  };
}

export type FailureThrottle = ReturnType<typeof failureThrottle>;
