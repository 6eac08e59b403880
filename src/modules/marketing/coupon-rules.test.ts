import { describe, expect, it } from 'vitest';
import { type CouponRule, couponDiscount } from './coupon-rules.ts';

const rule = (r: Partial<CouponRule>): CouponRule => ({
  kind: 'fixed',
  value: 500,
  min_spend: 0,
  max_off: 0,
  scope: 'all',
  scope_ids: [],
  ...r,
});
const dress = { product_id: 'prd_dress', category: '女装/连衣裙', subtotal: 19_900 };
const mug = { product_id: 'prd_mug', category: '家居', subtotal: 3_000 };

describe('coupon arithmetic', () => {
  it('takes a fixed amount off, never the whole order', () => {
    expect(couponDiscount(rule({ value: 500 }), [dress], 0, false)).toEqual({ off: 500 });
    expect(couponDiscount(rule({ value: 50_000 }), [mug], 0, false)).toEqual({ off: 2_999 });
  });

  it('满减 applies only from the threshold, counting in-scope items only', () => {
    const r = rule({
      kind: 'threshold',
      value: 3_000,
      min_spend: 20_000,
      scope: 'categories',
      scope_ids: ['女装'],
    });
    expect(couponDiscount(r, [dress, mug], 0, false)).toEqual({ off: 0, why: 'min_spend' });
    expect(couponDiscount(r, [{ ...dress, subtotal: 20_000 }, mug], 0, false)).toEqual({ off: 3_000 });
    expect(couponDiscount(r, [mug], 0, false)).toEqual({ off: 0, why: 'scope' });
  });

  it('percent off rounds to the fen and respects its cap', () => {
    expect(couponDiscount(rule({ kind: 'percent', value: 80 }), [dress], 0, false)).toEqual({ off: 3_980 });
    expect(couponDiscount(rule({ kind: 'percent', value: 80, max_off: 2_000 }), [dress], 0, false)).toEqual({
      off: 2_000,
    });
  });

  it('the first-purchase price makes eligible items cost ¥0.10, for a first order only', () => {
    const r = rule({ kind: 'first_order', value: 10, scope: 'products', scope_ids: ['prd_dress'] });
    expect(couponDiscount(r, [dress], 0, true)).toEqual({ off: 19_890 });
    expect(couponDiscount(r, [dress, mug], 0, true)).toEqual({ off: 19_890 });
    expect(couponDiscount(r, [dress], 0, false)).toEqual({ off: 0, why: 'not_first_order' });
  });

  it('free shipping takes the shipping fee off and nothing else', () => {
    expect(couponDiscount(rule({ kind: 'free_shipping' }), [dress], 800, false)).toEqual({ off: 800 });
    expect(couponDiscount(rule({ kind: 'free_shipping' }), [dress], 0, false)).toEqual({
      off: 0,
      why: 'nothing_off',
    });
  });
});
