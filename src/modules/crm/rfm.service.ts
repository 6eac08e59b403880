import { type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { badRequest } from '../../platform/http/errors.ts';

/**
 * RFM bands: each of recency, frequency and monetary scores 1–5 from four band edges over the
 * figures CRM keeps current on order events (last_order_at, order_count, spend), so a band
 * condition is a range on one column, never a scan of orders.
 */
export interface RfmBands {
  /** Days since the last purchase: within edge[0] days scores 5 … beyond edge[3] (or never) scores 1. */
  recency_days: number[];
  /** Paid orders: at least edge[3] scores 5 … below edge[0] scores 1. */
  frequency: number[];
  /** Net spend in fen, same reading as frequency. */
  monetary_fen: number[];
}

export type RfmDimension = 'r' | 'f' | 'm';

export const DEFAULT_RFM: RfmBands = {
  recency_days: [30, 90, 180, 365],
  frequency: [2, 3, 5, 10],
  monetary_fen: [10_000, 50_000, 100_000, 500_000],
};

const DAY = 86_400_000;

function checkEdges(edges: unknown, what: string): number[] {
  if (
    !Array.isArray(edges) ||
    edges.length !== 4 ||
    edges.some((e, i) => !Number.isInteger(e) || e < 0 || (i > 0 && e <= edges[i - 1]))
  )
    throw badRequest(
      'invalid_rfm',
      `${what} 须为 4 个递增的非负整数`,
      `${what} must be 4 increasing non-negative integers`,
    );
  return edges as number[];
}

export async function rfmBands(ctx: Pick<Ctx, 'db' | 'merchantId'>): Promise<RfmBands> {
  const row = await ctx.db
    .selectFrom('crm_rfm')
    .select('bands')
    .where('merchant_id', '=', ctx.merchantId)
    .executeTakeFirst();
  return row ? (JSON.parse(row.bands) as RfmBands) : DEFAULT_RFM;
}

export async function saveRfmBands(ctx: Ctx, input: RfmBands): Promise<RfmBands> {
  requireRole(ctx, 'operator');
  const bands: RfmBands = {
    recency_days: checkEdges(input.recency_days, 'recency_days'),
    frequency: checkEdges(input.frequency, 'frequency'),
    monetary_fen: checkEdges(input.monetary_fen, 'monetary_fen'),
  };
  const json = JSON.stringify(bands);
  await ctx.db
    .insertInto('crm_rfm')
    .values({ merchant_id: ctx.merchantId, bands: json, updated_at: ctx.now })
    .onConflict((oc) => oc.column('merchant_id').doUpdateSet({ bands: json, updated_at: ctx.now }))
    .execute();
  return bands;
}

/** A member's three scores from its kept-current figures. */
export function rfmScores(
  bands: RfmBands,
  member: { last_order_at: number | null; order_count: number; spend: number },
  now: number,
): { r: number; f: number; m: number } {
  const up = (value: number, edges: number[]) => 1 + edges.filter((e) => value >= e).length;
  const age = member.last_order_at === null ? Number.POSITIVE_INFINITY : (now - member.last_order_at) / DAY;
  return {
    r: member.last_order_at === null ? 1 : 5 - bands.recency_days.filter((e) => age > e).length,
    f: up(Number(member.order_count), bands.frequency),
    m: up(Number(member.spend), bands.monetary_fen),
  };
}

/** "score of `dimension` between min and max" as a condition on crm_members' own columns. */
export function rfmCondition(
  bands: RfmBands,
  dimension: RfmDimension,
  min: number,
  max: number,
  now: number,
): RawBuilder<SqlBool> {
  const parts: RawBuilder<SqlBool>[] = [];
  if (dimension === 'r') {
    const e = bands.recency_days;
    if (min >= 2) parts.push(sql<SqlBool>`crm_members.last_order_at >= ${now - e[5 - min]! * DAY}`);
    if (max <= 4)
      parts.push(
        sql<SqlBool>`(crm_members.last_order_at is null or crm_members.last_order_at < ${now - e[4 - max]! * DAY})`,
      );
  } else {
    const column = sql.ref(dimension === 'f' ? 'crm_members.order_count' : 'crm_members.spend');
    const e = dimension === 'f' ? bands.frequency : bands.monetary_fen;
    if (min >= 2) parts.push(sql<SqlBool>`${column} >= ${e[min - 2]!}`);
    if (max <= 4) parts.push(sql<SqlBool>`${column} < ${e[max - 1]!}`);
  }
  if (parts.length === 0) return sql<SqlBool>`1 = 1`;
  return sql<SqlBool>`(${sql.join(parts, sql.raw(' and '))})`;
}
