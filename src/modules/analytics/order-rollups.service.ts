import { sql } from 'kysely';
import { type Ctx, merchantCtx } from '../../context.ts';
import type { Db } from '../../database.ts';
import type { AppDeps } from '../../deps.ts';
import { positionIn } from '../../platform/db/cursor-table.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { DAY_MS, type DayRange, fillDays, zoneOffsetMs } from '../../platform/db/day-buckets.ts';
import { idFloor } from '../../platform/ids.ts';
import { orderFacts } from '../orders/index.ts';
import { getMerchant } from '../tenants/index.ts';
import type { AnalyticsOrderFactsTable } from './analytics.schema.ts';

type Order = Awaited<ReturnType<typeof orderFacts>>[number];
type Fact = AnalyticsOrderFactsTable;

const CANCEL_COLUMNS = {
  unpaid_timeout: 'cancel_unpaid_timeout',
  buyer: 'cancel_buyer',
  merchant: 'cancel_merchant',
} as const;
type Counter =
  | 'placed'
  | 'cohort_paid'
  | 'cohort_pending'
  | 'cancel_unpaid_timeout'
  | 'cancel_buyer'
  | 'cancel_merchant'
  | 'cancel_other'
  | 'paid'
  | 'sales';
const COUNTERS: Counter[] = [
  'placed',
  'cohort_paid',
  'cohort_pending',
  'cancel_unpaid_timeout',
  'cancel_buyer',
  'cancel_merchant',
  'cancel_other',
  'paid',
  'sales',
];

const localDay = (at: number, timeZone: string) => Math.floor((at + zoneOffsetMs(timeZone, at)) / DAY_MS);

/**
 * What an order adds now, as the funnel counts it: placed on its day; paid (paid, or cash on
 * delivery not cancelled), still pending, or cancelled unpaid with the reason, on the day placed;
 * one paid order and its total on the day paid.
 */
function factOf(order: Order, timeZone: string): Fact {
  return {
    order_id: order.id,
    merchant_id: order.merchant_id,
    account_id: order.account_id,
    placed_day: localDay(order.created_at, timeZone),
    paid_day: order.paid_at === null ? null : localDay(Number(order.paid_at), timeZone),
    cohort_paid:
      order.paid_at !== null || (order.payment_method === 'cod' && order.status !== 'cancelled') ? 1 : 0,
    cohort_pending: order.status === 'pending_payment' ? 1 : 0,
    cancel_reason: order.status === 'cancelled' ? (order.cancel_reason ?? 'unknown') : null,
    sales: order.paid_at === null ? 0 : Number(order.total),
  };
}

interface DayDelta {
  merchant_id: string;
  account_id: string;
  day: number;
  counts: Record<Counter, number>;
}
type Deltas = Map<string, DayDelta>;

/** The counters a fact adds per account and day, times `sign`, merged into `into`. */
function addFact(into: Deltas, fact: Fact, sign: 1 | -1): void {
  const day = (d: number) => {
    const key = `${fact.account_id}|${d}`;
    const entry = into.get(key) ?? {
      merchant_id: fact.merchant_id,
      account_id: fact.account_id,
      day: d,
      counts: Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<Counter, number>,
    };
    into.set(key, entry);
    return entry.counts;
  };
  const placed = day(fact.placed_day);
  placed.placed += sign;
  placed.cohort_paid += sign * fact.cohort_paid;
  placed.cohort_pending += sign * fact.cohort_pending;
  if (fact.cancel_reason !== null) {
    const column =
      CANCEL_COLUMNS[fact.cancel_reason as keyof typeof CANCEL_COLUMNS] ?? ('cancel_other' as const);
    placed[column] += sign;
  }
  if (fact.paid_day !== null) {
    const paid = day(fact.paid_day);
    paid.paid += sign;
    paid.sales += sign * Number(fact.sales);
  }
}

const sameFact = (a: Fact, b: Fact) =>
  a.placed_day === b.placed_day &&
  a.paid_day === b.paid_day &&
  a.cohort_paid === b.cohort_paid &&
  a.cohort_pending === b.cohort_pending &&
  a.cancel_reason === b.cancel_reason &&
  Number(a.sales) === Number(b.sales);

async function writeDeltas(db: Db, deltas: Deltas): Promise<void> {
  for (const { merchant_id, account_id, day, counts } of deltas.values()) {
    if (COUNTERS.every((c) => counts[c] === 0)) continue;
    await db
      .insertInto('analytics_order_days')
      .values({ merchant_id, account_id, day, ...counts })
      .onConflict((oc) =>
        oc
          .columns(['account_id', 'day'])
          .doUpdateSet(
            Object.fromEntries(
              COUNTERS.map((c) => [c, sql`analytics_order_days.${sql.ref(c)} + excluded.${sql.ref(c)}`]),
            ),
          ),
      )
      .execute();
  }
}

/**
 * Replaces an order's fact with `fact` if it changed, by compare-and-set (two writers never both
 * apply one change), and adds the difference to `deltas`. False when another writer won: retry.
 */
