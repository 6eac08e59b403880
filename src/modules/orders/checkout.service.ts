import { randomInt } from 'node:crypto';
import type { Ctx } from '../../context.ts';
import { inTransaction, isUniqueViolation } from '../../platform/db/database.ts';
import { AppError, badRequest, notFound } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { sumFen } from '../../platform/money.ts';
import { getStore, OutOfStockError, skusForOrder, specText, takeStock } from '../catalog/index.ts';
import { buyerOf } from './buyer.ts';
import { ORDER_EVENTS, publishOrderEvent, recordPlaced } from './lifecycle.service.ts';
import { orderPolicy } from './order-settings.service.ts';
import type { PaymentMethod } from './orders.schema.ts';
import { type AddressInput, getOrder, type OrderView } from './queries.service.ts';

/** The lifecycle columns of an order just placed (by one checkout or a batch): nothing has happened yet. */
export const NOTHING_HAPPENED_YET = {
  paid_at: null,
  shipped_at: null,
  carrier: null,
  tracking_no: null,
  completed_at: null,
  cancelled_at: null,
  cancel_reason: null,
  reminded_at: null,
  collected_at: null,
  collected_by: null,
} as const;

export interface PlaceOrderInput {
  items: Array<{ sku_id: string; quantity: number }>;
  address?: AddressInput;
  address_id?: string;
  /** Collect the goods at this store (no address, no shipping). */
  pickup_store_id?: string;
  payment_method: PaymentMethod;
  /** What the buyer saw: if the server's total differs, the order is refused, never silently changed. */
  expected_total?: number;
  note?: string;
  source?: string;
  idempotency_key?: string;
}

/** A line as the server priced it, handed to whoever adjusts the order. */
export interface PricedLine {
  sku_id: string;
  product_id: string;
  kind: 'goods' | 'deal' | 'service';
  price: number;
  quantity: number;
  subtotal: number;
}

export interface PricedOrder {
  items_total: number;
  shipping_fee: number;
  lines: PricedLine[];
}

/** Fen off the order, and why (a coupon, a sale price). */
export interface OrderAdjustment {
  kind: string;
  label: string;
  amount: number;
  ref: string;
}

/**
 * Server-side only: what a module above orders (marketing) adds to a checkout. Never built from
 * an HTTP body, so a fan cannot name a discount; both hooks run inside the order's transaction.
 */
export interface PlaceOrderOptions {
  /** Discounts computed from the server's prices of this very checkout. */
  adjust?(tx: Ctx, priced: PricedOrder): Promise<OrderAdjustment[]>;
  /** Runs after the order is written (claim the coupon, record the sale pass); a throw undoes the order. */
  withinTransaction?(tx: Ctx, order: { id: string; total: number; discount: number }): Promise<void>;
}

/** 10 digits from the CSPRNG (a voucher's code has 12, so the clerk page tells them apart). */
const newPickupCode = () => `${randomInt(1, 10)}${randomInt(0, 1_000_000_000).toString().padStart(9, '0')}`;

const PHONE = /^1\d{10}$|^0\d{2,3}-?\d{7,8}$/;

