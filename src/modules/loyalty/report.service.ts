import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { buyerSpend } from '../orders/index.ts';
import { paidCharges, refundedCharges } from '../payments/index.ts';
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
  const [paidIn, refundedOut, principalBack, members] = await Promise.all([
    paidCharges(ctx, TOPUP_PURPOSE),
    refundedCharges(ctx, TOPUP_PURPOSE),
    ctx.db
      .selectFrom('loyalty_topups')
      .select((eb) => eb.fn.sum<number>('refund_amount').as('s'))
      .where('merchant_id', '=', ctx.merchantId)
      .where('status', '=', 'refunded')
      .executeTakeFirstOrThrow(),
    memberSpend(ctx, 90),
  ]);
  const counts = new Map(byLevel.map((r) => [r.level, Number(r.cards)]));
  return {
    cards: [...counts.values()].reduce((a, b) => a + b, 0),
    by_level: program.levels.map((l) => ({ level: l.key, name: l.name, cards: counts.get(l.key) ?? 0 })),
    points: {
      issued:
        of(points, 'order_earn', 'checkin', 'review', 'birthday', 'draw_prize') +
        Math.max(0, of(points, 'adjustment')),
      // At checkout, on rewards, at the till and on lucky draws, net of what came back.
      spent: -of(
        points,
        'checkout_spend',
        'checkout_return',
        'reward',
        'reward_return',
        'store_redeem',
        'draw_entry',
      ),
      expired: -of(points, 'expiry'),
      reversed: -of(points, 'order_reverse'),
      outstanding: Number(totals.points ?? 0),
    },
    stored_value: {
      topped_up: of(value, 'topup'),
      bonus: of(value, 'topup_bonus'),
      // Money WeChat Pay says arrived for top-ups (less what it sent back), against what the
      // ledger credited (less the paid part of refunded top-ups): 0 unless something is broken.
      paid_in: paidIn.amount,
      refunded_out: refundedOut,
      topup_mismatch: paidIn.amount - refundedOut - (of(value, 'topup') - Number(principalBack.s ?? 0)),
      refunded: -of(value, 'topup_refund'),
      spent: -of(value, 'checkout_pay') - of(value, 'checkout_return') - of(value, 'store_charge'),
      float: Number(totals.balance ?? 0),
    },
    members_vs_others: members,
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

const DAY = 86_400_000;
const PAGE = 1_000;
const MAX_PAGES = 200;

/**
 * The seeds' "members spend 2–3× more", measured: over the last `days`, paid orders' merchandise
 * per buyer for cardholders and for everyone else (orders' per-buyer figures, split by whether the
 * buyer's openid holds a card). Walks buyers in pages; `complete` is false past 200,000 buyers.
 */
export async function memberSpend(ctx: Ctx, days: number) {
  // Up to and including this instant.
  const to = ctx.now + 1;
  const from = ctx.now - days * DAY;
  const sides = {
    members: { buyers: 0, orders: 0, spend: 0 },
    others: { buyers: 0, orders: 0, spend: 0 },
  };
  let after: string | undefined;
  let complete = false;
  for (let page = 0; page < MAX_PAGES; page++) {
    const buyers = await buyerSpend(ctx, { from, to, after, limit: PAGE });
    if (buyers.length === 0) {
      complete = true;
      break;
    }
    const cards = await ctx.db
      .selectFrom('loyalty_cards')
      .select(['account_id', 'openid'])
      .where('merchant_id', '=', ctx.merchantId)
      .where(
        'openid',
        'in',
        buyers.map((b) => b.openid),
      )
      .execute();
    const holders = new Set(cards.map((c) => `${c.account_id} ${c.openid}`));
    for (const b of buyers) {
      const side = holders.has(`${b.account_id} ${b.openid}`) ? sides.members : sides.others;
      side.buyers++;
      side.orders += b.orders;
      side.spend += b.spend;
    }
    const last = buyers.at(-1);
    after = last ? `${last.account_id} ${last.openid}` : after;
    if (buyers.length < PAGE) {
      complete = true;
      break;
    }
  }
  const per = (s: { buyers: number; spend: number }) => (s.buyers > 0 ? Math.round(s.spend / s.buyers) : 0);
  const memberPer = per(sides.members);
  const otherPer = per(sides.others);
  return {
    days,
    members: { ...sides.members, per_buyer: memberPer },
    others: { ...sides.others, per_buyer: otherPer },
    // Members' spend per buyer over others', to 2 decimals; null until both sides bought.
    ratio: memberPer > 0 && otherPer > 0 ? Math.round((memberPer / otherPer) * 100) / 100 : null,
    complete,
  };
}
