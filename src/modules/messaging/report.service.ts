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
