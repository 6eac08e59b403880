import { describe, expect, it } from 'vitest';
import { createSimulatorState } from './simulator.ts';

describe('the simulator’s send MsgIDs', () => {
  it('stay unique over a million sends and more, and exact as numbers', () => {
    let clock = 1_795_740_000_000;
    const sim = createSimulatorState({ now: () => clock });
    const app = sim.createApp({ name: '测试号', type: 'service', verified: true });
    const seen = new Set<number>();
    let repeated = 0;
    let unsafe = 0;
    // A send of 1.2 million notices at about 5 a millisecond (the last 9 digits of the old ids
    // repeated once the counter passed a million).
    for (let i = 0; i < 1_200_000; i++) {
      if (i % 5 === 0) clock += 1;
      const id = sim.nextSendId(app);
      if (seen.has(id)) repeated += 1;
      if (!Number.isSafeInteger(id)) unsafe += 1;
      seen.add(id);
    }
    expect({ repeated, unsafe }).toEqual({ repeated: 0, unsafe: 0 });
  });
});
