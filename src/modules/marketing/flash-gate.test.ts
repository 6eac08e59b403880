import { describe, expect, it } from 'vitest';
import type { AppDeps } from '../../deps.ts';
import { type Cache, memoryCache, redisCache } from '../../platform/cache/cache.ts';
import { newSecret } from '../../platform/ids.ts';
import { createLocalState } from '../../platform/local-state.ts';
import {
  forgetGate,
  GATE,
  giveBackToGate,
  loadGate,
  markReserved,
  readGate,
  takeFromGate,
} from './flash-gate.ts';

const sale = {
  id: 'fls_test',
  opens_at: 1_000,
  closes_at: 9_000,
  per_buyer_limit: 1,
  requires_reservation: 1,
  stock: 3,
  sold: 0,
};
const depsWith = (cache: Cache) => ({
  deps: { cache, local: createLocalState(), clock: { now: () => 0 } } as unknown as AppDeps,
});

// One contract for the gate's two homes: in-process (embedded) and Redis (scale-out).
const homes: Array<[string, () => Promise<Cache>]> = [['in-process', async () => memoryCache()]];
if (process.env.REDIS_URL)
  homes.push(['redis', () => redisCache(process.env.REDIS_URL!, `test:${newSecret(6)}:`)]);

for (const [name, make] of homes) {
  describe(`flash-sale gate (${name})`, () => {
    it('answers each case, never hands out more than the stock, and rebuilds cleanly', async () => {
      const cache = await make();
      const ctx = depsWith(cache);
      try {
        expect(await takeFromGate(ctx, sale, 'o_a', 2_000)).toBe(GATE.unloaded);
        await loadGate(ctx, sale, [], ['o_a', 'o_b']);
        expect(await takeFromGate(ctx, sale, 'o_a', 500)).toBe(GATE.notOpen);
        expect(await takeFromGate(ctx, sale, 'o_x', 2_000)).toBe(GATE.notReserved);
        await markReserved(ctx, sale.id, 'o_x');
        const burst = await Promise.all(
          ['o_a', 'o_a', 'o_b', 'o_x', 'o_b'].map((o) => takeFromGate(ctx, sale, o, 2_000)),
        );
        expect(burst.filter((a) => a === GATE.got)).toHaveLength(3);
        expect(burst.filter((a) => a === GATE.already)).toHaveLength(2);
        expect(await takeFromGate(ctx, sale, 'o_x', 2_000)).toBe(GATE.already);
        await giveBackToGate(ctx, sale.id, 'o_x');
        expect(await readGate(ctx, sale.id)).toMatchObject({ left: 1 });
        expect(await takeFromGate(ctx, sale, 'o_x', 9_000)).toBe(GATE.closed);

        // A process died after o_a's unit left the gate but before its order was written: the
        // database knows only o_b. The rebuild forgets o_a's count and the unit.
        await forgetGate(ctx, sale.id);
        await loadGate(ctx, { ...sale, sold: 1 }, [{ openid: 'o_b', n: 1 }], ['o_a', 'o_b']);
        expect(await readGate(ctx, sale.id)).toMatchObject({ left: 2 });
        expect(await takeFromGate(ctx, sale, 'o_b', 2_000)).toBe(GATE.already);
        expect(await takeFromGate(ctx, sale, 'o_a', 2_000)).toBe(GATE.got);
      } finally {
        await cache.close();
      }
    });
  });
}