async function swapFact(trx: Db, fact: Fact, deltas: Deltas): Promise<boolean> {
  const old = await trx
    .selectFrom('analytics_order_facts')
    .selectAll()
    .where('order_id', '=', fact.order_id)
    .executeTakeFirst();
  if (old && sameFact(old, fact)) return true;
  if (!old) {
    const inserted = await trx
      .insertInto('analytics_order_facts')
      .values(fact)
      .onConflict((oc) => oc.column('order_id').doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return false;
  } else {
    let update = trx
      .updateTable('analytics_order_facts')
      .set(fact)
      .where('order_id', '=', fact.order_id)
      .where('placed_day', '=', old.placed_day)
      .where('cohort_paid', '=', old.cohort_paid)
      .where('cohort_pending', '=', old.cohort_pending)
      .where('sales', '=', old.sales);
    update =
      old.paid_day === null
        ? update.where('paid_day', 'is', null)
        : update.where('paid_day', '=', old.paid_day);
    update =
      old.cancel_reason === null
        ? update.where('cancel_reason', 'is', null)
        : update.where('cancel_reason', '=', old.cancel_reason);
    if (Number((await update.executeTakeFirst()).numUpdatedRows) === 0) return false;
    addFact(deltas, old, -1);
  }
  addFact(deltas, fact, 1);
  return true;
}

/**
 * Brings the rollups in line with orders as they are now: the difference between what each added
 * before and what it adds now is applied, so hearing an event twice (or late, or out of order)
 * changes nothing more. One transaction for the batch; an order another writer changed meanwhile
 * is retried on its own.
 */
export async function applyOrders(db: Db, orders: Order[], timeZoneOf: (merchantId: string) => string) {
  let contested: Order[] = [];
  await inTransaction(db, async (trx) => {
    const deltas: Deltas = new Map();
    for (const order of orders)
      if (!(await swapFact(trx, factOf(order, timeZoneOf(order.merchant_id)), deltas))) contested.push(order);
    await writeDeltas(trx, deltas);
  });
  while (contested.length) {
    const again: Order[] = [];
    for (const order of contested)
      await inTransaction(db, async (trx) => {
        const deltas: Deltas = new Map();
        if (await swapFact(trx, factOf(order, timeZoneOf(order.merchant_id)), deltas))
          await writeDeltas(trx, deltas);
        else again.push(order);
      });
    contested = again;
  }
}

/** An order event was heard: the order is read fresh (jobs carry ids) and its rollups brought in line. */
export async function orderChanged(ctx: Ctx, orderId: string): Promise<void> {
  const [order] = await orderFacts(ctx.db, { merchantId: ctx.merchantId, ids: [orderId] });
  if (!order) return;
  const merchant = await getMerchant(ctx);
  await applyOrders(ctx.db, [order], () => merchant.timezone);
}

const BACKFILL_CURSOR = 'orders_backfill';
const BACKFILL_DONE = '~done';
const BACKFILL_BATCH = 1000;

/**
 * Walks every order once (orders from before the rollups existed), resuming where it stopped;
 * applying an order twice changes nothing, so a crash mid-way is harmless.
 */
export async function backfillOrders(deps: AppDeps): Promise<number> {
  const position = positionIn(deps.db, deps.clock, 'analytics_cursors', BACKFILL_CURSOR);
  const saved = await position.load();
  if (saved === BACKFILL_DONE) return 0;
  let cursor = saved ?? idFloor('ord', 0);
  const zones = new Map<string, string>();
  let applied = 0;
  for (;;) {
    const page = await orderFacts(deps.db, { afterId: cursor, limit: BACKFILL_BATCH });
    for (const order of page)
      if (!zones.has(order.merchant_id))
        zones.set(order.merchant_id, (await getMerchant(merchantCtx(deps, order.merchant_id))).timezone);
    await applyOrders(deps.db, page, (merchantId) => zones.get(merchantId)!);
    applied += page.length;
    cursor = page.length < BACKFILL_BATCH ? BACKFILL_DONE : page.at(-1)!.id;
    await position.save(cursor);
    if (cursor === BACKFILL_DONE) return applied;
  }
}

/** Orders placed, paid and sales per local day, and the placed-cohort funnel, from the rollups. */
export async function orderDays(ctx: Ctx, range: DayRange) {
  const first = Math.floor((range.from + range.offsetMs) / DAY_MS);
  const last = Math.floor((range.to - 1 + range.offsetMs) / DAY_MS);
  let query = ctx.db
    .selectFrom('analytics_order_days')
    .select((eb) => ['day', ...COUNTERS.map((c) => eb.fn.sum<number>(c).as(c))])
    .where('merchant_id', '=', ctx.merchantId)
    .where('day', '>=', first)
    .where('day', '<=', last)
    .groupBy('day');
  if (range.account_id) query = query.where('account_id', '=', range.account_id);
  const rows = (await query.execute()) as unknown as Array<{ day: number } & Record<Counter, unknown>>;
  const series = (column: Counter) =>
    fillDays(
      rows.map((r) => ({ day: Number(r.day), value: Number(r[column] ?? 0) })),
      range.from,
      range.to,
      range.offsetMs,
    );
  const total = (column: Counter) => rows.reduce((sum, r) => sum + Number(r[column] ?? 0), 0);
  const placed = total('placed');
  const paid = total('cohort_paid');
  const reasons: Record<string, number> = {};
  for (const [reason, column] of [
    ...Object.entries(CANCEL_COLUMNS),
    ['unknown', 'cancel_other'] as const,
  ] as Array<[string, Counter]>) {
    const n = total(column);
    if (n > 0) reasons[reason] = n;
  }
  const cancelled = Object.values(reasons).reduce((a, b) => a + b, 0);
  return {
    orders: {
      placed_by_day: series('placed'),
      paid_by_day: series('paid'),
      sales_by_day: series('sales'),
    },
    funnel: {
      placed,
      paid,
      pending: total('cohort_pending'),
      cancelled_unpaid: cancelled,
      cancel_reasons: reasons,
      paid_rate: placed ? Math.round((paid / placed) * 1000) / 1000 : null,
    },
  };
}
