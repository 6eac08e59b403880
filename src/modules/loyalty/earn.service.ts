import type { Ctx } from '../../context.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { getProduct } from '../catalog/index.ts';
import { getOrder, type OrderView } from '../orders/index.ts';
import { cardOfFan, issueCard, settleLevel } from './cards.service.ts';
import { scheduleExpiry } from './expiry.service.ts';
import { movePoints, moveValue } from './ledger.service.ts';
import { getProgram, levelRule, type ProgramView } from './program.service.ts';

const DAY = 86_400_000;

/** Fen of the order that earns points: excluded categories out, discounts spread evenly. */
async function earningFen(ctx: Ctx, program: ProgramView, order: OrderView): Promise<number> {
  if (order.items_total <= 0) return 0;
  let eligible = 0;
  for (const item of order.items) {
    const category = (await getProduct(ctx, item.product_id).catch(() => null))?.category ?? '';
    if (!program.excluded_categories.some((prefix) => prefix && category.startsWith(prefix)))
      eligible += item.subtotal;
  }
  return Math.floor((eligible * order.total) / (order.items_total + order.shipping_fee));
}

/** What the buyer spent on the order, paid or from stored value: what spend levels read. */
const spendOf = (order: OrderView) =>
  order.total +
  (order.adjustments ?? []).filter((a) => a.kind === 'stored_value').reduce((s, a) => s + a.amount, 0);

/**
 * A paid order: the card (issued now on a first payment when the program says so) earns points at
 * its level's rate, its lifetime spend grows, and the level follows. The ledger row keyed by the
 * order makes a repeated event change nothing.
 */
export async function earnForOrder(
  ctx: Ctx,
  orderId: string,
): Promise<{ cardId: string; points: number } | null> {
  const order = await getOrder(ctx, orderId);
  const program = await getProgram(ctx);
  let card = await cardOfFan(ctx, order.account_id, order.openid);
  if (!card) {
    if (!program.configured || program.status !== 'active' || !program.issue_on_first_order) return null;
    card = (
      await issueCard(ctx, { accountId: order.account_id, openid: order.openid, source: 'first_order' })
    ).card;
  }
  const cardId = card.id;
  const rate = levelRule(program, card.level).earn_rate;
  const points = Math.floor(((await earningFen(ctx, program, order)) / 100) * rate);
  return inTransaction(ctx.db, async (trx) => {
    const tx = { ...ctx, db: trx };
    const expiresAt = program.expiry_days > 0 ? ctx.now + program.expiry_days * DAY : null;
    const applied = await movePoints(tx, {
      cardId,
      delta: points,
      reason: 'order_earn',
      ref: order.id,
      expiresAt,
    });
    if (applied === null) return { cardId, points: 0 };
    if (applied > 0) await scheduleExpiry(tx, cardId, expiresAt);
    await trx
      .updateTable('loyalty_cards')
      .set((eb) => ({ total_spend: eb('total_spend', '+', spendOf(order)), updated_at: ctx.now }))
      .where('id', '=', cardId)
      .execute();
    await settleLevel(tx, cardId, `order:${order.id}`);
    return { cardId, points: applied };
  });
}

/** Points and stored value this order took at checkout, from the ledgers. */
async function takenAtCheckout(tx: Ctx, cardId: string, orderId: string) {
  const [points, value] = await Promise.all([
    tx.db
      .selectFrom('loyalty_points_ledger')
      .select('delta')
      .where('card_id', '=', cardId)
      .where('reason', '=', 'checkout_spend')
      .where('ref', '=', orderId)
      .executeTakeFirst(),
    tx.db
      .selectFrom('loyalty_value_ledger')
      .select('delta')
      .where('card_id', '=', cardId)
      .where('reason', '=', 'checkout_pay')
      .where('ref', '=', orderId)
      .executeTakeFirst(),
  ]);
  return { points: -Number(points?.delta ?? 0), value: -Number(value?.delta ?? 0) };
}

/** Gives back what the order took from the card at checkout (cancelled unpaid, or refunded). */
async function returnCheckout(tx: Ctx, cardId: string, orderId: string): Promise<void> {
  const taken = await takenAtCheckout(tx, cardId, orderId);
  if (taken.points > 0)
    await movePoints(tx, { cardId, delta: taken.points, reason: 'checkout_return', ref: orderId });
  if (taken.value > 0)
    await moveValue(tx, { cardId, delta: taken.value, reason: 'checkout_return', ref: orderId });
}

/**
 * A refunded order: the points it earned are reversed (as far as the card still holds them — the
 * shortfall is noted in the ledger, never a negative balance), what it took at checkout comes
 * back, its spend leaves the lifetime figure and the level follows.
 */
export async function reverseForOrder(ctx: Ctx, orderId: string): Promise<void> {
  const order = await getOrder(ctx, orderId);
  const card = await cardOfFan(ctx, order.account_id, order.openid);
  if (!card) return;
  await inTransaction(ctx.db, async (trx) => {
    const tx = { ...ctx, db: trx };
    await returnCheckout(tx, card.id, order.id);
    const earned = await trx
      .selectFrom('loyalty_points_ledger')
      .select('delta')
      .where('card_id', '=', card.id)
      .where('reason', '=', 'order_earn')
      .where('ref', '=', order.id)
      .executeTakeFirst();
    if (!earned) return;
    const want = Number(earned.delta);
    const applied = await movePoints(tx, {
      cardId: card.id,
      delta: -want,
      reason: 'order_reverse',
      ref: order.id,
      clamp: true,
      note: `退款冲回 ${want} 积分`,
    });
    if (applied === null) return;
    await trx
      .updateTable('loyalty_cards')
      .set((eb) => ({ total_spend: eb('total_spend', '-', spendOf(order)), updated_at: ctx.now }))
      .where('id', '=', card.id)
      .execute();
    await settleLevel(tx, card.id, `refund:${order.id}`);
  });
}

/** An unpaid order cancelled: its points and stored value go back to the card. */
export async function returnForCancelled(ctx: Ctx, orderId: string): Promise<void> {
  const order = await getOrder(ctx, orderId);
  const card = await cardOfFan(ctx, order.account_id, order.openid);
  if (!card) return;
  await inTransaction(ctx.db, (trx) => returnCheckout({ ...ctx, db: trx }, card.id, order.id));
}

/** Daily check-in: once per merchant-local day, keyed by the day. */
export async function checkIn(
  ctx: Ctx,
  accountId: string,
  openid: string,
): Promise<{ points: number; already: boolean }> {
  const program = await getProgram(ctx);
  const card = await cardOfFan(ctx, accountId, openid);
  if (!card || program.checkin_points <= 0) return { points: 0, already: false };
  // Asia/Shanghai days (UTC+8, no daylight saving).
  const day = new Date(ctx.now + 8 * 3_600_000).toISOString().slice(0, 10);
  const expiresAt = program.expiry_days > 0 ? ctx.now + program.expiry_days * DAY : null;
  const applied = await inTransaction(ctx.db, async (trx) => {
    const tx = { ...ctx, db: trx };
    const moved = await movePoints(tx, {
      cardId: card.id,
      delta: program.checkin_points,
      reason: 'checkin',
      ref: day,
      expiresAt,
    });
    if (moved) await scheduleExpiry(tx, card.id, expiresAt);
    return moved;
  });
  return { points: applied ?? 0, already: applied === null };
}
