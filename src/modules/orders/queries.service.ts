import type { Ctx } from '../../context.ts';
import { type DayRange, dayOf, fillDays } from '../../platform/db/day-buckets.ts';
import { cursorPage, found, type PageRequest } from '../../platform/db/paging.ts';
import type { OrderItemsTable, OrderStatus, OrdersTable } from './orders.schema.ts';

export interface AddressInput {
  name: string;
  phone: string;
  region: string;
  detail: string;
}

export type OrderView = Omit<OrdersTable, 'address'> & {
  address: AddressInput | null;
  items: Array<Omit<OrderItemsTable, 'order_id' | 'merchant_id'>>;
  /** Why it costs less (one order's view only; lists carry the discount alone). */
  adjustments?: Array<{ kind: string; label: string; amount: number; ref: string }>;
};

type Reader = Pick<Ctx, 'db' | 'merchantId'>;

export const ORDER = { zh: '订单', en: 'Order' };

const ITEM_COLUMNS = [
  'id',
  'product_id',
  'sku_id',
  'title',
  'spec_text',
  'price',
  'quantity',
  'subtotal',
] as const;

/** One order with its items; with `openid`, only if that fan placed it. */
export async function getOrder(ctx: Reader & { openid?: string }, id: string): Promise<OrderView> {
  let query = ctx.db
    .selectFrom('orders')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id);
  if (ctx.openid) query = query.where('openid', '=', ctx.openid);
  const order = found(await query.executeTakeFirst(), ORDER);
  const items = await ctx.db
    .selectFrom('order_items')
    .select(ITEM_COLUMNS)
    .where('order_id', '=', id)
    .execute();
  const adjustments =
    order.discount > 0
      ? await ctx.db
          .selectFrom('order_adjustments')
          .select(['kind', 'label', 'amount', 'ref'])
          .where('order_id', '=', id)
          .orderBy('id')
          .execute()
      : [];
  return { ...order, address: JSON.parse(order.address) as AddressInput | null, items, adjustments };
}

export async function orderEvents(ctx: Reader, id: string) {
  return ctx.db
    .selectFrom('order_events')
    .select(['from_status', 'to_status', 'actor', 'note', 'created_at'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('order_id', '=', id)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export interface OrderFilter extends PageRequest {
  status?: OrderStatus;
  account_id?: string;
  openid?: string;
}

/** A page of orders, then their items in one bounded query (never a join before the page). */
export async function listOrders(ctx: Reader, filter: OrderFilter) {
  let query = ctx.db.selectFrom('orders').selectAll().where('merchant_id', '=', ctx.merchantId);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.account_id) query = query.where('account_id', '=', filter.account_id);
  if (filter.openid) query = query.where('openid', '=', filter.openid);
  const page = await cursorPage(query, filter);
  const ids = page.items.map((o) => o.id);
  const items = ids.length
    ? await ctx.db
        .selectFrom('order_items')
        .select([...ITEM_COLUMNS, 'order_id'])
        .where('order_id', 'in', ids)
        .execute()
    : [];
  return {
    items: page.items.map((o) => ({
      ...o,
      address: JSON.parse(o.address) as AddressInput | null,
      items: items.filter((i) => i.order_id === o.id).map(({ order_id: _o, ...i }) => i),
    })),
    next_cursor: page.next_cursor,
  };
}

/** What became of the orders placed in [from, to): the rows the funnel is counted from. */
export async function orderOutcomes(ctx: Reader, filter: { account_id?: string; from: number; to: number }) {
  let query = ctx.db
    .selectFrom('orders')
    .select(['status', 'cancel_reason', 'paid_at', 'payment_method'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('created_at', '>=', filter.from)
    .where('created_at', '<', filter.to);
  if (filter.account_id) query = query.where('account_id', '=', filter.account_id);
  return query.execute();
}

/** Orders placed, orders paid and paid sales (fen) per local day, over [from, to). */
export async function ordersByDay(ctx: Reader, range: DayRange) {
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

/**
 * Per buyer (account, openid): paid orders and merchandise bought (items_total, fen) in [from, to),
 * refunded and cancelled orders left out; a page of buyers after `after` ("account_id openid").
 * For reports that split buyers (members and others) without reading orders' tables.
 */
export async function buyerSpend(
  ctx: Reader,
  filter: { from: number; to: number; after?: string; limit: number },
) {
  let query = ctx.db
    .selectFrom('orders')
    .select((eb) => [
      'account_id',
      'openid',
      eb.fn.countAll<number>().as('orders'),
      eb.fn.sum<number>('items_total').as('spend'),
    ])
    .where('merchant_id', '=', ctx.merchantId)
    .where('status', 'in', ['paid', 'shipped', 'completed'])
    .where('paid_at', '>=', filter.from)
    .where('paid_at', '<', filter.to);
  if (filter.after) {
    const [account, openid] = filter.after.split(' ');
    query = query.where((eb) =>
      eb.or([
        eb('account_id', '>', account ?? ''),
        eb.and([eb('account_id', '=', account ?? ''), eb('openid', '>', openid ?? '')]),
      ]),
    );
  }
  const rows = await query
    .groupBy(['account_id', 'openid'])
    .orderBy('account_id')
    .orderBy('openid')
    .limit(filter.limit)
    .execute();
  return rows.map((r) => ({ ...r, orders: Number(r.orders), spend: Number(r.spend) }));
}

const FACT_COLUMNS = [
  'id',
  'merchant_id',
  'account_id',
  'status',
  'payment_method',
  'paid_at',
  'cancel_reason',
  'total',
  'created_at',
] as const;

/**
 * What reports keep of orders, without items: the merchant's orders by id (`ids`), or a page of
 * every merchant's orders after `afterId` in id order (a one-time backfill walks them so).
 */
export async function orderFacts(
  db: Ctx['db'],
  filter: { merchantId: string; ids: string[] } | { afterId: string; limit: number },
) {
  if ('ids' in filter) {
    if (filter.ids.length === 0) return [];
    return db
      .selectFrom('orders')
      .select(FACT_COLUMNS)
      .where('merchant_id', '=', filter.merchantId)
      .where('id', 'in', filter.ids)
      .execute();
  }
  return db
    .selectFrom('orders')
    .select(FACT_COLUMNS)
    .where('id', '>', filter.afterId)
    .orderBy('id')
    .limit(filter.limit)
    .execute();
}