export function validateAddress(address: AddressInput): void {
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
 * and `order.placed` published (payments then watches for the money), all in one transaction. A
 * repeated idempotency key returns
 * the first order.
 */
export async function placeOrder(
  ctx: Ctx,
  input: PlaceOrderInput,
  options: PlaceOrderOptions = {},
): Promise<OrderView> {
  const { openid } = buyerOf(ctx);
  const policy = await orderPolicy(ctx);
  if (input.items.length === 0 || input.items.length > 50)
    throw badRequest('invalid_items', '订单需要 1–50 件商品', 'An order needs 1–50 items');
  if (input.payment_method === 'cod' && !policy.codEnabled)
    throw badRequest('cod_disabled', '本店暂不支持货到付款', 'Cash on delivery is not available');
  try {
    return await getOrder({ ...ctx, openid }, await insertOrder(ctx, input, options));
  } catch (error) {
    // Two submits with one idempotency key raced: the loser returns the winner's order.
    if (!input.idempotency_key || !isUniqueViolation(error)) throw error;
    const winner = await ctx.db
      .selectFrom('orders')
      .select('id')
      .where('merchant_id', '=', ctx.merchantId)
      .where('openid', '=', openid)
      .where('idempotency_key', '=', input.idempotency_key)
      .executeTakeFirst();
    // A unique violation from elsewhere (a hook's claim lost its race) is the caller's to see.
    if (!winner) throw error;
    return getOrder({ ...ctx, openid }, winner.id);
  }
}

async function insertOrder(ctx: Ctx, input: PlaceOrderInput, options: PlaceOrderOptions): Promise<string> {
  const { accountId, openid } = buyerOf(ctx);
  return inTransaction(ctx.db, async (trx) => {
    const tx: Ctx = { ...ctx, db: trx };
    if (input.idempotency_key) {
      const earlier = await trx
        .selectFrom('orders')
        .select('id')
        .where('merchant_id', '=', ctx.merchantId)
        .where('openid', '=', openid)
        .where('idempotency_key', '=', input.idempotency_key)
        .executeTakeFirst();
      if (earlier) return earlier.id;
    }
    const skuIds = [...new Set(input.items.map((i) => i.sku_id))];
    const rows = await skusForOrder(tx, skuIds);
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
    const goods = lines.some((l) => l.sku.kind === 'goods');
    if (input.pickup_store_id && !goods)
      throw badRequest('pickup_for_goods', '团购券无需自提', 'Only goods are collected at a store');
    if (input.pickup_store_id && input.payment_method === 'cod')
      throw badRequest('pickup_pays_online', '到店自提请在线支付', 'Pickup orders are paid online');
    const pickupStore = input.pickup_store_id ? await getStore(tx, input.pickup_store_id) : null;
    const shipped = goods && !pickupStore;
    const address = shipped ? await resolveAddress(tx, openid, input) : null;
    if (input.payment_method === 'cod' && !goods)
      throw badRequest('cod_not_for_deals', '团购券不支持货到付款', 'Deals cannot be paid on delivery');
    const itemsTotal = sumFen(lines.map((l) => l.subtotal));
    const shippingFee = 0;
    const adjustments = options.adjust
      ? await options.adjust(tx, {
          items_total: itemsTotal,
          shipping_fee: shippingFee,
          lines: lines.map((l) => ({
            sku_id: l.sku.id,
            product_id: l.sku.product_id,
            kind: l.sku.kind,
            price: l.sku.price,
            quantity: l.quantity,
            subtotal: l.subtotal,
          })),
        })
      : [];
    for (const a of adjustments) {
      if (!Number.isSafeInteger(a.amount) || a.amount < 0) throw new RangeError(`bad adjustment ${a.amount}`);
    }
    const discount = sumFen(adjustments.map((a) => a.amount));
    // A bug above orders must never make an order pay the buyer.
    if (discount > itemsTotal + shippingFee) throw new RangeError('discount exceeds the order');
    const total = itemsTotal + shippingFee - discount;
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
        account_id: accountId,
        openid,
        status: 'pending_payment',
        payment_method: input.payment_method,
        items_total: itemsTotal,
        shipping_fee: shippingFee,
        discount,
        total,
        address: JSON.stringify(address),
        note: (input.note ?? '').slice(0, 200),
        source: input.source?.slice(0, 40) ?? null,
        idempotency_key: input.idempotency_key ?? null,
        ...NOTHING_HAPPENED_YET,
        pickup_store_id: pickupStore?.id ?? null,
        pickup_code: pickupStore ? newPickupCode() : null,
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
    if (adjustments.length > 0) {
      await trx
        .insertInto('order_adjustments')
        .values(
          adjustments.map((a) => ({
            id: newId('oad', ctx.now),
            order_id: id,
            merchant_id: ctx.merchantId,
            kind: a.kind.slice(0, 20),
            label: a.label.slice(0, 60),
            amount: a.amount,
            ref: a.ref.slice(0, 64),
            created_at: ctx.now,
          })),
        )
        .execute();
    }
    await options.withinTransaction?.(tx, { id, total, discount });
    await recordPlaced(tx, id);
    await publishOrderEvent(tx, ORDER_EVENTS.placed, id);
    return id;
  });
}

async function resolveAddress(ctx: Ctx, openid: string, input: PlaceOrderInput): Promise<AddressInput> {
  const trx = ctx.db;
  if (input.address_id) {
    const saved = await trx
      .selectFrom('addresses')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('openid', '=', openid)
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
    .where('openid', '=', openid)
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
        openid,
        ...address,
        last_used_at: ctx.now,
        created_at: ctx.now,
      })
      .execute();
  return address;
}

export async function listAddresses(ctx: Ctx) {
  const { openid } = buyerOf(ctx);
  return ctx.db
    .selectFrom('addresses')
    .select(['id', 'name', 'phone', 'region', 'detail', 'last_used_at'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('openid', '=', openid)
    .orderBy('last_used_at', 'desc')
    .limit(20)
    .execute();
}
