import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { paidCharges } from '../payments/index.ts';
import { getCard } from './cards.service.ts';
import { getProgram } from './program.service.ts';
import { TOPUP_PURPOSE } from './topup.service.ts';

const LEDGER_LIMIT = 100;

/** A card with its latest ledger entries (100 each) and level changes: the console's card page. */
export async function cardDetail(ctx: Ctx, id: string) {
  const card = await getCard(ctx, id);
  const entries = (table: 'loyalty_points_ledger' | 'loyalty_value_ledger') =>
    ctx.db
      .selectFrom(table)
      .select(['id', 'delta', 'reason', 'ref', 'actor', 'note', 'created_at'])
      .where('merchant_id', '=', ctx.merchantId)
      .where('card_id', '=', id)
      .orderBy('id', 'desc')
      .limit(LEDGER_LIMIT)
      .execute();
  const [points, value, levels] = await Promise.all([
    entries('loyalty_points_ledger'),
    entries('loyalty_value_ledger'),
    ctx.db
      .selectFrom('loyalty_level_changes')
      .select(['from_level', 'to_level', 'cause', 'created_at'])
      .where('merchant_id', '=', ctx.merchantId)
      .where('card_id', '=', id)
      .orderBy('id', 'desc')
      .limit(LEDGER_LIMIT)
      .execute(),
  ]);
  const num = <T extends { delta: number; created_at: number }>(r: T) => ({
    ...r,
    delta: Number(r.delta),
    created_at: Number(r.created_at),
  });
  return {
    card,
    points: points.map(num),
    value: value.map(num),
    levels: levels.map((l) => ({ ...l, created_at: Number(l.created_at) })),
  };
}

/**
 * Members by level, points issued / spent / expired, the stored-value float (what the merchant
 * owes its members) and a reconciliation: cards whose balance differs from their ledger's sum.
 */
export async function loyaltyReport(ctx: Ctx) {
  requireRole(ctx, 'operator');
  const program = await getProgram(ctx);
  const byLevel = await ctx.db
    .selectFrom('loyalty_cards')
    .select((eb) => ['level', eb.fn.countAll<number>().as('cards')])
    .where('merchant_id', '=', ctx.merchantId)
    .groupBy('level')
    .execute();
  const sums = (table: 'loyalty_points_ledger' | 'loyalty_value_ledger') =>
    ctx.db
      .selectFrom(table)
      .select((eb) => ['reason', eb.fn.sum<number>('delta').as('total')])
      .where('merchant_id', '=', ctx.merchantId)
      .groupBy('reason')
      .execute();
  const [points, value, totals] = await Promise.all([
    sums('loyalty_points_ledger'),
    sums('loyalty_value_ledger'),
    ctx.db
      .selectFrom('loyalty_cards')
      .select((eb) => [eb.fn.sum<number>('points').as('points'), eb.fn.sum<number>('balance').as('balance')])
      .where('merchant_id', '=', ctx.merchantId)
      .executeTakeFirstOrThrow(),
  ]);
  const of = (rows: Array<{ reason: string; total: number }>, ...reasons: string[]) =>
    rows.filter((r) => reasons.includes(r.reason)).reduce((s, r) => s + Number(r.total), 0);
  const mismatch = await reconcile(ctx);
  const paidIn = await paidCharges(ctx, TOPUP_PURPOSE);
  const counts = new Map(byLevel.map((r) => [r.level, Number(r.cards)]));
  return {
    cards: [...counts.values()].reduce((a, b) => a + b, 0),
    by_level: program.levels.map((l) => ({ level: l.key, name: l.name, cards: counts.get(l.key) ?? 0 })),
    points: {
      issued: of(points, 'order_earn', 'checkin', 'review') + Math.max(0, of(points, 'adjustment')),
      spent: -of(points, 'checkout_spend') - of(points, 'checkout_return'),
      expired: -of(points, 'expiry'),
      reversed: -of(points, 'order_reverse'),
      outstanding: Number(totals.points ?? 0),
    },
    stored_value: {
      topped_up: of(value, 'topup'),
      bonus: of(value, 'topup_bonus'),
      // Money WeChat Pay says arrived for top-ups, against what the ledger credited.
      paid_in: paidIn.amount,
      topup_mismatch: paidIn.amount - of(value, 'topup'),
      spent: -of(value, 'checkout_pay') - of(value, 'checkout_return'),
      float: Number(totals.balance ?? 0),
    },
    ledger_mismatch: mismatch,
  };
}

/** Cards whose points or balance differ from their ledger's sum (0 unless something is broken). */
export async function reconcile(ctx: Pick<Ctx, 'db' | 'merchantId'>): Promise<number> {
  const sumOf = (table: 'loyalty_points_ledger' | 'loyalty_value_ledger') =>
    ctx.db
      .selectFrom(table)
      .select((eb) => ['card_id', eb.fn.sum<number>('delta').as('s')])
      .where('merchant_id', '=', ctx.merchantId)
      .groupBy('card_id')
      .execute();
  const [cards, points, value] = await Promise.all([
    ctx.db
      .selectFrom('loyalty_cards')
      .select(['id', 'points', 'balance'])
      .where('merchant_id', '=', ctx.merchantId)
      .execute(),
    sumOf('loyalty_points_ledger'),
    sumOf('loyalty_value_ledger'),
  ]);
  const p = new Map(points.map((r) => [r.card_id, Number(r.s)]));
  const v = new Map(value.map((r) => [r.card_id, Number(r.s)]));
  return cards.filter(
    (c) => Number(c.points) !== (p.get(c.id) ?? 0) || Number(c.balance) !== (v.get(c.id) ?? 0),
  ).length;
}
