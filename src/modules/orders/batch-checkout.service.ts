import type { Ctx } from '../../context.ts';
import { actorLabel } from '../../platform/auth/roles.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { AppError, badRequest, notFound } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { sumFen } from '../../platform/money.ts';
import { OutOfStockError, skusForOrder, specText, takeStock } from '../catalog/index.ts';
import {
  NOTHING_HAPPENED_YET,
  type OrderAdjustment,
  type PricedOrder,
  validateAddress,
} from './checkout.service.ts';
import { ORDER_EVENTS } from './order-events.ts';
import type { AddressInput } from './queries.service.ts';

/** One order of a batch: one buyer, one line, paid by WeChat Pay, shipped or a deal. */
export interface BatchOrder {
  buyer: { accountId: string; openid: string };
  sku_id: string;
  quantity: number;
  address?: AddressInput;
  address_id?: string;
}

export interface BatchOrderOptions {
  source: string;
  /** The discounts of the n-th order, from the server's price of its line (e.g. a sale price). */
  adjust(priced: PricedOrder, index: number): OrderAdjustment[];
  /** Runs after the orders are written, just before the stock is taken, in their transaction; a throw undoes every one of them. */
  withinTransaction?(tx: Ctx, placed: readonly PlacedInBatch[]): Promise<void>;
}

export interface PlacedInBatch {
  id: string;
  total: number;
  discount: number;
}

/** Rows per INSERT: well under either engine's limit on bound parameters. */
const ROWS_PER_INSERT = 200;

/**
 * Places many one-line orders of one merchant in one transaction with a handful of statements
 * (one per table, not one per order): the spike path, where a flash sale's winners of one moment
 * are written together. The same rules as placeOrder — prices from the catalog, stock taken with
 * its guard, addresses remembered, `order.placed` published — but all or nothing: if anything is
 * refused (out of stock, a hook's guard) the whole batch is undone and the caller may place the
 * orders one by one to learn which.
 */
export async function placeOrdersTogether(
  ctx: Ctx,
  orders: readonly BatchOrder[],
  options: BatchOrderOptions,
): Promise<PlacedInBatch[]> {
  if (orders.length === 0) return [];
  return inTransaction(ctx.db, async (trx) => {
    const tx: Ctx = { ...ctx, db: trx };
    const skus = new Map(
      (await skusForOrder(tx, [...new Set(orders.map((o) => o.sku_id))])).map((s) => [s.id, s]),
    );
    const lines = orders.map((order) => {
      const sku = skus.get(order.sku_id);
      if (sku?.status !== 'on_sale')
        throw new AppError(409, 'not_on_sale', { zh: '商品已下架', en: 'A product is no longer on sale' });
      if (!Number.isSafeInteger(order.quantity) || order.quantity < 1 || order.quantity > 999)
        throw badRequest('invalid_quantity', '数量必须是 1–999 的整数', 'Quantity must be 1–999');
      return { sku, quantity: order.quantity, subtotal: sku.price * order.quantity };
    });
    const addresses = await rememberAddresses(
      tx,
      orders.map((order, i) => (lines[i]!.sku.kind === 'goods' ? order : null)),
    );
    const priced = lines.map((line, i) => {
      const adjustments = options.adjust(
        {
          items_total: line.subtotal,
          shipping_fee: 0,
          lines: [
            {
              sku_id: line.sku.id,
              product_id: line.sku.product_id,
              kind: line.sku.kind,
              price: line.sku.price,
              quantity: line.quantity,
              subtotal: line.subtotal,
            },
          ],
        },
        i,
      );
      for (const a of adjustments) {
        if (!Number.isSafeInteger(a.amount) || a.amount < 0)
          throw new RangeError(`bad adjustment ${a.amount}`);
      }
      const discount = sumFen(adjustments.map((a) => a.amount));
      // A bug above orders must never make an order pay the buyer.
      if (discount > line.subtotal) throw new RangeError('discount exceeds the order');
      return { id: newId('ord', ctx.now), adjustments, discount, total: line.subtotal - discount };
    });

    await insertRows(
      orders.map((order, i) => ({
        id: priced[i]!.id,
        merchant_id: ctx.merchantId,
        account_id: order.buyer.accountId,
        openid: order.buyer.openid,
        status: 'pending_payment' as const,
        payment_method: 'wechat' as const,
        items_total: lines[i]!.subtotal,
        shipping_fee: 0,
        discount: priced[i]!.discount,
        total: priced[i]!.total,
        address: JSON.stringify(addresses[i] ?? null),
        note: '',
        source: options.source.slice(0, 40),
        idempotency_key: null,
        ...NOTHING_HAPPENED_YET,
        pickup_store_id: null,
        pickup_code: null,
        created_at: ctx.now,
        updated_at: ctx.now,
      })),
      (rows) => trx.insertInto('orders').values(rows).execute(),
    );
    await insertRows(
      lines.map((line, i) => ({
        id: newId('oit', ctx.now),
        order_id: priced[i]!.id,
        merchant_id: ctx.merchantId,
        product_id: line.sku.product_id,
        sku_id: line.sku.id,
        title: line.sku.title,
        spec_text: specText(JSON.parse(line.sku.spec) as Record<string, string>),
        price: line.sku.price,
        quantity: line.quantity,
        subtotal: line.subtotal,
      })),
      (rows) => trx.insertInto('order_items').values(rows).execute(),
    );
    await insertRows(
      priced.flatMap((order) =>
        order.adjustments.map((a) => ({
          id: newId('oad', ctx.now),
          order_id: order.id,
          merchant_id: ctx.merchantId,
          kind: a.kind.slice(0, 20),
          label: a.label.slice(0, 60),
          amount: a.amount,
          ref: a.ref.slice(0, 64),
          created_at: ctx.now,
        })),
      ),
      (rows) => trx.insertInto('order_adjustments').values(rows).execute(),
    );
    await insertRows(
      orders.map((order, i) => ({
        id: newId('oev', ctx.now),
        order_id: priced[i]!.id,
        merchant_id: ctx.merchantId,
        from_status: null,
        to_status: 'pending_payment' as const,
        actor: actorLabel({ kind: 'fan', accountId: order.buyer.accountId, openid: order.buyer.openid }),
        note: null,
        created_at: ctx.now,
      })),
      (rows) => trx.insertInto('order_events').values(rows).execute(),
    );
    await ctx.deps.events.publishMany(
      trx,
      priced.map((order) => ({
        name: ORDER_EVENTS.placed,
        merchantId: ctx.merchantId,
        key: order.id,
        payload: { orderId: order.id },
      })),
      ctx.now,
    );
    // Rows every batch shares (the hook's counters, the SKU's and product's stock) are moved last:
    // their locks are held only from here to the commit, so batches on other connections can
    // write their own rows meanwhile.
    const placed = priced.map(({ id, total, discount }) => ({ id, total, discount }));
    await options.withinTransaction?.(tx, placed);
    await takeStockFor(tx, lines);
    return placed;
  });
}

