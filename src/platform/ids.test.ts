import { describe, expect, it } from 'vitest';
import { newId } from './ids.ts';

describe('ids', () => {
  it('are prefixed, sort by creation time, and are not guessable from a neighbour', () => {
    const a = newId('ord', 1_700_000_000_000);
    const b = newId('ord', 1_700_000_000_001);
    const c = newId('ord', 1_700_000_000_001);
    expect(a).toMatch(/^ord_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect([b, a].sort()[0]).toBe(a);
    expect(b.slice(0, 14)).toBe(c.slice(0, 14));
    expect(b).not.toBe(c);
    expect(b < c).toBe(true);
  });
});
