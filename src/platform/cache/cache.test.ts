import { describe, expect, it } from 'vitest';
import { manualClock } from '../clock.ts';
import { newSecret } from '../ids.ts';
import { type Cache, memoryCache, redisCache } from './cache.ts';

// One contract, every implementation: Redis joins when REDIS_URL is set.
function defineCacheContract(
  name: string,
  make: (clock: ReturnType<typeof manualClock>) => Promise<Cache>,
  realTime: boolean,
) {
  describe(`${name} cache`, () => {
    it('stores, expires and deletes values', async () => {
      const clock = manualClock();
      const cache = await make(clock);
      try {
        await cache.set('a', '1', 50);
        expect(await cache.get('a')).toBe('1');
        if (realTime) await new Promise((r) => setTimeout(r, 80));
        else clock.advance(60);
        expect(await cache.get('a')).toBeNull();
        await cache.set('b', '2', 10_000);
        await cache.delete('b');
        expect(await cache.get('b')).toBeNull();
      } finally {
        await cache.close();
      }
    });

    it('counts racing increments exactly, in a window that expires', async () => {
      const clock = manualClock();
      const cache = await make(clock);
      try {
        const counts = await Promise.all(Array.from({ length: 20 }, () => cache.increment('n', 50)));
        expect(counts.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
        if (realTime) await new Promise((r) => setTimeout(r, 80));
        else clock.advance(60);
        expect(await cache.increment('n', 50)).toBe(1);
      } finally {
        await cache.close();
      }
    });

    it('lets exactly one of many racing callers set a key', async () => {
      const cache = await make(manualClock());
      try {
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => cache.setIfAbsent('k', String(i), 10_000)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      } finally {
        await cache.close();
      }
    });
  });
}

defineCacheContract('memory', async (clock) => memoryCache(clock.now), false);
const redisUrl = process.env.REDIS_URL;
if (redisUrl) defineCacheContract('redis', async () => redisCache(redisUrl, `test:${newSecret(6)}:`), true);

describe('memory cache bound', () => {
  it('forgets the oldest entries beyond its size', async () => {
    const cache = memoryCache(Date.now, 3);
    for (const key of ['a', 'b', 'c', 'd']) await cache.set(key, key, 10_000);
    expect(await cache.get('a')).toBeNull();
    expect(await cache.get('d')).toBe('d');
  });
});

describe('expiring map', () => {
  it('forgets entries after their time, keeps a cached null, and stays bounded', async () => {
    const { expiringMap } = await import('./cache.ts');
    const map = expiringMap<string | null>(1000, 2);
    map.set('a', 'x', 0);
    map.set('none', null, 0);
    expect(map.get('a', 999)).toBe('x');
    expect(map.get('none', 10)).toBeNull();
    expect(map.get('a', 1000)).toBeUndefined();
    map.set('b', 'y', 0); // past the bound: starts afresh
    expect(map.get('none', 10)).toBeUndefined();
    expect(map.get('b', 10)).toBe('y');
  });
});

// A script that counts down a stock key and refuses at zero: the same answers in Lua and in-process.
const takeOne = {
  lua: `local left = tonumber(redis.call('GET', KEYS[1]) or '0')
if left <= 0 then return 0 end
redis.call('DECR', KEYS[1])
return 1`,
  local(store: import('./cache.ts').ScriptStore, keys: readonly string[]) {
    const left = Number(store.get(keys[0]!) ?? 0);
    if (left <= 0) return 0;
    store.incrBy(keys[0]!, -1);
    return 1;
  },
};

for (const [name, make] of [
  ['memory', async () => memoryCache(Date.now, 2)],
  ...(redisUrl ? [['redis', async () => redisCache(redisUrl, `test:${newSecret(6)}:`)] as const] : []),
] as const) {
  describe(`${name} cache scripts`, () => {
    it('run atomically: 50 racing takers of 7 units get exactly 7', async () => {
      const cache = await make();
      try {
        await cache.eval(
          {
            lua: `redis.call('SET', KEYS[1], ARGV[1]) return 1`,
            local: (s, k, a) => {
              s.set(k[0]!, a[0]!);
              return 1;
            },
          },
          ['stock'],
          ['7'],
        );
        // A script's keys outlive the size bound of the in-process cache.
        for (const key of ['x', 'y', 'z']) await cache.set(key, key, 10_000);
        const taken = await Promise.all(Array.from({ length: 50 }, () => cache.eval(takeOne, ['stock'], [])));
        expect(taken.filter((n) => n === 1)).toHaveLength(7);
      } finally {
        await cache.close();
      }
    });
  });
}
