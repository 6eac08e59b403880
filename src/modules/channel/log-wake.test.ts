import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/test-app.ts';
import { followLog, notifyLogWritten } from './log.service.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A reader that only counts its runs (each run loads its position once). */
function countingReader(name: string, live: boolean) {
  const runs = { count: 0 };
  followLog(t.deps, {
    name,
    live,
    load: async () => {
      runs.count += 1;
      return null;
    },
    save: async () => {},
    apply: async () => {},
  });
  return runs;
}

/** Tells the readers of a commit every `everyMs` for `forMs`; returns the longest real gap. */
async function commitsFor(forMs: number, everyMs: number): Promise<number> {
  let longest = 0;
  let last = performance.now();
  const end = last + forMs;
  while (performance.now() < end) {
    notifyLogWritten(t.deps);
    await sleep(everyMs);
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }
  return longest;
}

describe('when log readers wake', () => {
  it('runs the live reader (the inbox screen) within moments of a commit', async () => {
    const live = countingReader('wake-live', true);
    notifyLogWritten(t.deps);
    const start = performance.now();
    while (live.count === 0 && performance.now() - start < 2_000) await sleep(5);
    expect(live.count).toBe(1);
  });

  it('holds the other readers back while pushes keep coming, then runs them once', async () => {
    const background = countingReader('wake-quiet', false);
    const longestGap = await commitsFor(400, 20);
    // Only a machine stalled longer than the quiet window between two commits may wake it early.
    if (longestGap < 250) expect(background.count).toBe(0);
    await sleep(600);
    expect(background.count).toBeGreaterThanOrEqual(1);
    const settled = background.count;
    await sleep(400);
    expect(background.count).toBe(settled);
  });

  it('still runs them every couple of seconds when the pushes never pause', async () => {
    const background = countingReader('wake-busy', false);
    await commitsFor(2_800, 20);
    expect(background.count).toBeGreaterThanOrEqual(1);
  });
});
