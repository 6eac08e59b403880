import type { Db } from '../../database.ts';
import type { DialectName } from '../../platform/db/database.ts';
import { inTransaction, isUniqueViolation } from '../../platform/db/database.ts';
import { type DayRange, dayOf, fillDays } from '../../platform/db/day-buckets.ts';
import { AppError, badRequest, conflict, notFound } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import { sumFen } from '../../platform/money.ts';
import { OutOfStockError, returnStock, specText, takeStock } from '../catalog/products.service.ts';
import type { OrderItemsTable, OrderStatus, OrdersTable, PaymentMethod } from './orders.schema.ts';
import { shipmentMade } from './reviews.service.ts';

/** Who acts on an order: the buyer (a fan of one account), an operator, or the system. */
export interface OrderCtx {
  db: Db;
  dialect: DialectName;
  merchantId: string;
  now: number;
  actor: string;
}

export interface BuyerCtx extends OrderCtx {
  accountId: string;
  openid: string;
}

export interface AddressInput {
  name: string;
  phone: string;
  region: string;
  detail: string;
}

export interface PlaceOrderInput {
  items: Array<{ sku_id: string; quantity: number }>;
  address?: AddressInput;
  address_id?: string;
  payment_method: PaymentMethod;
  /** What the buyer saw: if the server's total differs, the order is refused, never silently changed. */
  expected_total?: number;
  note?: string;
  source?: string;
  idempotency_key?: string;
}

export interface OrderPolicy {
  codEnabled: boolean;
  remindAfterMs: number;
  cancelAfterMs: number;
}

export type OrderView = Omit<OrdersTable, 'address'> & {
  address: AddressInput | null;
  items: Array<Omit<OrderItemsTable, 'order_id' | 'merchant_id'>>;
};

export const REMIND_UNPAID_JOB = 'orders.remind_unpaid';
export const CANCEL_UNPAID_JOB = 'orders.cancel_unpaid';
export const ORDER_NOTICE_JOB = 'orders.notice';
export const CLOSE_PAYMENT_JOB = 'payments.close';
export const REFUND_JOB = 'payments.refund';

const NOT_FOUND = { zh: '订单', en: 'Order' };
const PHONE = /^1\d{10}$|^0\d{2,3}-?\d{7,8}$/;

/** The transitions an order may take; anything else is refused. */
const TRANSITIONS: Record<OrderStatus, OrderStatus[]> = {
  pending_payment: ['paid', 'cancelled', 'shipped'],
  paid: ['shipped', 'refunding'],
  shipped: ['completed', 'refunding'],
  completed: ['refunding'],
  refunding: ['refunded'],
  cancelled: [],
  refunded: [],
};

function validateAddress(address: AddressInput): void {
  if (!address.name.trim() || !address.region.trim() || !address.detail.trim()) {
    throw badRequest(
      'invalid_address',
      '请填写完整的收货人、地区和详细地址',
      'Name, region and street address are required',
    );
  }
  if (!PHONE.test(address.phone.replace(/\s/g, '')))
    throw badRequest('invalid_phone', '手机号格式不正确', 'Invalid phone number');
}

/**
 * Places an order: prices recomputed from the catalog, stock reserved, the address remembered,
 * reminder and auto-cancel scheduled, all in one transaction. A repeated idempotency key returns
 * the first order.
 */
export async function placeOrder(
  ctx: BuyerCtx,
  policy: OrderPolicy,
  input: PlaceOrderInput,
): Promise<OrderView> {
  if (input.items.length === 0 || input.items.length > 50)
    throw badRequest('invalid_items', '订单需要 1–50 件商品', 'An order needs 1–50 items');
  if (input.payment_method === 'cod' && !policy.codEnabled)
    throw badRequest('cod_disabled', '本店暂不支持货到付款', 'Cash on delivery is not available');
  try {
    return await getOrder(ctx, await insertOrder(ctx, policy, input));
  } catch (error) {
    // Two submits with one idempotency key raced: the loser returns the winner's order.
    if (!input.idempotency_key || !isUniqueViolation(error)) throw error;
    const winner = await ctx.db
      .selectFrom('orders')
      .select('id')
      .where('merchant_id', '=', ctx.merchantId)
      .where('openid', '=', ctx.openid)
      .where('idempotency_key', '=', input.idempotency_key)
      .executeTakeFirstOrThrow();
    return getOrder(ctx, winner.id);
  }
}

