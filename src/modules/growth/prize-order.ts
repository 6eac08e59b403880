import type { Ctx } from '../../context.ts';
import { merchantCtx } from '../../context.ts';
import type { Db } from '../../database.ts';
import { inTransaction } from '../../platform/db/database.ts';
import {
  type AddressInput,
  getOrder,
  listAddresses,
  markPaid,
  type OrderView,
  placeOrder,
} from '../orders/index.ts';

export type PrizeAddress = { address_id: string } | { address: AddressInput };

/**
 * A prize as an order of one unit whose whole price is taken off by an adjustment, then marked
 * paid (nothing to pay). Keyed by `idempotencyKey`, so a retry returns the same order;
 * `onPlaced` records the order beside the prize in the order's own transaction.
 */
export async function placeFreeOrder(
  fan: Ctx,
  prize: { skuId: string; kind: 'trial' | 'lucky_draw'; label: string; note: string; ref: string },
  idempotencyKey: string,
  where: PrizeAddress,
  onPlaced: (db: Db, orderId: string) => Promise<void>,
): Promise<OrderView> {
  const order = await placeOrder(
    fan,
    {
      items: [{ sku_id: prize.skuId, quantity: 1 }],
      ...where,
      payment_method: 'wechat',
      source: prize.kind,
      note: prize.note,
      idempotency_key: idempotencyKey,
    },
    {
      adjust: async (_tx, priced) => [
        {
          kind: prize.kind,
          label: prize.label,
          amount: priced.items_total + priced.shipping_fee,
          ref: prize.ref,
        },
      ],
      withinTransaction: async (tx, placed) => onPlaced(tx.db, placed.id),
    },
  );
  const system = merchantCtx(fan.deps, fan.merchantId);
  await inTransaction(system.db, (trx) => markPaid({ ...system, db: trx }, order.id));
  return getOrder(fan, order.id);
}

/** The fan's first saved address, if they have one (a returning buyer). */
export async function savedAddress(fan: Ctx): Promise<PrizeAddress | null> {
  const [address] = await listAddresses(fan);
  return address ? { address_id: address.id } : null;
}
