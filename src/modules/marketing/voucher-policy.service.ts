import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { dayLabel, dayOf, zoneOffsetMs } from '../../platform/db/day-buckets.ts';
import { badRequest } from '../../platform/http/errors.ts';
import { getProduct } from '../catalog/index.ts';
import { refundOrder } from '../orders/index.ts';
import { getMerchant } from '../tenants/index.ts';
import { logVoucher } from './vouchers.service.ts';

/** Per deal: refund vouchers that expire unredeemed (the 随时退/过期退 promise) or keep the money. */
export async function setDealPolicy(ctx: Ctx, productId: string, input: { refund_expired: boolean }) {
  requireRole(ctx, 'operator');
  const product = await getProduct(ctx, productId);
  if (product.kind !== 'deal')
    throw badRequest('not_a_deal', '只有团购商品有券', 'Only deals issue vouchers');
  const refund = input.refund_expired ? 1 : 0;
  await ctx.db
    .insertInto('deal_policies')
    .values({
      merchant_id: ctx.merchantId,
      product_id: product.id,
      refund_expired: refund,
      updated_at: ctx.now,
    })
    .onConflict((oc) =>
      oc.columns(['merchant_id', 'product_id']).doUpdateSet({ refund_expired: refund, updated_at: ctx.now }),
    )
    .execute();
  return { product_id: product.id, refund_expired: input.refund_expired };
}

async function refundsExpired(ctx: Ctx, productIds: string[]): Promise<boolean> {
  if (productIds.length === 0) return false;
  const rows = await ctx.db
    .selectFrom('deal_policies')
    .select('refund_expired')
    .where('merchant_id', '=', ctx.merchantId)
    .where('product_id', 'in', productIds)
    .execute();
  // Every deal of the order must promise it: a partial refund is not something payments does.
  return rows.length === productIds.length && rows.every((r) => r.refund_expired === 1);
}

/**
 * The expiry job of one order: its unredeemed vouchers past their date become expired; if none of
 * the order's vouchers was redeemed and its deals promise it, the whole order is refunded (payments
 * does the money on orders' event). Otherwise the expired ones are breakage.
 */
export async function expireOrderVouchers(
  ctx: Ctx,
  orderId: string,
): Promise<'refunding' | 'expired' | 'none'> {
  const expired = await inTransaction(ctx.db, async (trx) => {
    const tx = { ...ctx, db: trx };
    const due = await trx
      .selectFrom('vouchers')
      .select('id')
      .where('merchant_id', '=', ctx.merchantId)
      .where('order_id', '=', orderId)
      .where('status', '=', 'valid')
      .where('valid_until', '<=', ctx.now)
      .execute();
    for (const v of due) {
      const moved = await trx
        .updateTable('vouchers')
        .set({ status: 'expired' })
        .where('id', '=', v.id)
        .where('status', '=', 'valid')
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) > 0) await logVoucher(trx, tx, v.id, 'expire', null, null);
    }
    return due.length;
  });
  const all = await ctx.db
    .selectFrom('vouchers')
    .select(['status', 'product_id'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('order_id', '=', orderId)
    .execute();
  if (all.length === 0 || !all.every((v) => v.status === 'expired')) return expired ? 'expired' : 'none';
  if (!(await refundsExpired(ctx, [...new Set(all.map((v) => v.product_id))]))) return 'expired';
  await refundOrder(ctx, orderId, '团购券过期自动退款');
  return 'refunding';
}

/** A refunded order's vouchers can no longer be redeemed. */
export async function voidRefundedVouchers(ctx: Ctx, orderId: string): Promise<number> {
  return inTransaction(ctx.db, async (trx) => {
    const open = await trx
      .selectFrom('vouchers')
      .select('id')
      .where('merchant_id', '=', ctx.merchantId)
      .where('order_id', '=', orderId)
      .where('status', 'in', ['valid', 'expired'])
      .execute();
    for (const v of open) {
      await trx.updateTable('vouchers').set({ status: 'refunded' }).where('id', '=', v.id).execute();
      await logVoucher(trx, { ...ctx, db: trx }, v.id, 'refund', null, null);
    }
    return open.length;
  });
}

/** Redemptions per store per local day over [from, to), and what is outstanding, expired (breakage) or refunded. */
export async function voucherReport(ctx: Ctx, range: { from: number; to: number }) {
  const merchant = await getMerchant(ctx);
  const offset = zoneOffsetMs(merchant.timezone, range.to);
  const perDay = await ctx.db
    .selectFrom('vouchers')
    .select((eb) => [
      'redeemed_store_id',
      dayOf(eb.ref('redeemed_at'), offset).as('day'),
      eb.fn.countAll<number>().as('n'),
      eb.fn.sum<number>('price').as('value'),
    ])
    .where('merchant_id', '=', ctx.merchantId)
    .where('status', '=', 'redeemed')
    .where('redeemed_at', '>=', range.from)
    .where('redeemed_at', '<', range.to)
    .groupBy(['redeemed_store_id', 'day'])
    .orderBy('day')
    .execute();
  const totals = await ctx.db
    .selectFrom('vouchers')
    .select((eb) => ['status', eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('price').as('value')])
    .where('merchant_id', '=', ctx.merchantId)
    .groupBy('status')
    .execute();
  const total = (status: string) => {
    const row = totals.find((t) => t.status === status);
    return { count: Number(row?.n ?? 0), value: Number(row?.value ?? 0) };
  };
  return {
    redemptions: perDay.map((r) => ({
      store_id: r.redeemed_store_id ?? '',
      day: dayLabel(Number(r.day)),
      count: Number(r.n),
      value: Number(r.value ?? 0),
    })),
    outstanding: total('valid'),
    redeemed: total('redeemed'),
    breakage: total('expired'),
    refunded: total('refunded'),
  };
}
