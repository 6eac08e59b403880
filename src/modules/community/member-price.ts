import type { Ctx } from '../../context.ts';
import { AppError } from '../../platform/http/errors.ts';
import { buyerOf, type OrderView, type PlaceOrderInput, placeOrder } from '../orders/index.ts';
import { isActive, membershipOf } from './membership.service.ts';
import { planRow } from './plans.service.ts';

/**
 * Checkout at the members' price: the member's plan takes its percent off the goods and deals of
 * the order (not off another membership), as a server-side adjustment computed from the server's
 * prices inside the order's transaction. A fan who is not an active member is refused.
 */
export async function checkoutAsMember(ctx: Ctx, input: PlaceOrderInput): Promise<OrderView> {
  const { accountId, openid } = buyerOf(ctx);
  const membership = await membershipOf(ctx, accountId, openid);
  if (!membership || !isActive(membership, ctx.now))
    throw new AppError(403, 'members_only', {
      zh: '会员价仅限付费会员',
      en: "Members' prices are for paid members only",
    });
  const plan = await planRow(ctx, membership.plan_id);
  return placeOrder(
    ctx,
    { ...input, source: 'member_price' },
    {
      async adjust(_tx, priced) {
        const base = priced.lines.filter((l) => l.kind !== 'service').reduce((sum, l) => sum + l.subtotal, 0);
        const off = Math.floor((base * plan.member_discount_pct) / 100);
        return off > 0
          ? [{ kind: 'member_price', label: `${plan.name}会员价`, amount: off, ref: membership.id }]
          : [];
      },
    },
  );
}

/** What a member pays for `price` (the article's product card shows it). */
export const memberPrice = (price: number, pct: number) => price - Math.floor((price * pct) / 100);
