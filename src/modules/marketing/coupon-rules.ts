import { percentOf } from '../../platform/money.ts';
import type { CouponKind, CouponScope } from './marketing.schema.ts';

export interface CouponRule {
  kind: CouponKind;
  value: number;
  min_spend: number;
  max_off: number;
  scope: CouponScope;
  scope_ids: readonly string[];
}

export interface RuleLine {
  product_id: string;
  /** A path such as "女装/连衣裙". */
  category: string;
  subtotal: number;
}

export type Inapplicable = 'scope' | 'min_spend' | 'not_first_order' | 'nothing_off';

/** Whether a line falls in the coupon's scope; a category covers its sub-categories. */
export function inScope(rule: Pick<CouponRule, 'scope' | 'scope_ids'>, line: RuleLine): boolean {
  if (rule.scope === 'all') return true;
  if (rule.scope === 'products') return rule.scope_ids.includes(line.product_id);
  return rule.scope_ids.some((c) => line.category === c || line.category.startsWith(`${c}/`));
}

/**
 * Fen a coupon takes off these lines, or why it does not apply. Pure, so the suggestion the fan
 * sees and the amount the server charges come from the same arithmetic. The order always keeps
 * at least one fen, which WeChat Pay needs.
 */
export function couponDiscount(
  rule: CouponRule,
  lines: readonly RuleLine[],
  shippingFee: number,
  firstOrder: boolean,
): { off: number } | { off: 0; why: Inapplicable } {
  const eligible = lines.filter((l) => inScope(rule, l)).reduce((sum, l) => sum + l.subtotal, 0);
  if (eligible === 0) return { off: 0, why: 'scope' };
  if (eligible < rule.min_spend) return { off: 0, why: 'min_spend' };
  let off: number;
  switch (rule.kind) {
    case 'fixed':
    case 'threshold':
      off = rule.value;
      break;
    case 'percent': {
      off = eligible - percentOf(eligible, rule.value);
      if (rule.max_off > 0) off = Math.min(off, rule.max_off);
      break;
    }
    case 'first_order':
      if (!firstOrder) return { off: 0, why: 'not_first_order' };
      off = eligible - rule.value;
      break;
    case 'free_shipping':
      off = shippingFee;
      break;
  }
  const itemsTotal = lines.reduce((sum, l) => sum + l.subtotal, 0);
  // Never more than the eligible items (or the shipping) and never the whole order.
  const ceiling = rule.kind === 'free_shipping' ? shippingFee : eligible;
  off = Math.max(0, Math.min(off, ceiling, itemsTotal + shippingFee - 1));
  return off > 0 ? { off } : { off: 0, why: 'nothing_off' };
}