async function insertOrder(ctx: BuyerCtx, policy: OrderPolicy, input: PlaceOrderInput): Promise<string> {
  return inTransaction(ctx.db, async (trx) => {
    if (input.idempotency_key) {
      const earlier = await trx
        .selectFrom('orders')
        .select('id')
        .where('merchant_id', '=', ctx.merchantId)
        .where('openid', '=', ctx.openid)
        .where('idempotency_key', '=', input.idempotency_key)
        .executeTakeFirst();
      if (earlier) return earlier.id;
    }
    const skuIds = [...new Set(input.items.map((i) => i.sku_id))];
    const rows = await trx
      .selectFrom('skus')
      .innerJoin('products', 'products.id', 'skus.product_id')
      .select([
        'skus.id',
        'skus.price',
        'skus.spec',
        'products.id as product_id',
        'products.title',
        'products.status',
        'products.kind',
      ])
      .where('skus.merchant_id', '=', ctx.merchantId)
      .where('skus.id', 'in', skuIds)
      .execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    const lines = input.items.map((item) => {
      const sku = byId.get(item.sku_id);
      if (sku?.status !== 'on_sale')
        throw new AppError(409, 'not_on_sale', { zh: '商品已下架', en: 'A product is no longer on sale' });
      if (!Number.isSafeInteger(item.quantity) || item.quantity < 1 || item.quantity > 999) {
        throw badRequest('invalid_quantity', '数量必须是 1–999 的整数', 'Quantity must be 1–999');
      }
      return { sku, quantity: item.quantity, subtotal: sku.price * item.quantity };
    });
    const shipped = lines.some((l) => l.sku.kind === 'goods');
    const address = shipped ? await resolveAddress(trx, ctx, input) : null;
    if (input.payment_method === 'cod' && !shipped)
      throw badRequest('cod_not_for_deals', '团购券不支持货到付款', 'Deals cannot be paid on delivery');
    const itemsTotal = sumFen(lines.map((l) => l.subtotal));
    const shippingFee = 0;
    const total = itemsTotal + shippingFee;
    if (input.expected_total !== undefined && input.expected_total !== total) {
      throw new AppError(409, 'price_changed', {
        zh: `价格已变化，请确认新的金额 ¥${(total / 100).toFixed(2)}`,
        en: `The price changed; the total is now ${total} fen`,
      });
    }
    for (const line of lines) {
      try {
        await takeStock(trx, ctx.merchantId, line.sku.id, line.quantity, ctx.now);
      } catch (error) {
        if (error instanceof OutOfStockError) {
          throw new AppError(409, 'out_of_stock', {
            zh: `「${line.sku.title}」库存不足`,
            en: `Not enough stock for ${line.sku.title}`,
          });
        }
        throw error;
      }
    }
    const id = newId('ord', ctx.now);
    await trx
      .insertInto('orders')
      .values({
        id,
        merchant_id: ctx.merchantId,
        account_id: ctx.accountId,
        openid: ctx.openid,
        status: 'pending_payment',
        payment_method: input.payment_method,
        items_total: itemsTotal,
        shipping_fee: shippingFee,
        total,
        address: JSON.stringify(address),
        note: (input.note ?? '').slice(0, 200),
        source: input.source?.slice(0, 40) ?? null,
        idempotency_key: input.idempotency_key ?? null,
        paid_at: null,
        shipped_at: null,
        carrier: null,
        tracking_no: null,
        completed_at: null,
        cancelled_at: null,
        cancel_reason: null,
        reminded_at: null,
        created_at: ctx.now,
        updated_at: ctx.now,
      })
      .execute();
    await trx
      .insertInto('order_items')
      .values(
        lines.map((l) => ({
          id: newId('oit', ctx.now),
          order_id: id,
          merchant_id: ctx.merchantId,
          product_id: l.sku.product_id,
          sku_id: l.sku.id,
          title: l.sku.title,
          spec_text: specText(JSON.parse(l.sku.spec) as Record<string, string>),
          price: l.sku.price,
          quantity: l.quantity,
          subtotal: l.subtotal,
        })),
      )
      .execute();
    await recordEvent(trx, ctx, id, null, 'pending_payment');
    if (input.payment_method === 'wechat') {
      const job = { merchantId: ctx.merchantId, payload: { orderId: id }, key: id };
      await enqueueJob(
        trx,
        { ...job, type: REMIND_UNPAID_JOB, runAt: ctx.now + policy.remindAfterMs },
        ctx.now,
      );
      await enqueueJob(
        trx,
        { ...job, type: CANCEL_UNPAID_JOB, runAt: ctx.now + policy.remindAfterMs + policy.cancelAfterMs },
        ctx.now,
      );
    }
    return id;
  });
}

