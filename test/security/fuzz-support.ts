import fc from 'fast-check';
import type { Db } from '../../src/database.ts';

/** Printable ASCII: what can travel in an HTTP header or a URL segment once encoded. */
export const printable = (maxLength = 60) =>
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength });

/** Everything a stranger could want to change: orders, payments, refunds, stock, addresses, reviews. */
export async function fingerprint(db: Db) {
  const [orders, events, payments, refunds, skus, addresses, reviews, sessions] = await Promise.all([
    db.selectFrom('orders').select(['id', 'status', 'total']).orderBy('id').execute(),
    db
      .selectFrom('order_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst(),
    db.selectFrom('payments').select(['id', 'status', 'transaction_id']).orderBy('id').execute(),
    db.selectFrom('refunds').select(['id', 'status']).orderBy('id').execute(),
    db.selectFrom('skus').select(['id', 'stock']).orderBy('id').execute(),
    db
      .selectFrom('addresses')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst(),
    db
      .selectFrom('reviews')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst(),
    db
      .selectFrom('fan_sessions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst(),
  ]);
  return {
    orders,
    events: Number(events?.n),
    payments,
    refunds,
    skus,
    addresses: Number(addresses?.n),
    reviews: Number(reviews?.n),
    sessions: Number(sessions?.n),
  };
}
