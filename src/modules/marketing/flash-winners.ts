import type { Ctx } from '../../context.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { createGroupCommit } from '../../platform/db/group-commit.ts';
import { newId } from '../../platform/ids.ts';
import { buyerOf, placeOrder, placeOrdersTogether } from '../orders/index.ts';
import type { FlashSalesTable } from './marketing.schema.ts';

// Writing winners' orders: the one part of the buy path that touches the database.

/** How many winners may be writing their order at once; beyond it the fan waits a moment and retries. */
export const MAX_WRITERS = 256;

/** Batches of winners written at once on PostgreSQL (each on its own pooled connection). */
const BATCHES_IN_FLIGHT = 3;

export class SoldOutInDb extends Error {}
export class AlreadyInDb extends Error {}

export interface Winner {
  ctx: Ctx;
  sale: FlashSalesTable;
  openid: string;
  address: { address_id?: string; address?: { name: string; phone: string; region: string; detail: string } };
}

/** A winner's order at the sale price, with its pass, in the caller's transaction. */
function placeWinnerOrder(ctx: Ctx, { sale, openid, address }: Winner) {
  return placeOrder(
    ctx,
    {
      items: [{ sku_id: sale.sku_id, quantity: 1 }],
      payment_method: 'wechat',
      source: 'flash_sale',
      ...address,
    },
    {
      adjust: async (_tx, priced) => [salePriceAdjustment(sale, priced.items_total)],
      withinTransaction: (tx, placed) => recordPasses(tx, sale, [{ openid, orderId: placed.id }]),
    },
  );
}

/**
 * Winners' orders are group-committed: the winners of one moment share a transaction (one commit,
 * one fsync) and each table gets one multi-row statement for all of them, not one per winner. If
 * the batch is refused (the database refused a pass the gate had given, a unique key), it is
 * undone and each winner is written alone, so one cannot sink the rest.
 */
export function winnerWriter(ctx: Ctx) {
  return ctx.deps.local.slot('marketing.flash_winner_writer', () =>
    createGroupCommit<Winner, { id: string; total: number }>(
      async (winners) => {
        try {
          return await inTransaction(ctx.deps.db, async (trx) => {
            const placed = new Map<Winner, { id: string; total: number }>();
            for (const sameSale of groupBySale(winners)) {
              const { sale } = sameSale[0]!;
              const orders = await placeOrdersTogether(
                { ...sameSale[0]!.ctx, db: trx },
                sameSale.map((w) => ({
                  buyer: buyerOf(w.ctx),
                  sku_id: sale.sku_id,
                  quantity: 1,
                  ...w.address,
                })),
                {
                  source: 'flash_sale',
                  adjust: (priced) => [salePriceAdjustment(sale, priced.items_total)],
                  withinTransaction: (tx, rows) =>
                    recordPasses(
                      tx,
                      sale,
                      rows.map((row, i) => ({ openid: sameSale[i]!.openid, orderId: row.id })),
                    ),
                },
              );
              for (const [i, w] of sameSale.entries()) placed.set(w, orders[i]!);
            }
            return winners.map((w) => placed.get(w)!);
          });
        } catch {
          return Promise.all(
            winners.map((winner) => placeWinnerOrder(winner.ctx, winner).catch((error: Error) => error)),
          );
        }
      },
      MAX_WRITERS,
      ctx.deps.dialect === 'postgres' ? BATCHES_IN_FLIGHT : 1,
    ),
  );
}

function groupBySale(winners: readonly Winner[]): Winner[][] {
  const groups = new Map<string, Winner[]>();
  for (const w of winners) groups.set(w.sale.id, [...(groups.get(w.sale.id) ?? []), w]);
  return [...groups.values()];
}

const salePriceAdjustment = (sale: FlashSalesTable, itemsTotal: number) => ({
  kind: 'flash_sale',
  label: sale.title,
  amount: Math.max(0, itemsTotal - sale.price),
  ref: sale.id,
});

/**
 * The database's own guard, in the orders' transaction: the sale's count moves only while it
 * stays within its stock, and each buyer's n-th pass is unique. Even a wrong gate can never
 * oversell or double-sell.
 */
async function recordPasses(
  tx: Ctx,
  sale: FlashSalesTable,
  winners: ReadonlyArray<{ openid: string; orderId: string }>,
): Promise<void> {
  // With one per buyer (the usual sale) every live pass is seq 1 and the unique key alone refuses
  // a second; only a larger limit needs the buyers' counts.
  const held =
    sale.per_buyer_limit === 1
      ? []
      : await tx.db
          .selectFrom('flash_passes')
          .select((eb) => ['openid', eb.fn.countAll<number>().as('n')])
          .where('sale_id', '=', sale.id)
          .where('openid', 'in', [...new Set(winners.map((w) => w.openid))])
          .where('seq', 'is not', null)
          .groupBy('openid')
          .execute();
  const count = new Map(held.map((h) => [h.openid, Number(h.n)]));
  const rows = winners.map((w) => {
    const seq = (count.get(w.openid) ?? 0) + 1;
    if (seq > sale.per_buyer_limit) throw new AlreadyInDb();
    count.set(w.openid, seq);
    return {
      id: newId('flp', tx.now),
      merchant_id: tx.merchantId,
      sale_id: sale.id,
      openid: w.openid,
      seq,
      order_id: w.orderId,
      status: 'held' as const,
      created_at: tx.now,
      updated_at: tx.now,
    };
  });
  await tx.db.insertInto('flash_passes').values(rows).execute();
  // The sale's counter last: its row lock is held only until the commit.
  const took = await tx.db
    .updateTable('flash_sales')
    .set((eb) => ({ sold: eb('sold', '+', winners.length), updated_at: tx.now }))
    .where('id', '=', sale.id)
    .where('sold', '<=', sale.stock - winners.length)
    .executeTakeFirst();
  if (Number(took.numUpdatedRows) === 0) throw new SoldOutInDb();
}
