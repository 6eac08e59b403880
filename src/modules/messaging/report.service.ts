import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { getBroadcastRow } from './broadcasts.service.ts';
import { finishesOf } from './results.service.ts';

/**
 * The seeds' yardsticks: a send should reach ≥ 40% of its audience, be read by ≥ 30% of those
 * it reached, and get ≥ 20% of them to take part (come to the shop through its link).
 */
export const YARDSTICKS = { reach: 0.4, read: 0.3, participation: 0.2 } as const;

const rate = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 1000) / 1000 : 0);

/**
 * What a send did: audience → delivered → read → clicked → ordered → paid, with revenue, the
 * read curve by day and the yardsticks beside the rates. Delivered is WeChat's own count
 * (MASSSENDJOBFINISH) once it reported, until then what WeChat accepted.
 */
export async function broadcastReport(ctx: Ctx, id: string) {
  requireRole(ctx, 'operator');
  const row = await getBroadcastRow(ctx, id);
  const [wechat, reads, visitors, orders] = await Promise.all([
    finishesOf(ctx, row.id, row.account_id),
    ctx.db
      .selectFrom('broadcast_reads')
      .select(['day', 'read_users'])
      .where('merchant_id', '=', ctx.merchantId)
      .where('broadcast_id', '=', row.id)
      .orderBy('day')
      .execute(),
    ctx.db
      .selectFrom('broadcast_visits')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('merchant_id', '=', ctx.merchantId)
      .where('broadcast_id', '=', row.id)
      .executeTakeFirstOrThrow(),
    ctx.db
      .selectFrom('broadcast_orders')
      .select(['paid_at', 'amount', 'refunded_at'])
      .where('merchant_id', '=', ctx.merchantId)
      .where('broadcast_id', '=', row.id)
      .execute(),
  ]);
  // A subscription account's send to everyone has no list: WeChat's total is the audience.
  const audience = row.recipients || wechat.total;
  const { delivered, ...reported } = wechat;
  const read = reads.reduce((sum, r) => sum + r.read_users, 0);
  const clicked = Number(visitors.n);
  const paid = orders.filter((o) => o.paid_at !== null && o.refunded_at === null);
  const revenue = paid.reduce((sum, o) => sum + Number(o.amount), 0);
  let cumulative = 0;
  return {
    id: row.id,
    title: row.title,
    status: row.status,
    started_at: row.started_at,
    audience,
    sent: row.sent,
    delivered,
    read,
    clicked,
    ordered: orders.length,
    paid: paid.length,
    revenue,
    batches: row.batches,
    batches_done: row.batches_done,
    clicks: row.clicks,
    wechat: reported,
    reads_by_day: reads.map((r) => {
      cumulative += r.read_users;
      return { day: r.day, users: r.read_users, cumulative };
    }),
    rates: {
      reach: rate(delivered, audience),
      read: rate(read, delivered),
      participation: rate(clicked, delivered),
      order: rate(orders.length, clicked),
      paid: rate(paid.length, orders.length),
    },
    reach_rate: audience > 0 ? delivered / audience : 0,
    click_rate: delivered > 0 ? row.clicks / delivered : 0,
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
  let reads = ctx.db
    .selectFrom('broadcast_reads')
    .innerJoin('broadcasts', 'broadcasts.id', 'broadcast_reads.broadcast_id')
    .select((eb) => [
      eb.fn.countAll<number>().as('days'),
      eb.fn.coalesce(eb.fn.sum<number>('broadcast_reads.read_users'), eb.lit(0)).as('n'),
    ])
    .where('broadcasts.merchant_id', '=', ctx.merchantId)
    .where('broadcasts.status', 'in', ['sending', 'sent'])
    .where('broadcasts.started_at', '>=', range.from)
    .where('broadcasts.started_at', '<', range.to);
  if (range.account_id) reads = reads.where('broadcasts.account_id', '=', range.account_id);
  const pulled = await reads.executeTakeFirstOrThrow();
  // No read counts pulled yet is "unknown", not zero reads.
  const read = Number(pulled.days) > 0 ? Number(pulled.n) : null;
  return {
    sends: Number(row.sends),
    audience: Number(row.audience),
    reached: Number(row.reached),
    clicks: Number(row.clicks),
    read,
  };
}