async function resolveAddress(trx: Db, ctx: BuyerCtx, input: PlaceOrderInput): Promise<AddressInput> {
  if (input.address_id) {
    const saved = await trx
      .selectFrom('addresses')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('openid', '=', ctx.openid)
      .where('id', '=', input.address_id)
      .executeTakeFirst();
    if (!saved) throw notFound({ zh: '收货地址', en: 'Address' });
    await trx.updateTable('addresses').set({ last_used_at: ctx.now }).where('id', '=', saved.id).execute();
    return { name: saved.name, phone: saved.phone, region: saved.region, detail: saved.detail };
  }
  if (!input.address)
    throw badRequest('address_required', '请填写收货地址', 'A shipping address is required');
  const address = { ...input.address, phone: input.address.phone.replace(/\s/g, '') };
  validateAddress(address);
  // The address book remembers it, so the next order needs no typing (the seeds' re-typing pain).
  const same = await trx
    .selectFrom('addresses')
    .select('id')
    .where('merchant_id', '=', ctx.merchantId)
    .where('openid', '=', ctx.openid)
    .where('name', '=', address.name)
    .where('phone', '=', address.phone)
    .where('region', '=', address.region)
    .where('detail', '=', address.detail)
    .executeTakeFirst();
  if (same)
    await trx.updateTable('addresses').set({ last_used_at: ctx.now }).where('id', '=', same.id).execute();
  else
    await trx
      .insertInto('addresses')
      .values({
        id: newId('adr', ctx.now),
        merchant_id: ctx.merchantId,
        openid: ctx.openid,
        ...address,
        last_used_at: ctx.now,
        created_at: ctx.now,
      })
      .execute();
  return address;
}

export async function listAddresses(ctx: BuyerCtx) {
  return ctx.db
    .selectFrom('addresses')
    .select(['id', 'name', 'phone', 'region', 'detail', 'last_used_at'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('openid', '=', ctx.openid)
    .orderBy('last_used_at', 'desc')
    .limit(20)
    .execute();
}

async function recordEvent(
  db: Db,
  ctx: OrderCtx,
  orderId: string,
  from: OrderStatus | null,
  to: OrderStatus,
  note: string | null = null,
) {
  await db
    .insertInto('order_events')
    .values({
      id: newId('oev', ctx.now),
      order_id: orderId,
      merchant_id: ctx.merchantId,
      from_status: from,
      to_status: to,
      actor: ctx.actor,
      note,
      created_at: ctx.now,
    })
    .execute();
}

/**
 * Moves an order from one of `from` to `to`, or reports that it could not: the status check is
 * in the UPDATE itself, so two concurrent transitions can never both apply.
 */
export async function transition(
  db: Db,
  ctx: OrderCtx,
  orderId: string,
  from: OrderStatus[],
  to: OrderStatus,
  patch: Partial<OrdersTable> = {},
  note: string | null = null,
): Promise<OrderStatus | null> {
  const allowed = from.filter((status) => TRANSITIONS[status].includes(to));
  if (allowed.length === 0) return null;
  const current = await db
    .selectFrom('orders')
    .select('status')
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', orderId)
    .executeTakeFirst();
  if (!current || !allowed.includes(current.status)) return null;
  const result = await db
    .updateTable('orders')
    .set({ ...patch, status: to, updated_at: ctx.now })
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', orderId)
    .where('status', '=', current.status)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) return null;
  await recordEvent(db, ctx, orderId, current.status, to, note);
  return current.status;
}

function invalidTransition(to: OrderStatus): AppError {
  return conflict(
    'invalid_transition',
    `订单当前状态不能变为「${to}」`,
    `The order cannot move to ${to} from its current state`,
  );
}

export async function getOrder(
  ctx: Pick<OrderCtx, 'db' | 'merchantId'> & { openid?: string },
  id: string,
): Promise<OrderView> {
  let query = ctx.db
    .selectFrom('orders')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id);
  if (ctx.openid) query = query.where('openid', '=', ctx.openid);
  const order = await query.executeTakeFirst();
  if (!order) throw notFound(NOT_FOUND);
  const items = await ctx.db
    .selectFrom('order_items')
    .select(['id', 'product_id', 'sku_id', 'title', 'spec_text', 'price', 'quantity', 'subtotal'])
    .where('order_id', '=', id)
    .execute();
  return { ...order, address: JSON.parse(order.address) as AddressInput | null, items };
}

