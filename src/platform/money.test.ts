import { describe, expect, it } from 'vitest';
import { fenToYuan, formatFen, percentOf, sumFen, yuanToFen } from './money.ts';

describe('money in fen', () => {
  it('parses yuan text exactly, where floats would drift', () => {
    expect(yuanToFen('0.1')).toBe(10);
    expect(yuanToFen('19.99')).toBe(1999);
    expect(yuanToFen('-3.05')).toBe(-305);
    expect(yuanToFen('1200')).toBe(120000);
    expect(() => yuanToFen('1.234')).toThrow(RangeError);
    expect(() => yuanToFen('abc')).toThrow(RangeError);
  });

  it('formats fen for people', () => {
    expect(fenToYuan(5)).toBe('0.05');
    expect(formatFen(129900)).toBe('¥1299.00');
    expect(fenToYuan(-150)).toBe('-1.50');
  });

  it('refuses non-integer amounts', () => {
    expect(() => sumFen([100, 0.5])).toThrow(RangeError);
    expect(sumFen([1999, 1, 8000])).toBe(10000);
  });

  it('takes a discount rounding half up to the fen', () => {
    expect(percentOf(999, 80)).toBe(799); // 799.2
    expect(percentOf(125, 50)).toBe(63); // 62.5
  });
});
