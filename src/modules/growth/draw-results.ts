import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { forbidden } from '../../platform/http/errors.ts';
import { drawView, ROLL_ALGORITHM } from './draws.service.ts';

/** What a draw's plays came to: the fan's own results, and the operator's audit of every roll. */

/** The fan's results in one draw (or all draws), newest first. */
export async function fanResults(fan: Ctx, drawId?: string) {
  if (fan.actor.kind !== 'fan') throw forbidden();
  let query = fan.db
    .selectFrom('growth_draw_results')
    .leftJoin('growth_draw_prizes', 'growth_draw_prizes.id', 'growth_draw_results.prize_id')
    .innerJoin('growth_draws', 'growth_draws.id', 'growth_draw_results.draw_id')
    .select([
      'growth_draw_results.id',
      'growth_draw_results.draw_id',
      'growth_draw_results.entry_ref',
      'growth_draw_results.outcome',
      'growth_draw_results.coupon_id',
      'growth_draw_results.order_id',
      'growth_draw_results.points_spent',
      'growth_draw_results.points_awarded',
      'growth_draw_results.created_at',
      'growth_draw_prizes.points as prize_points',
      'growth_draw_prizes.name as prize_name',
      'growth_draw_prizes.kind as prize_kind',
      'growth_draws.name as draw_name',
    ])
    .where('growth_draw_results.merchant_id', '=', fan.merchantId)
    .where('growth_draw_results.account_id', '=', fan.actor.accountId)
    .where('growth_draw_results.openid', '=', fan.actor.openid);
  if (drawId) query = query.where('growth_draw_results.draw_id', '=', drawId);
  return query.orderBy('growth_draw_results.id', 'desc').limit(50).execute();
}

/** Everything needed to recompute each roll: the published hash, the seed (once ended) and the plays. */
export async function drawAudit(ctx: Ctx, id: string) {
  requireRole(ctx, 'operator');
  const draw = await drawView(ctx, id);
  const results = await ctx.db
    .selectFrom('growth_draw_results')
    .select([
      'id',
      'account_id',
      'openid',
      'entry_ref',
      'roll',
      'rolled_prize_id',
      'prize_id',
      'outcome',
      'points_spent',
      'points_awarded',
    ])
    .where('merchant_id', '=', ctx.merchantId)
    .where('draw_id', '=', id)
    .orderBy('id')
    .limit(10_000)
    .execute();
  return {
    draw_id: draw.id,
    seed_hash: draw.seed_hash,
    seed: draw.seed,
    algorithm: ROLL_ALGORITHM,
    prizes: draw.prizes.map((p) => ({
      id: p.id,
      name: p.name,
      position: p.position,
      kind: p.kind,
      points: p.points,
      odds: p.odds,
      stock: p.stock,
      won: p.won,
    })),
    results,
  };
}
