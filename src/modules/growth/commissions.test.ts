import { describe, expect, it } from 'vitest';
import { lineCommission, paidPerLine } from './commissions.service.ts';

const line = (subtotal: number) => ({
  id: 'i',
  product_id: 'p',
  sku_id: 's',
  title: 't',
  spec_text: '',
  price: subtotal,
  quantity: 1,
  subtotal,
});

describe('commission arithmetic', () => {
  it('spreads the discount over lines by their share and sums to what was paid', () => {
    const paid = paidPerLine({ items_total: 30_000, discount: 1_001, items: [line(10_000), line(20_000)] });
    expect(paid).toEqual([9_666, 19_333]);
    expect(paid.reduce((a, b) => a + b, 0)).toBe(30_000 - 1_001);
  });

  it('never pays commission on more than the items when the discount is larger', () => {
    expect(paidPerLine({ items_total: 1_000, discount: 5_000, items: [line(1_000)] })).toEqual([0]);
  });

  it('percent rates are basis points rounded down; fixed rates are per unit and capped at the line', () => {
    const percent = { kind: 'percent' as const, level1: 1_000, level2: 333 };
    expect(lineCommission(percent, 1, 9_999, 1)).toBe(999);
    expect(lineCommission(percent, 2, 9_999, 1)).toBe(332);
    const fixed = { kind: 'fixed' as const, level1: 300, level2: 100 };
    expect(lineCommission(fixed, 1, 10_000, 2)).toBe(600);
    expect(lineCommission(fixed, 1, 500, 2)).toBe(500);
  });
});
