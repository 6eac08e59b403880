import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { getBroadcastRow } from './broadcasts.service.ts';

/** The seeds' yardsticks: a send should reach ≥ 40% of its audience and be read by ≥ 30%. */
export const YARDSTICKS = { reach: 0.4, read: 0.3 } as const;

/** What a send did: audience → sent → clicked, with the yardsticks beside it. */
export async function broadcastReport(ctx: Ctx, id: string) {
  requireRole(ctx, 'operator');
  const row = await getBroadcastRow(ctx, id);
  return {
    id: row.id,
    status: row.status,
    audience: row.recipients,
    sent: row.sent,
    batches: row.batches,
    batches_done: row.batches_done,
    clicks: row.clicks,
    reach_rate: row.recipients > 0 ? row.sent / row.recipients : 0,
    click_rate: row.sent > 0 ? row.clicks / row.sent : 0,
    yardsticks: { ...YARDSTICKS },
  };
}

/**
 * Sends started in [from, to) summed: audience, reached, clicked. Analytics draws the seeds'
 * yardsticks from it; a row per send is bounded by the quota (at most a few a month per account).
 */
export async function sendFigures(ctx: Ctx, range: { from: number; to: number; account_id?: string }) {
  let query = ctx.db
    .selectFrom('broadcasts')
    .select((eb) => [
      eb.fn.countAll<number>().as('sends'),
      eb.fn.coalesce(eb.fn.sum<number>('recipients'), eb.lit(0)).as('audience'),
      eb.fn.coalesce(eb.fn.sum<number>('sent'), eb.lit(0)).as('reached'),
      eb.fn.coalesce(eb.fn.sum<number>('clicks'), eb.lit(0)).as('clicks'),
    ])
    .where('merchant_id', '=', ctx.merchantId)
    .where('status', 'in', ['sending', 'sent'])
    .where('started_at', '>=', range.from)
    .where('started_at', '<', range.to);
  if (range.account_id) query = query.where('account_id', '=', range.account_id);
  const row = await query.executeTakeFirstOrThrow();
  return {
    sends: Number(row.sends),
    audience: Number(row.audience),
    reached: Number(row.reached),
    clicks: Number(row.clicks),
  };
}
