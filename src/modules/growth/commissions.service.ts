import type { Ctx } from '../../context.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { conflict } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import { getProduct } from '../catalog/index.ts';
import type { OrderView } from '../orders/index.ts';
import type {
  CommissionKind,
  DistCommissionsTable,
  DistRulesTable,
  LedgerKind,
} from './distribution.schema.ts';
import { DAY_MS, type DistSettings, distSettings } from './distribution.settings.ts';
import { becomeDistributor, bindingHolds, bindingOf, flag, getDistributor } from './distributors.service.ts';

export const DIST_SETTLE_JOB = 'growth.dist_settle';

type Rate = { kind: CommissionKind; level1: number; level2: number };

/** Percent rates are basis points; fixed rates are fen per unit, never more than the line paid. */
export function lineCommission(rate: Rate, level: 1 | 2, paid: number, quantity: number): number {
  const r = level === 1 ? rate.level1 : rate.level2;
  if (rate.kind === 'percent') return Math.floor((paid * r) / 10_000);
  return Math.min(paid, r * quantity);
}

/**
 * What the buyer paid for each line: the order's discount spread over lines by their share of the
 * items (largest remainder to the last line), shipping excluded. Sums to items_total − discount.
 */
export function paidPerLine(order: Pick<OrderView, 'items_total' | 'discount' | 'items'>): number[] {
  const itemsTotal = Number(order.items_total);
  const discount = Math.min(Number(order.discount), itemsTotal);
  let left = itemsTotal - discount;
  return order.items.map((item, i) => {
    if (i === order.items.length - 1) return Math.max(0, left);
    const share =
      itemsTotal > 0 ? Math.floor((Number(item.subtotal) * (itemsTotal - discount)) / itemsTotal) : 0;
    left -= share;
    return share;
  });
}

async function rulesFor(ctx: Pick<Ctx, 'db' | 'merchantId'>, order: OrderView, settings: DistSettings) {
  const rules = await ctx.db
    .selectFrom('growth_dist_rules')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .execute();
  const byProduct = new Map(rules.filter((r) => r.scope === 'product').map((r) => [r.ref, r]));
  const byCategory = new Map(rules.filter((r) => r.scope === 'category').map((r) => [r.ref, r]));
  const fallback: Rate = {
    kind: settings.default_kind,
    level1: settings.default_level1,
    level2: settings.default_level2,
  };
  const categories = new Map<string, string | null>();
  if (byCategory.size > 0) {
    for (const id of new Set(order.items.map((i) => i.product_id))) {
      const product = await getProduct(ctx, id).catch(() => null);
      categories.set(id, product?.category ?? null);
    }
  }
  const asRate = (r: DistRulesTable): Rate => ({
    kind: r.kind,
    level1: Number(r.level1),
    level2: Number(r.level2),
  });
  return (productId: string): Rate => {
    const product = byProduct.get(productId);
    if (product) return asRate(product);
    const category = categories.get(productId);
    const byCat = category ? byCategory.get(category) : undefined;
    return byCat ? asRate(byCat) : fallback;
  };
}

/**
 * A paid order earns its referrers' commissions, pending until the refund window closes. Level 1
 * is the distributor the buyer is bound to; level 2 their parent, when the merchant pays two
 * levels. Nobody earns on their own purchase. Keyed by (order, level): a second delivery of the
 * event writes nothing. A package product in the order makes the buyer a distributor.
 */
