import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { expiringMap } from '../../platform/cache/cache.ts';
import { inTransaction, isUniqueViolation } from '../../platform/db/database.ts';
import { AppError, badRequest, conflict, notFound } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import { getProduct } from '../catalog/index.ts';
import { buyerOf, listAddresses } from '../orders/index.ts';
import {
  forgetGate,
  GATE,
  type GateAnswer,
  giveBackToGate,
  loadGate,
  markReserved,
  readGate,
  takeFromGate,
} from './flash-gate.ts';
import { AlreadyInDb, MAX_WRITERS, SoldOutInDb, winnerWriter } from './flash-winners.ts';
import type { FlashSalesTable } from './marketing.schema.ts';

export const SALE = { zh: '秒杀活动', en: 'Flash sale' };
export const FLASH_REMINDER_JOB = 'marketing.flash_reminder';

export interface SaleInput {
  title: string;
  sku_id: string;
  product_id: string;
  price: number;
  stock: number;
  opens_at: number;
  closes_at: number;
  per_buyer_limit?: number;
  requires_reservation?: boolean;
  remind_before_minutes?: number;
}

export async function createSale(ctx: Ctx, input: SaleInput): Promise<FlashSalesTable> {
  requireRole(ctx, 'operator');
  const product = await getProduct(ctx, input.product_id);
  const sku = product.skus.find((s) => s.id === input.sku_id);
  if (!sku) throw notFound({ zh: 'SKU', en: 'SKU' });
  if (product.kind !== 'goods') throw badRequest('not_goods', '秒杀仅支持实物商品', 'Flash sales sell goods');
  if (!Number.isSafeInteger(input.price) || input.price < 1 || input.price > sku.price)
    throw badRequest(
      'invalid_price',
      '秒杀价须在 1 分到原价之间',
      'The sale price must be between 1 fen and the SKU price',
    );
  if (input.closes_at <= input.opens_at)
    throw badRequest('invalid_dates', '结束时间须晚于开始时间', 'The sale must close after it opens');
  if (input.stock > sku.stock)
    throw badRequest(
      'not_enough_stock',
      `该规格库存只有 ${sku.stock}`,
      `The SKU has only ${sku.stock} in stock`,
    );
  const row: FlashSalesTable = {
    id: newId('fls', ctx.now),
    merchant_id: ctx.merchantId,
    title: input.title.trim().slice(0, 60),
    product_id: product.id,
    sku_id: sku.id,
    price: input.price,
    stock: input.stock,
    sold: 0,
    paid: 0,
    returned: 0,
    per_buyer_limit: input.per_buyer_limit ?? 1,
    requires_reservation: input.requires_reservation ? 1 : 0,
    opens_at: input.opens_at,
    closes_at: input.closes_at,
    remind_before_ms: (input.remind_before_minutes ?? 0) * 60_000,
    created_at: ctx.now,
    updated_at: ctx.now,
  };
  await inTransaction(ctx.db, async (trx) => {
    await trx.insertInto('flash_sales').values(row).execute();
    if (row.remind_before_ms > 0 && row.opens_at - row.remind_before_ms > ctx.now) {
      await enqueueJob(
        trx,
        {
          type: FLASH_REMINDER_JOB,
          key: `${row.id}:start`,
          merchantId: ctx.merchantId,
          payload: { saleId: row.id, after: '' },
          runAt: row.opens_at - row.remind_before_ms,
        },
        ctx.now,
      );
    }
  });
  return row;
}

export async function getSale(ctx: Pick<Ctx, 'db' | 'merchantId'>, id: string): Promise<FlashSalesTable> {
  const row = await ctx.db
    .selectFrom('flash_sales')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound(SALE);
  return row;
}

export async function listSales(ctx: Ctx) {
  return ctx.db
    .selectFrom('flash_sales')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .orderBy('opens_at', 'desc')
    .limit(100)
    .execute();
}

/** The sale row for the hot path: a second-old copy is fine, the gate holds the live numbers. */
async function cachedSale(ctx: Ctx, id: string): Promise<FlashSalesTable> {
  const cache = ctx.deps.local.slot('marketing.flash_sales', () => expiringMap<FlashSalesTable | null>(1000));
  const key = `${ctx.merchantId}:${id}`;
  let sale = cache.get(key, ctx.now);
  if (sale === undefined) {
    sale = await getSale(ctx, id).catch(() => null);
    cache.set(key, sale, ctx.now);
  }
  if (!sale) throw notFound(SALE);
  return sale;
}

