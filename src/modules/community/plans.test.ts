import { describe, expect, it } from 'vitest';
import { lastRound, nextOpening, openRound } from './plans.service.ts';

const DAY = 86_400_000;
const start = Date.UTC(2026, 2, 1); // 1 March 2026

describe('recruiting rounds', () => {
  const yearly = { window_start: start, window_days: 30, repeat: 'yearly' as const };
  const once = { ...yearly, repeat: 'none' as const };

  it('opens once a year on the same day, for the window', () => {
    expect(openRound(yearly, start - 1)).toBeNull();
    expect(openRound(yearly, start)).toBe(start);
    expect(openRound(yearly, start + 30 * DAY - 1)).toBe(start);
    expect(openRound(yearly, start + 30 * DAY)).toBeNull();
    const next = Date.UTC(2027, 2, 1);
    expect(openRound(yearly, next + 5 * DAY)).toBe(next);
    expect(nextOpening(yearly, start + 40 * DAY)).toBe(next);
    expect(lastRound(yearly, start + 40 * DAY)).toBe(start);
    expect(lastRound(yearly, next + DAY)).toBe(next);
  });

  it('handles a window that runs over the new year', () => {
    const winter = { window_start: Date.UTC(2026, 11, 20), window_days: 20, repeat: 'yearly' as const };
    expect(openRound(winter, Date.UTC(2027, 0, 5))).toBe(Date.UTC(2026, 11, 20));
    expect(openRound(winter, Date.UTC(2028, 0, 5))).toBe(Date.UTC(2027, 11, 20));
    expect(openRound(winter, Date.UTC(2027, 5, 1))).toBeNull();
    expect(nextOpening(winter, Date.UTC(2027, 5, 1))).toBe(Date.UTC(2027, 11, 20));
  });

  it('never reopens a one-off window', () => {
    expect(openRound(once, start + DAY)).toBe(start);
    expect(openRound(once, Date.UTC(2027, 2, 2))).toBeNull();
    expect(nextOpening(once, start - DAY)).toBe(start);
    expect(nextOpening(once, start + 40 * DAY)).toBeNull();
  });
});
