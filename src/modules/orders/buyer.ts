import type { Ctx } from '../../context.ts';
import { forbidden } from '../../platform/http/errors.ts';

/** The fan acting in the shop; anything else may not act as a buyer. */
export function buyerOf(ctx: Pick<Ctx, 'actor'>): { accountId: string; openid: string } {
  if (ctx.actor.kind !== 'fan') throw forbidden('仅买家本人可以操作', 'Only the buyer may do this');
  return { accountId: ctx.actor.accountId, openid: ctx.actor.openid };
}
