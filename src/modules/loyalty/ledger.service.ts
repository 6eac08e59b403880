import type { Ctx } from '../../context.ts';
import { actorLabel } from '../../platform/auth/roles.ts';
import { conflict } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { PointsReason, ValueReason } from './loyalty.schema.ts';

/** Reasons that count towards a card's lifetime points (what point-based levels read). */
const EARNING: ReadonlySet<PointsReason> = new Set(['order_earn', 'checkin', 'review']);

export interface Move<R> {
  cardId: string;
  delta: number;
  reason: R;
  ref: string;
  note?: string;
  expiresAt?: number | null;
  /** Take what is there when the card holds less (a refund's reversal after the points were spent). */
  clamp?: boolean;
}

/** Current balance, locked on PostgreSQL until the transaction ends; SQLite has one writer anyway. */
async function lockedBalance(tx: Ctx, cardId: string, column: 'points' | 'balance'): Promise<number> {
  let q = tx.db.selectFrom('loyalty_cards').select(column).where('id', '=', cardId);
  if (tx.dialect === 'postgres') q = q.forUpdate();
  const row = await q.executeTakeFirstOrThrow();
  return Number(row[column as keyof typeof row]);
}

/**
 * Moves points on a card inside the caller's transaction: the ledger row and the card's balance
 * change together, the balance is guarded in the UPDATE itself (concurrent spends cannot take it
 * below 0), and a (card, reason, ref) already recorded changes nothing. Returns the delta applied,
 * or null when that entry was already there.
 */
export async function movePoints(tx: Ctx, move: Move<PointsReason>): Promise<number | null> {
  if (!tx.db.isTransaction) throw new Error('movePoints needs a transaction');
  let delta = move.delta;
  if (move.clamp && delta < 0) delta = -Math.min(-delta, await lockedBalance(tx, move.cardId, 'points'));
  const inserted = await tx.db
    .insertInto('loyalty_points_ledger')
    .values({
      id: newId('lpt', tx.now),
      merchant_id: tx.merchantId,
      card_id: move.cardId,
      delta,
      reason: move.reason,
      ref: move.ref,
      actor: actorLabel(tx.actor),
      note: (move.note ?? '').slice(0, 200),
      expires_at: move.expiresAt ?? null,
      created_at: tx.now,
    })
    .onConflict((oc) => oc.columns(['card_id', 'reason', 'ref']).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return null;
  if (delta === 0) return 0;
  const lifetime = EARNING.has(move.reason) || move.reason === 'order_reverse' ? delta : 0;
  const updated = await tx.db
    .updateTable('loyalty_cards')
    .set((eb) => ({
      points: eb('points', '+', delta),
      lifetime_points: eb('lifetime_points', '+', lifetime),
      updated_at: tx.now,
    }))
    .where('merchant_id', '=', tx.merchantId)
    .where('id', '=', move.cardId)
    .where((eb) => eb(eb('points', '+', delta), '>=', 0))
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0)
    throw conflict('insufficient_points', '积分不足', 'Not enough points on this card');
  return delta;
}

/** The same for stored value (fen): guarded, ledgered, idempotent by (card, reason, ref). */
export async function moveValue(tx: Ctx, move: Move<ValueReason>): Promise<number | null> {
  if (!tx.db.isTransaction) throw new Error('moveValue needs a transaction');
  let delta = move.delta;
  if (move.clamp && delta < 0) delta = -Math.min(-delta, await lockedBalance(tx, move.cardId, 'balance'));
  const inserted = await tx.db
    .insertInto('loyalty_value_ledger')
    .values({
      id: newId('lsv', tx.now),
      merchant_id: tx.merchantId,
      card_id: move.cardId,
      delta,
      reason: move.reason,
      ref: move.ref,
      actor: actorLabel(tx.actor),
      note: (move.note ?? '').slice(0, 200),
      created_at: tx.now,
    })
    .onConflict((oc) => oc.columns(['card_id', 'reason', 'ref']).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return null;
  if (delta === 0) return 0;
  const updated = await tx.db
    .updateTable('loyalty_cards')
    .set((eb) => ({ balance: eb('balance', '+', delta), updated_at: tx.now }))
    .where('merchant_id', '=', tx.merchantId)
    .where('id', '=', move.cardId)
    .where((eb) => eb(eb('balance', '+', delta), '>=', 0))
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0)
    throw conflict('insufficient_balance', '储值余额不足', 'Not enough stored value on this card');
  return delta;
}

/** What a card's ledger rows sum to, per ledger: the reconciliation a report and the bench check. */
export async function ledgerSums(
  ctx: Pick<Ctx, 'db' | 'merchantId'>,
  cardId: string,
): Promise<{ points: number; balance: number }> {
  const [p, v] = await Promise.all([
    ctx.db
      .selectFrom('loyalty_points_ledger')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('delta'), eb.lit(0)).as('s'))
      .where('merchant_id', '=', ctx.merchantId)
      .where('card_id', '=', cardId)
      .executeTakeFirstOrThrow(),
    ctx.db
      .selectFrom('loyalty_value_ledger')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('delta'), eb.lit(0)).as('s'))
      .where('merchant_id', '=', ctx.merchantId)
      .where('card_id', '=', cardId)
      .executeTakeFirstOrThrow(),
  ]);
  return { points: Number(p.s), balance: Number(v.s) };
}