async function insertRows<R>(rows: R[], insert: (rows: R[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) await insert(rows.slice(i, i + ROWS_PER_INSERT));
}

/** One guarded stock move per SKU for the whole batch (the guard refuses the batch if it would go below zero). */
async function takeStockFor(
  tx: Ctx,
  lines: ReadonlyArray<{ sku: { id: string; title: string }; quantity: number }>,
): Promise<void> {
  const bySku = new Map<string, { title: string; quantity: number }>();
  for (const line of lines) {
    const entry = bySku.get(line.sku.id) ?? { title: line.sku.title, quantity: 0 };
    entry.quantity += line.quantity;
    bySku.set(line.sku.id, entry);
  }
  for (const [skuId, { title, quantity }] of bySku) {
    try {
      await takeStock(tx.db, tx.merchantId, skuId, quantity, tx.now);
    } catch (error) {
      if (!(error instanceof OutOfStockError)) throw error;
      throw new AppError(409, 'out_of_stock', {
        zh: `「${title}」库存不足`,
        en: `Not enough stock for ${title}`,
      });
    }
  }
}

/**
 * The shipping address of each order (null where nothing ships), remembered in the buyers'
 * address books as placeOrder does: saved ones and known ones touched, new ones added, with one
 * read and at most two writes for the whole batch.
 */
async function rememberAddresses(
  tx: Ctx,
  orders: ReadonlyArray<Pick<BatchOrder, 'buyer' | 'address' | 'address_id'> | null>,
): Promise<Array<AddressInput | null>> {
  const shipped = orders.filter((o): o is NonNullable<typeof o> => o !== null);
  if (shipped.length === 0) return orders.map(() => null);
  for (const order of shipped) {
    if (!order.address_id && !order.address)
      throw badRequest('address_required', '请填写收货地址', 'A shipping address is required');
  }
  const typed = new Map<BatchOrder['buyer'], AddressInput>();
  for (const order of shipped) {
    if (order.address_id || !order.address) continue;
    const address = { ...order.address, phone: order.address.phone.replace(/\s/g, '') };
    validateAddress(address);
    typed.set(order.buyer, address);
  }
  const book = await tx.db
    .selectFrom('addresses')
    .select(['id', 'openid', 'name', 'phone', 'region', 'detail'])
    .where('merchant_id', '=', tx.merchantId)
    .where('openid', 'in', [...new Set(shipped.map((o) => o.buyer.openid))])
    .execute();
  const touched = new Set<string>();
  const added = new Map<string, AddressInput & { openid: string }>();
  const sameAs = (a: AddressInput) => (b: AddressInput) =>
    a.name === b.name && a.phone === b.phone && a.region === b.region && a.detail === b.detail;
  const resolved = orders.map((order): AddressInput | null => {
    if (!order) return null;
    const mine = book.filter((row) => row.openid === order.buyer.openid);
    if (order.address_id) {
      const saved = mine.find((row) => row.id === order.address_id);
      if (!saved) throw notFound({ zh: '收货地址', en: 'Address' });
      touched.add(saved.id);
      return { name: saved.name, phone: saved.phone, region: saved.region, detail: saved.detail };
    }
    const address = typed.get(order.buyer)!;
    const known = mine.find(sameAs(address));
    if (known) touched.add(known.id);
    else
      added.set(
        `${order.buyer.openid}\n${address.name}\n${address.phone}\n${address.region}\n${address.detail}`,
        {
          ...address,
          openid: order.buyer.openid,
        },
      );
    return address;
  });
  if (touched.size > 0)
    await tx.db
      .updateTable('addresses')
      .set({ last_used_at: tx.now })
      .where('merchant_id', '=', tx.merchantId)
      .where('id', 'in', [...touched])
      .execute();
  await insertRows(
    [...added.values()].map((address) => ({
      id: newId('adr', tx.now),
      merchant_id: tx.merchantId,
      openid: address.openid,
      name: address.name,
      phone: address.phone,
      region: address.region,
      detail: address.detail,
      last_used_at: tx.now,
      created_at: tx.now,
    })),
    (rows) => tx.db.insertInto('addresses').values(rows).execute(),
  );
  return resolved;
}
