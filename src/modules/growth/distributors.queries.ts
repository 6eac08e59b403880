import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import type { DistributorsTable } from './distribution.schema.ts';

/** The operator's list: newest first, with buyers bound and downline counts. */
export async function listDistributors(
  ctx: Ctx,
  filter: { status?: string; flagged?: boolean; limit: number; cursor?: string },
) {
  requireRole(ctx, 'operator', 'agent');
  let query = ctx.db
    .selectFrom('growth_distributors')
    .selectAll()
    .select((eb) => [
      eb
        .selectFrom('growth_dist_bindings')
        .select((e) => e.fn.countAll<number>().as('n'))
        .whereRef('growth_dist_bindings.distributor_id', '=', 'growth_distributors.id')
        .as('buyers'),
      eb
        .selectFrom('growth_dist_commissions')
        .select((e) => e.fn.coalesce(e.fn.sum<number>('amount'), e.lit(0)).as('s'))
        .whereRef('growth_dist_commissions.distributor_id', '=', 'growth_distributors.id')
        .where('growth_dist_commissions.status', '=', 'pending')
        .as('pending'),
    ])
    .where('merchant_id', '=', ctx.merchantId);
  if (filter.status) query = query.where('status', '=', filter.status as DistributorsTable['status']);
  if (filter.flagged) query = query.where('flagged', '=', 1);
  if (filter.cursor) query = query.where('id', '<', filter.cursor);
  const rows = await query
    .orderBy('id', 'desc')
    .limit(filter.limit + 1)
    .execute();
  const items = rows.slice(0, filter.limit).map((r) => ({
    ...r,
    balance: Number(r.balance),
    buyers: Number(r.buyers ?? 0),
    pending: Number(r.pending ?? 0),
  }));
  return { items, next_cursor: rows.length > filter.limit ? (items.at(-1)?.id ?? null) : null };
}

/** The distributor tree (bounded), parents before children; roots are those nobody referred. */
export async function distributorTree(ctx: Ctx, limit = 5000) {
  requireRole(ctx, 'operator', 'agent');
  const rows = await ctx.db
    .selectFrom('growth_distributors')
    .select(['id', 'openid', 'status', 'flagged', 'parent_id'])
    .where('merchant_id', '=', ctx.merchantId)
    .orderBy('id')
    .limit(limit + 1)
    .execute();
  return {
    nodes: rows.slice(0, limit).map((r) => ({ ...r, flagged: r.flagged === 1 })),
    truncated: rows.length > limit,
  };
}

export async function listFlags(ctx: Ctx) {
  requireRole(ctx, 'operator');
  return ctx.db
    .selectFrom('growth_dist_flags')
    .select(['id', 'distributor_id', 'kind', 'detail', 'created_at'])
    .where('merchant_id', '=', ctx.merchantId)
    .orderBy('id', 'desc')
    .limit(200)
    .execute();
}