/** Builds the gate from the database; concurrent attempts of this process wait for one load. */
async function ensureLoaded(ctx: Ctx, saleId: string): Promise<void> {
  const loading = ctx.deps.local.slot('marketing.flash_loading', () => new Map<string, Promise<void>>());
  let pending = loading.get(saleId);
  if (!pending) {
    pending = (async () => {
      const sale = await getSale(ctx, saleId);
      const [buyers, reserved] = await Promise.all([
        ctx.db
          .selectFrom('flash_passes')
          .select((eb) => ['openid', eb.fn.countAll<number>().as('n')])
          .where('sale_id', '=', saleId)
          .where('status', '!=', 'returned')
          .groupBy('openid')
          .execute(),
        sale.requires_reservation
          ? ctx.db.selectFrom('flash_reservations').select('openid').where('sale_id', '=', saleId).execute()
          : Promise.resolve([]),
      ]);
      await loadGate(
        ctx,
        sale,
        buyers.map((b) => ({ openid: b.openid, n: Number(b.n) })),
        reserved.map((r) => r.openid),
      );
    })().finally(() => loading.delete(saleId));
    loading.set(saleId, pending);
  }
  await pending;
}

/** The fan reserves (one tap from chat or a broadcast link); only reserved fans may buy when the sale requires it. */
export async function reserve(ctx: Ctx, saleId: string): Promise<{ reserved: true }> {
  const { openid, accountId } = buyerOf(ctx);
  const sale = await getSale(ctx, saleId);
  if (ctx.now >= sale.closes_at) throw conflict('sale_closed', '活动已结束', 'The sale has closed');
  await ctx.db
    .insertInto('flash_reservations')
    .values({
      sale_id: sale.id,
      merchant_id: ctx.merchantId,
      openid,
      account_id: accountId,
      created_at: ctx.now,
    })
    .onConflict((oc) => oc.columns(['sale_id', 'openid']).doNothing())
    .execute();
  await markReserved(ctx, sale.id, openid);
  return { reserved: true };
}

/**
 * Answers the gate gave lately, remembered in-process so that a spike's losers cost not even a
 * gate call: "sold out" for a second (a unit given back reaches waiting fans a second later at
 * most) and "already bought" for a minute (only that buyer's own returned unit waits that long).
 * Both are only ever refusals: no order, and no unit, comes from here. A unit returned by this
 * process clears both at once.
 */
function knownLosers(ctx: Pick<Ctx, 'deps'>) {
  return ctx.deps.local.slot('marketing.flash_losers', () => ({
    soldOut: expiringMap<true>(1_000, 1_000),
    holding: expiringMap<true>(60_000, 250_000),
  }));
}

export type BuyResult =
  | { result: 'got'; order_id: string; total: number }
  | { result: 'sold_out' | 'already_bought' | 'not_reserved' | 'not_open' | 'closed' | 'busy' };

const ANSWER: Record<Exclude<GateAnswer, 0 | -1>, Exclude<BuyResult['result'], 'got' | 'busy'>> = {
  [GATE.soldOut]: 'sold_out',
  [GATE.already]: 'already_bought',
  [GATE.notReserved]: 'not_reserved',
  [GATE.notOpen]: 'not_open',
  [GATE.closed]: 'closed',
};

/**
 * One buy attempt. The gate answers every loser without the database; a winner gets an order
 * (the sale price as an adjustment, stock held until the unpaid timeout) and a pass recorded in
 * the same transaction. If the order cannot be written, the unit goes back to the gate.
 */