export async function orderEvents(ctx: Pick<OrderCtx, 'db' | 'merchantId'>, id: string) {
  return ctx.db
    .selectFrom('order_events')
    .select(['from_status', 'to_status', 'actor', 'note', 'created_at'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('order_id', '=', id)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** Cancels an unpaid order and gives its stock back; the WeChat payment is closed by a job. */
export async function cancelOrder(
  ctx: OrderCtx,
  id: string,
  reason: 'unpaid_timeout' | 'buyer' | 'merchant',
): Promise<boolean> {
  return inTransaction(ctx.db, async (trx) => {
    const from = await transition(
      trx,
      ctx,
      id,
      ['pending_payment'],
      'cancelled',
      { cancelled_at: ctx.now, cancel_reason: reason },
      reason,
    );
    if (!from) return false;
    const items = await trx
      .selectFrom('order_items')
      .select(['sku_id', 'quantity'])
      .where('order_id', '=', id)
      .execute();
    for (const item of items) await returnStock(trx, ctx.merchantId, item.sku_id, item.quantity, ctx.now);
    await enqueueJob(
      trx,
      { type: CLOSE_PAYMENT_JOB, key: id, merchantId: ctx.merchantId, payload: { orderId: id } },
      ctx.now,
    );
    return true;
  });
}

export async function buyerCancel(ctx: BuyerCtx, id: string): Promise<OrderView> {
  await getOrder(ctx, id);
  if (!(await cancelOrder(ctx, id, 'buyer'))) throw invalidTransition('cancelled');
  return getOrder(ctx, id);
}

/**
 * Marks an order paid once, whatever the number of notices or queries saying so. A payment for an
 * order that was cancelled meanwhile (the fan paid at the last second) is refunded.
 */
export async function markPaid(
  db: Db,
  ctx: OrderCtx,
  orderId: string,
): Promise<'paid' | 'already' | 'refund'> {
  const from = await transition(db, ctx, orderId, ['pending_payment'], 'paid', { paid_at: ctx.now });
  if (from) {
    await enqueueJob(
      db,
      {
        type: ORDER_NOTICE_JOB,
        key: `${orderId}:paid`,
        merchantId: ctx.merchantId,
        payload: { orderId, event: 'paid' },
      },
      ctx.now,
    );
    return 'paid';
  }
  const order = await db.selectFrom('orders').select('status').where('id', '=', orderId).executeTakeFirst();
  if (order?.status === 'cancelled') {
    await enqueueJob(
      db,
      {
        type: REFUND_JOB,
        key: `${orderId}:late-payment`,
        merchantId: ctx.merchantId,
        payload: { orderId, reason: 'late_payment' },
      },
      ctx.now,
    );
    return 'refund';
  }
  return 'already';
}

export async function shipOrder(
  ctx: OrderCtx,
  id: string,
  input: { carrier: string; tracking_no: string },
): Promise<OrderView> {
  const order = await getOrder(ctx, id);
  const from: OrderStatus[] = order.payment_method === 'cod' ? ['pending_payment'] : ['paid'];
  const shipped = await inTransaction(ctx.db, async (trx) => {
    const moved = await transition(trx, ctx, id, from, 'shipped', {
      shipped_at: ctx.now,
      carrier: input.carrier,
      tracking_no: input.tracking_no,
    });
    if (moved) {
      await enqueueJob(
        trx,
        {
          type: ORDER_NOTICE_JOB,
          key: `${id}:shipped`,
          merchantId: ctx.merchantId,
          payload: { orderId: id, event: 'shipped' },
        },
        ctx.now,
      );
    }
    return moved;
  });
  if (!shipped) throw invalidTransition('shipped');
  shipmentMade(ctx.merchantId);
  return getOrder(ctx, id);
}

export async function confirmReceipt(ctx: BuyerCtx, id: string): Promise<OrderView> {
  const order = await getOrder(ctx, id);
  const patch = { completed_at: ctx.now, ...(order.payment_method === 'cod' ? { paid_at: ctx.now } : {}) };
  if (!(await transition(ctx.db, ctx, id, ['shipped'], 'completed', patch)))
    throw invalidTransition('completed');
  return getOrder(ctx, id);
}

/** Starts a refund of the whole order; WeChat Pay orders are refunded by a job, COD ones at once. */
export async function refundOrder(ctx: OrderCtx, id: string, reason: string): Promise<OrderView> {
  const order = await getOrder(ctx, id);
  await inTransaction(ctx.db, async (trx) => {
    const from = await transition(trx, ctx, id, ['paid', 'shipped', 'completed'], 'refunding', {}, reason);
    if (!from) throw invalidTransition('refunding');
    if (order.payment_method === 'cod') {
      await transition(trx, ctx, id, ['refunding'], 'refunded', {}, 'cash on delivery');
    } else {
      await enqueueJob(
        trx,
        {
          type: REFUND_JOB,
          key: `${id}:refund`,
          merchantId: ctx.merchantId,
          payload: { orderId: id, reason: reason.slice(0, 80) },
        },
        ctx.now,
      );
    }
  });
  return getOrder(ctx, id);
}

export async function markRefunded(db: Db, ctx: OrderCtx, orderId: string): Promise<boolean> {
  return Boolean(await transition(db, ctx, orderId, ['refunding'], 'refunded'));
}

export interface OrderFilter {
  status?: OrderStatus;
  account_id?: string;
  openid?: string;
  limit: number;
  cursor?: string;
}

export async function listOrders(ctx: Pick<OrderCtx, 'db' | 'merchantId'>, filter: OrderFilter) {
  let query = ctx.db.selectFrom('orders').selectAll().where('merchant_id', '=', ctx.merchantId);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.account_id) query = query.where('account_id', '=', filter.account_id);
  if (filter.openid) query = query.where('openid', '=', filter.openid);
  if (filter.cursor) query = query.where('id', '<', filter.cursor);
  const rows = await query
    .orderBy('id', 'desc')
    .limit(filter.limit + 1)
    .execute();
  const page = rows.slice(0, filter.limit);
  const ids = page.map((o) => o.id);
  const items = ids.length
    ? await ctx.db
        .selectFrom('order_items')
        .select([
          'id',
          'order_id',
          'product_id',
          'sku_id',
          'title',
          'spec_text',
          'price',
          'quantity',
          'subtotal',
        ])
        .where('order_id', 'in', ids)
        .execute()
    : [];
  return {
    items: page.map((o) => ({
      ...o,
      address: JSON.parse(o.address) as AddressInput | null,
      items: items.filter((i) => i.order_id === o.id).map(({ order_id: _o, ...i }) => i),
    })),
    next_cursor: rows.length > filter.limit ? (page.at(-1)?.id ?? null) : null,
  };
}

/**
 * The seeds' funnel: orders placed, paid, cancelled unpaid (with reasons), per account and period.
 * Xiaoye's service account paid only a third of its orders; this is where that shows.
 */
export async function orderFunnel(
  ctx: Pick<OrderCtx, 'db' | 'merchantId'>,
  filter: { account_id?: string; from: number; to: number },
) {
  let query = ctx.db
    .selectFrom('orders')
    .select(['status', 'cancel_reason', 'paid_at', 'payment_method'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('created_at', '>=', filter.from)
    .where('created_at', '<', filter.to);
  if (filter.account_id) query = query.where('account_id', '=', filter.account_id);
  const rows = await query.execute();
  const placed = rows.length;
  const paid = rows.filter(
    (r) => r.paid_at !== null || (r.payment_method === 'cod' && r.status !== 'cancelled'),
  ).length;
  const cancelled = rows.filter((r) => r.status === 'cancelled');
  const reasons: Record<string, number> = {};
  for (const r of cancelled)
    reasons[r.cancel_reason ?? 'unknown'] = (reasons[r.cancel_reason ?? 'unknown'] ?? 0) + 1;
  return {
    placed,
    paid,
    pending: rows.filter((r) => r.status === 'pending_payment').length,
    cancelled_unpaid: cancelled.length,
    cancel_reasons: reasons,
    paid_rate: placed ? Math.round((paid / placed) * 1000) / 1000 : null,
  };
}

/** Orders placed, orders paid and paid sales (fen) per local day, over [from, to). */
export async function ordersByDay(ctx: Pick<OrderCtx, 'db' | 'merchantId'>, range: DayRange) {
  const base = (column: 'created_at' | 'paid_at') => {
    let query = ctx.db
      .selectFrom('orders')
      .select((eb) => [
        dayOf(eb.ref(column), range.offsetMs).as('day'),
        eb.fn.countAll<number>().as('value'),
        eb.fn.sum<number>('total').as('sales'),
      ])
      .where('merchant_id', '=', ctx.merchantId)
      .where(column, '>=', range.from)
      .where(column, '<', range.to);
    if (range.account_id) query = query.where('account_id', '=', range.account_id);
    return query.groupBy('day').execute();
  };
  const [placed, paid] = await Promise.all([base('created_at'), base('paid_at')]);
  return {
    placed_by_day: fillDays(placed, range.from, range.to, range.offsetMs),
    paid_by_day: fillDays(paid, range.from, range.to, range.offsetMs),
    sales_by_day: fillDays(
      paid.map((p) => ({ day: p.day, value: Number(p.sales ?? 0) })),
      range.from,
      range.to,
      range.offsetMs,
    ),
  };
}
