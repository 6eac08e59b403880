import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';

/** What a script sees of the in-process cache: plain string keys, no expiry, one caller at a time. */
export interface ScriptStore {
  get(key: string): string | null;
  set(key: string, value: string): void;
  incrBy(key: string, by: number): number;
  delete(key: string): void;
}

/**
 * An atomic read-modify-write over several keys: Lua on Redis (one script runs at a time there),
 * the same steps in JavaScript in-process (synchronous, so nothing interleaves). Both must return
 * the same integer or string; one contract test runs a script on both.
 */
export interface CacheScript<R extends number | string> {
  lua: string;
  local(store: ScriptStore, keys: readonly string[], args: readonly string[]): R;
}

/**
 * A small key-value cache with expiry. In-process by default; Redis when several processes must
 * agree (push dedupe, access tokens, rate limits).
 */
export interface Cache {
  readonly kind: 'memory' | 'redis';
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Sets only if the key is absent; true when this call set it. The building block for dedupe and locks. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /**
   * Adds one and returns the new count; the key expires `ttlMs` after its first increment (a
   * fixed window). Atomic across processes: the building block for counting attempts.
   */
  increment(key: string, ttlMs: number): Promise<number>;
  delete(key: string): Promise<void>;
  /** Runs `script` atomically over `keys` (hot paths such as a flash-sale stock gate). */
  eval<R extends number | string>(
    script: CacheScript<R>,
    keys: readonly string[],
    args: readonly string[],
  ): Promise<R>;
  close(): Promise<void>;
}

export function memoryCache(now: () => number = Date.now, maxEntries = 100_000): Cache {
  const entries = new Map<string, { value: string; expiresAt: number }>();
  const live = (key: string) => {
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };
  const put = (key: string, value: string, ttlMs: number) => {
    entries.delete(key);
    // Map keeps insertion order, so the first key is the oldest write: drop it when full.
    if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
    entries.set(key, { value, expiresAt: now() + ttlMs });
  };
  // Script keys live apart from the bounded entries: they never expire and are never evicted by
  // size (a stock gate must not forget units); only scripts read or write them.
  const scriptEntries = new Map<string, string>();
  const store: ScriptStore = {
    get: (key) => scriptEntries.get(key) ?? null,
    set: (key, value) => {
      scriptEntries.set(key, value);
    },
    incrBy: (key, by) => {
      const next = Number(scriptEntries.get(key) ?? 0) + by;
      scriptEntries.set(key, String(next));
      return next;
    },
    delete: (key) => {
      scriptEntries.delete(key);
    },
  };
  return {
    kind: 'memory',
    get: async (key) => live(key)?.value ?? null,
    set: async (key, value, ttlMs) => put(key, value, ttlMs),
    setIfAbsent: async (key, value, ttlMs) => {
      if (live(key)) return false;
      put(key, value, ttlMs);
      return true;
    },
    increment: async (key, ttlMs) => {
      const entry = live(key);
      const count = (entry ? Number(entry.value) : 0) + 1;
      if (entry) entry.value = String(count);
      else put(key, String(count), ttlMs);
      return count;
    },
    delete: async (key) => {
      entries.delete(key);
    },
    eval: async (script, keys, args) => script.local(store, keys, args),
    close: async () => {
      entries.clear();
      scriptEntries.clear();
    },
  };
}

/** Connects and PINGs, so a wrong REDIS_URL fails at start with one clear line. */
export async function redisCache(url: string, prefix = 'weiloop:'): Promise<Cache> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 2,
    connectTimeout: 3000,
    keyPrefix: prefix,
    // Commands issued in one turn of the event loop go out in one write (a spike's many gate calls).
    enableAutoPipelining: true,
  });
  client.on('error', () => {}); // surfaced through the failing command instead
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    throw new Error(`cannot reach Redis at REDIS_URL: ${(error as Error).message}`);
  }
  // The scripts' ids, hashed once per script rather than once per call (this client's own state).
  const shas = new Map<string, string>();
  return {
    kind: 'redis',
    get: (key) => client.get(key),
    set: async (key, value, ttlMs) => {
      await client.set(key, value, 'PX', ttlMs);
    },
    setIfAbsent: async (key, value, ttlMs) => (await client.set(key, value, 'PX', ttlMs, 'NX')) === 'OK',
    // One script, so the count and its expiry are set together even when the process dies between.
    increment: async (key, ttlMs) =>
      Number(
        await client.eval(
          "local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n",
          1,
          key,
          String(ttlMs),
        ),
      ),
    delete: async (key) => {
      await client.del(key);
    },
    eval: async (script, keys, args) => {
      // EVALSHA first (the script body is not resent on every call), EVAL once after a restart.
      let sha = shas.get(script.lua);
      if (!sha) {
        sha = shaOf(script.lua);
        shas.set(script.lua, sha);
      }
      try {
        return (await client.evalsha(sha, keys.length, ...keys, ...args)) as never;
      } catch (error) {
        if (!String((error as Error).message).includes('NOSCRIPT')) throw error;
        return (await client.eval(script.lua, keys.length, ...keys, ...args)) as never;
      }
    },
    close: async () => {
      await client.quit().catch(() => client.disconnect());
    },
  };
}

/** A script's Redis id (a microsecond of hashing; no module-level cache to keep). */
const shaOf = (lua: string) => createHash('sha1').update(lua).digest('hex');

/**
 * A small in-process map whose entries expire: for hot-path lookups (an account by AppID, compiled
 * rules) that may be a few seconds stale in other processes. Cleared whole if it grows past `max`.
 */
export function expiringMap<V>(ttlMs: number, max = 10_000) {
  const entries = new Map<string, { value: V; until: number }>();
  return {
    /** The value, or undefined when absent or expired (a cached null is a value). */
    get(key: string, now: number): V | undefined {
      const entry = entries.get(key);
      return entry && entry.until > now ? entry.value : undefined;
    },
    set(key: string, value: V, now: number): void {
      if (entries.size >= max) entries.clear();
      entries.set(key, { value, until: now + ttlMs });
    },
    delete(key: string): void {
      entries.delete(key);
    },
    clear(): void {
      entries.clear();
    },
  };
}