export async function buy(
  ctx: Ctx,
  saleId: string,
  input: {
    address_id?: string;
    address?: { name: string; phone: string; region: string; detail: string };
  } = {},
): Promise<BuyResult> {
  const { openid } = buyerOf(ctx);
  const sale = await cachedSale(ctx, saleId);
  const losers = knownLosers(ctx);
  if (losers.holding.get(`${sale.id}:${openid}`, ctx.now)) return { result: 'already_bought' };
  if (losers.soldOut.get(sale.id, ctx.now)) return { result: 'sold_out' };
  let answer = await takeFromGate(ctx, sale, openid, ctx.now);
  if (answer === GATE.unloaded) {
    await ensureLoaded(ctx, sale.id);
    answer = await takeFromGate(ctx, sale, openid, ctx.now);
  }
  if (answer === GATE.unloaded) return { result: 'busy' };
  if (answer === GATE.soldOut) losers.soldOut.set(sale.id, true, ctx.now);
  if (answer === GATE.already) losers.holding.set(`${sale.id}:${openid}`, true, ctx.now);
  if (answer !== GATE.got) return { result: ANSWER[answer] };

  const writers = ctx.deps.local.slot('marketing.flash_writers', () => ({ n: 0 }));
  if (writers.n >= MAX_WRITERS) {
    await giveBackToGate(ctx, sale.id, openid);
    return { result: 'busy' };
  }
  writers.n++;
  try {
    const address =
      input.address_id || input.address ? input : { address_id: (await listAddresses(ctx))[0]?.id };
    const order = await winnerWriter(ctx)({ ctx, sale, openid, address });
    if (sale.per_buyer_limit === 1) losers.holding.set(`${sale.id}:${openid}`, true, ctx.now);
    return { result: 'got', order_id: order.id, total: order.total };
  } catch (error) {
    // The gate thought a unit was left and the database knows none is: the unit does not exist,
    // so it is not given back (that would make the gate disagree with the database once more).
    if (error instanceof SoldOutInDb || (error instanceof AppError && error.code === 'out_of_stock'))
      return { result: 'sold_out' };
    await giveBackToGate(ctx, sale.id, openid);
    if (error instanceof AlreadyInDb || isUniqueViolation(error)) return { result: 'already_bought' };
    throw error;
  } finally {
    writers.n--;
  }
}

/** An unpaid winner's order was cancelled: the unit returns to the sale and to the gate, for waiting fans. */
export async function returnUnit(ctx: Ctx, orderId: string): Promise<boolean> {
  const pass = await inTransaction(ctx.db, async (trx) => {
    const row = await trx
      .selectFrom('flash_passes')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('order_id', '=', orderId)
      .where('status', '=', 'held')
      .executeTakeFirst();
    if (!row) return null;
    const moved = await trx
      .updateTable('flash_passes')
      .set({ status: 'returned', seq: null, updated_at: ctx.now })
      .where('id', '=', row.id)
      .where('status', '=', 'held')
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) === 0) return null;
    await trx
      .updateTable('flash_sales')
      .set((eb) => ({ sold: eb('sold', '-', 1), returned: eb('returned', '+', 1), updated_at: ctx.now }))
      .where('id', '=', row.sale_id)
      .execute();
    return row;
  });
  if (!pass) return false;
  await giveBackToGate(ctx, pass.sale_id, pass.openid);
  const losers = knownLosers(ctx);
  losers.soldOut.delete(pass.sale_id);
  losers.holding.delete(`${pass.sale_id}:${pass.openid}`);
  return true;
}

export async function passPaid(ctx: Ctx, orderId: string): Promise<void> {
  await inTransaction(ctx.db, async (trx) => {
    const moved = await trx
      .updateTable('flash_passes')
      .set({ status: 'paid', updated_at: ctx.now })
      .where('merchant_id', '=', ctx.merchantId)
      .where('order_id', '=', orderId)
      .where('status', '=', 'held')
      .returning('sale_id')
      .executeTakeFirst();
    if (!moved) return;
    await trx
      .updateTable('flash_sales')
      .set((eb) => ({ paid: eb('paid', '+', 1), updated_at: ctx.now }))
      .where('id', '=', moved.sale_id)
      .execute();
  });
}

/** The live board: sold (held by orders), paid, waiting for payment, returned, left, and the gate's view. */
export async function saleBoard(ctx: Ctx, saleId: string) {
  const sale = await getSale(ctx, saleId);
  const [gate, reservations] = await Promise.all([
    readGate(ctx, sale.id),
    ctx.db
      .selectFrom('flash_reservations')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('sale_id', '=', sale.id)
      .executeTakeFirstOrThrow(),
  ]);
  return {
    sale_id: sale.id,
    stock: sale.stock,
    sold: sale.sold,
    paid: sale.paid,
    awaiting_payment: sale.sold - sale.paid,
    returned: sale.returned,
    left: sale.stock - sale.sold,
    gate_left: gate.left,
    attempts: gate.attempts,
    reservations: Number(reservations.n),
    now: ctx.now,
  };
}

/** Rebuilds the gate from the database (after Redis was lost or a process died mid-sale). */
export async function resyncGate(ctx: Ctx, saleId: string) {
  requireRole(ctx, 'operator');
  const sale = await getSale(ctx, saleId);
  await forgetGate(ctx, sale.id);
  await ensureLoaded(ctx, sale.id);
  return saleBoard(ctx, sale.id);
}
