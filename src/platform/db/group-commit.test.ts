import { describe, expect, it } from 'vitest';
import { createGroupCommit } from './group-commit.ts';

const tick = () => new Promise((r) => setImmediate(r));

describe('group commit', () => {
  it('writes callers of one moment as one batch, each getting its own result or error', async () => {
    const batches: number[][] = [];
    const write = createGroupCommit<number, number>(async (items) => {
      batches.push(items);
      return items.map((n) => (n === 3 ? new Error('refused') : n * 10));
    });
    const results = await Promise.allSettled([1, 2, 3, 4].map((n) => write(n)));
    expect(batches).toEqual([[1, 2, 3, 4]]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : 'error'))).toEqual([10, 20, 'error', 40]);
  });

  it('keeps at most `inFlight` batches writing, the rest waiting for the next batch', async () => {
    let writing = 0;
    let most = 0;
    const release: Array<() => void> = [];
    const write = createGroupCommit<number, number>(
      async (items) => {
        writing++;
        most = Math.max(most, writing);
        await new Promise<void>((r) => release.push(r));
        writing--;
        return items;
      },
      256,
      2,
    );
    const all: Array<Promise<number>> = [];
    for (let round = 0; round < 5; round++) {
      all.push(write(round));
      await tick();
    }
    while (release.length > 0 || writing > 0) {
      release.shift()?.();
      await tick();
    }
    expect(await Promise.all(all)).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
  });

  it('under a trickle (one item a turn) starts a batch at most every `spacingMs`, so items share batches', async () => {
    const batches: number[][] = [];
    const write = createGroupCommit<number, number>(
      async (items) => {
        batches.push(items);
        return items;
      },
      256,
      1,
      20,
    );
    const all: Array<Promise<number>> = [];
    const end = performance.now() + 150;
    while (performance.now() < end) {
      all.push(write(all.length));
      await tick();
    }
    expect(await Promise.all(all)).toEqual(all.map((_, i) => i));
    expect(batches.flat()).toEqual(all.map((_, i) => i));
    // A batch a turn would be one per item; spaced, about one per 20 ms.
    expect(batches.length).toBeLessThan(all.length / 2);
  });

  it('writes an item that comes after a pause at once, without waiting for the spacing', async () => {
    const written: number[] = [];
    const write = createGroupCommit<number, number>(
      async (items) => {
        written.push(...items);
        return items;
      },
      256,
      1,
      20,
    );
    await write(1);
    await new Promise((r) => setTimeout(r, 30));
    const first = await Promise.race([
      write(2).then(() => 'written'),
      new Promise((r) => setTimeout(() => r('waited'), 20)),
    ]);
    expect(first).toBe('written');
    expect(written).toEqual([1, 2]);
  });
});