export async function accrueCommissions(ctx: Ctx, order: OrderView): Promise<DistCommissionsTable[]> {
  const settings = await distSettings(ctx);
  if (!settings.enabled || order.paid_at === null) return [];
  // The refund's event may have run before this one: a refunding order earns nothing.
  if (order.status === 'refunding' || order.status === 'refunded' || order.status === 'cancelled') return [];
  if (
    settings.join_mode === 'package' &&
    settings.package_product_id &&
    order.items.some((i) => i.product_id === settings.package_product_id)
  )
    await becomeDistributor(ctx, { accountId: order.account_id, openid: order.openid }, 'package');
  const binding = await bindingOf(ctx, order.account_id, order.openid);
  if (!binding || !bindingHolds(binding, Number(order.paid_at))) return [];
  const first = await getDistributor(ctx, binding.distributor_id);
  const beneficiaries: Array<{ level: 1 | 2; id: string; openid: string; status: string }> = [
    { level: 1, id: first.id, openid: first.openid, status: first.status },
  ];
  if (settings.levels === 2 && first.parent_id) {
    const second = await getDistributor(ctx, first.parent_id);
    beneficiaries.push({ level: 2, id: second.id, openid: second.openid, status: second.status });
  }
  const rateOf = await rulesFor(ctx, order, settings);
  const paid = paidPerLine(order);
  const base = paid.reduce((a, b) => a + b, 0);
  const settleAfter = Number(order.paid_at) + settings.refund_window_days * DAY_MS;
  const rows: DistCommissionsTable[] = [];
  for (const b of beneficiaries) {
    if (b.status !== 'active') continue;
    if (b.openid === order.openid) {
      await flag(ctx, b.id, 'self_purchase', `no commission on own order ${order.id}`);
      continue;
    }
    const amount = order.items.reduce(
      (sum, item, i) =>
        sum + lineCommission(rateOf(item.product_id), b.level, paid[i]!, Number(item.quantity)),
      0,
    );
    if (amount <= 0) continue;
    rows.push({
      id: newId('dcm', ctx.now),
      merchant_id: ctx.merchantId,
      order_id: order.id,
      distributor_id: b.id,
      level: b.level,
      account_id: order.account_id,
      buyer_openid: order.openid,
      base,
      amount,
      status: 'pending',
      settle_after: settleAfter,
      created_at: ctx.now,
      settled_at: null,
      reversed_at: null,
    });
  }
  if (rows.length === 0) return [];
  return inTransaction(ctx.db, async (trx) => {
    const inserted = await trx
      .insertInto('growth_dist_commissions')
      .values(rows)
      .onConflict((oc) => oc.columns(['merchant_id', 'order_id', 'level']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return [];
    await enqueueJob(
      trx,
      {
        type: DIST_SETTLE_JOB,
        key: order.id,
        merchantId: ctx.merchantId,
        runAt: settleAfter,
        payload: { orderId: order.id },
      },
      ctx.now,
    );
    return rows;
  });
}

/**
 * Adds a signed amount to a distributor's ledger and balance in the caller's transaction. The
 * (kind, ref) key makes a retry write nothing; the guard keeps the balance from going below zero
 * whatever runs at the same time. Returns false when the entry was already there.
 */
export async function moveBalance(
  trx: Pick<Ctx, 'db' | 'merchantId' | 'now'>,
  entry: { distributorId: string; kind: LedgerKind; amount: number; ref: string },
): Promise<boolean> {
  if (!trx.db.isTransaction) throw new Error('moveBalance needs a transaction');
  const inserted = await trx.db
    .insertInto('growth_dist_ledger')
    .values({
      id: newId('dlg', trx.now),
      merchant_id: trx.merchantId,
      distributor_id: entry.distributorId,
      kind: entry.kind,
      amount: entry.amount,
      ref: entry.ref,
      created_at: trx.now,
    })
    .onConflict((oc) => oc.columns(['kind', 'ref']).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return false;
  const updated = await trx.db
    .updateTable('growth_distributors')
    .set((eb) => ({ balance: eb('balance', '+', entry.amount), updated_at: trx.now }))
    .where('merchant_id', '=', trx.merchantId)
    .where('id', '=', entry.distributorId)
    .where((eb) => eb(eb('balance', '+', entry.amount), '>=', 0))
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0)
    throw conflict('insufficient_balance', '可提现余额不足', 'Not enough settled balance');
  return true;
}

/** Settles pending commissions whose window has closed (of one order, or any): each into its ledger once. */
export async function settleCommissions(
  ctx: Ctx,
  filter: { orderId?: string; limit?: number } = {},
): Promise<number> {
  let query = ctx.db
    .selectFrom('growth_dist_commissions')
    .select(['id', 'distributor_id', 'amount'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('status', '=', 'pending')
    .where('settle_after', '<=', ctx.now);
  if (filter.orderId) query = query.where('order_id', '=', filter.orderId);
  const due = await query
    .orderBy('id')
    .limit(filter.limit ?? 500)
    .execute();
  if (due.length === 0) return 0;
  // One statement per step for the whole batch: the status move is the guard (a commission a
  // concurrent sweep or refund already moved is not returned), then its ledger rows, then each
  // distributor's balance by the sum of theirs, all in one transaction.
  return inTransaction(ctx.db, async (trx) => {
    const moved = await trx
      .updateTable('growth_dist_commissions')
      .set({ status: 'settled', settled_at: ctx.now })
      .where(
        'id',
        'in',
        due.map((c) => c.id),
      )
      .where('status', '=', 'pending')
      .returning(['id', 'distributor_id', 'amount'])
      .execute();
    if (moved.length === 0) return 0;
    await trx
      .insertInto('growth_dist_ledger')
      .values(
        moved.map((c) => ({
          id: newId('dlg', ctx.now),
          merchant_id: ctx.merchantId,
          distributor_id: c.distributor_id,
          kind: 'commission' as const,
          amount: Number(c.amount),
          ref: c.id,
          created_at: ctx.now,
        })),
      )
      .execute();
    const sums = new Map<string, number>();
    for (const c of moved) sums.set(c.distributor_id, (sums.get(c.distributor_id) ?? 0) + Number(c.amount));
    for (const [distributorId, amount] of sums)
      await trx
        .updateTable('growth_distributors')
        .set((eb) => ({ balance: eb('balance', '+', amount), updated_at: ctx.now }))
        .where('merchant_id', '=', ctx.merchantId)
        .where('id', '=', distributorId)
        .execute();
    return moved.length;
  });
}

/**
 * A refund (requested or done) reverses the order's commissions that are still pending. Once the
 * window has closed and a commission settled, it stays: that is what the window is for.
 */
export async function reverseCommissions(ctx: Ctx, orderId: string): Promise<number> {
  const moved = await ctx.db
    .updateTable('growth_dist_commissions')
    .set({ status: 'reversed', reversed_at: ctx.now })
    .where('merchant_id', '=', ctx.merchantId)
    .where('order_id', '=', orderId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(moved.numUpdatedRows);
}

export async function listCommissions(
  ctx: Ctx,
  filter: { distributor_id?: string; status?: string; limit: number; cursor?: string },
) {
  let query = ctx.db
    .selectFrom('growth_dist_commissions')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId);
  if (filter.distributor_id) query = query.where('distributor_id', '=', filter.distributor_id);
  if (filter.status) query = query.where('status', '=', filter.status as DistCommissionsTable['status']);
  if (filter.cursor) query = query.where('id', '<', filter.cursor);
  const rows = await query
    .orderBy('id', 'desc')
    .limit(filter.limit + 1)
    .execute();
  const items = rows
    .slice(0, filter.limit)
    .map((r) => ({ ...r, base: Number(r.base), amount: Number(r.amount) }));
  return { items, next_cursor: rows.length > filter.limit ? (items.at(-1)?.id ?? null) : null };
}

/** A distributor's statement: totals by state, the ledger (newest first) and the balance it sums to. */
export async function statement(ctx: Ctx, distributorId: string) {
  const distributor = await getDistributor(ctx, distributorId);
  const totals = await ctx.db
    .selectFrom('growth_dist_commissions')
    .select((eb) => ['status', eb.fn.sum<number>('amount').as('s')])
    .where('merchant_id', '=', ctx.merchantId)
    .where('distributor_id', '=', distributorId)
    .groupBy('status')
    .execute();
  const of = (s: string) => Number(totals.find((t) => t.status === s)?.s ?? 0);
  const ledger = await ctx.db
    .selectFrom('growth_dist_ledger')
    .select(['id', 'kind', 'amount', 'ref', 'created_at'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('distributor_id', '=', distributorId)
    .orderBy('id', 'desc')
    .limit(200)
    .execute();
  const { sum } = await ctx.db
    .selectFrom('growth_dist_ledger')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('amount'), eb.lit(0)).as('sum'))
    .where('merchant_id', '=', ctx.merchantId)
    .where('distributor_id', '=', distributorId)
    .executeTakeFirstOrThrow();
  return {
    distributor_id: distributorId,
    pending: of('pending'),
    settled: of('settled'),
    reversed: of('reversed'),
    balance: Number(distributor.balance),
    ledger_sum: Number(sum),
    ledger: ledger.map((l) => ({ ...l, amount: Number(l.amount) })),
  };
}

/** Distributors whose balance differs from their ledger's sum (0 unless something is broken). */
export async function reconcileLedger(
  ctx: Pick<Ctx, 'db' | 'merchantId'>,
): Promise<{ mismatched: number; balance: number; ledger: number }> {
  const sums = await ctx.db
    .selectFrom('growth_dist_ledger')
    .select((eb) => ['distributor_id', eb.fn.sum<number>('amount').as('s')])
    .where('merchant_id', '=', ctx.merchantId)
    .groupBy('distributor_id')
    .execute();
  const byId = new Map(sums.map((s) => [s.distributor_id, Number(s.s)]));
  const rows = await ctx.db
    .selectFrom('growth_distributors')
    .select(['id', 'balance'])
    .where('merchant_id', '=', ctx.merchantId)
    .execute();
  let mismatched = 0;
  let balance = 0;
  for (const r of rows) {
    balance += Number(r.balance);
    if (Number(r.balance) !== (byId.get(r.id) ?? 0)) mismatched++;
  }
  const ledger = [...byId.values()].reduce((a, b) => a + b, 0);
  return { mismatched, balance, ledger };
}
