import { describe, expect, it } from 'vitest';
import { drawWinners, newSeed, seedHash, ticket } from './trial-draw.ts';

describe('trial draw', () => {
  const entries = Array.from({ length: 1000 }, (_, i) => `ent_${String(i).padStart(4, '0')}`);

  it('is reproducible from the seed and the entries, whatever their order', () => {
    const seed = newSeed();
    const a = drawWinners(seed, entries, 10);
    const b = drawWinners(seed, [...entries].reverse(), 10);
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(10);
    expect(drawWinners(newSeed(), entries, 10)).not.toEqual(a);
  });

  it('publishes a hash that binds the seed', () => {
    const seed = newSeed();
    expect(seedHash(seed)).toMatch(/^[0-9a-f]{64}$/);
    expect(seedHash(seed)).not.toBe(seedHash(newSeed()));
    expect(ticket(seed, 'ent_1')).toBe(ticket(seed, 'ent_1'));
  });

  it('gives everyone the same chance (each of 10 slots out of 100 entries ≈ 10%)', () => {
    const hundred = entries.slice(0, 100);
    const wins = new Map<string, number>();
    for (let round = 0; round < 2000; round++) {
      for (const id of drawWinners(newSeed(), hundred, 10)) wins.set(id, (wins.get(id) ?? 0) + 1);
    }
    for (const id of hundred) {
      const share = (wins.get(id) ?? 0) / 2000;
      expect(share).toBeGreaterThan(0.05);
      expect(share).toBeLessThan(0.16);
    }
  });

  it('gives everyone a prize when units exceed entries', () => {
    expect(drawWinners(newSeed(), entries.slice(0, 3), 10)).toHaveLength(3);
  });
});
