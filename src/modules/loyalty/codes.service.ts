import { randomInt } from 'node:crypto';
import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { badRequest, conflict } from '../../platform/http/errors.ts';
import { type CardView, getCard } from './cards.service.ts';
import { movePoints, moveValue } from './ledger.service.ts';
import { getProgram, levelRule } from './program.service.ts';

/** How long a card QR is good for; the card page refreshes within it. */
export const CODE_TTL_MS = 60_000;

/** A fresh code for the card's QR: 18 digits (scanners type it like a barcode), good for 60 s, once. */
export async function newCardCode(ctx: Ctx, cardId: string): Promise<{ code: string; expires_at: number }> {
  const digits = () => String(randomInt(1e9)).padStart(9, '0');
  const code = `${digits()}${digits()}`;
  const expiresAt = ctx.now + CODE_TTL_MS;
  await ctx.db
    .insertInto('loyalty_card_codes')
    .values({ code, merchant_id: ctx.merchantId, card_id: cardId, expires_at: expiresAt, used_at: null })
    .execute();
  // Expired codes of this card go as new ones come: the table stays as small as the live codes.
  await ctx.db
    .deleteFrom('loyalty_card_codes')
    .where('card_id', '=', cardId)
    .where('expires_at', '<', ctx.now - CODE_TTL_MS)
    .execute();
  return { code, expires_at: expiresAt };
}

export interface ChargeInput {
  code: string;
  /** Stored value to take, fen, and/or points to redeem at the till. */
  amount?: number;
  points?: number;
  note?: string;
}

/**
 * The clerk charges a card from its QR: the code is claimed (unexpired, unused) in the same
 * transaction as the ledger moves, so a code works once even with two clerks at once, and an
 * insufficient balance leaves the code unused.
 */
export async function chargeByCode(ctx: Ctx, input: ChargeInput): Promise<CardView> {
  requireRole(ctx, 'clerk', 'operator');
  const amount = input.amount ?? 0;
  const points = input.points ?? 0;
  if (amount <= 0 && points <= 0)
    throw badRequest('nothing_to_charge', '请输入扣款金额或积分', 'Give an amount or points to charge');
  return inTransaction(ctx.db, async (trx) => {
    const tx = { ...ctx, db: trx };
    const row = await trx
      .selectFrom('loyalty_card_codes')
      .select('card_id')
      .where('code', '=', input.code)
      .where('merchant_id', '=', ctx.merchantId)
      .executeTakeFirst();
    const claimed = await trx
      .updateTable('loyalty_card_codes')
      .set({ used_at: ctx.now })
      .where('code', '=', input.code)
      .where('merchant_id', '=', ctx.merchantId)
      .where('used_at', 'is', null)
      .where('expires_at', '>', ctx.now)
      .executeTakeFirst();
    if (!row || Number(claimed.numUpdatedRows) === 0)
      throw conflict(
        'code_invalid',
        '会员码无效或已过期，请让顾客刷新',
        'The card code is used or expired; ask for a fresh one',
      );
    const note = (input.note ?? '').slice(0, 200);
    if (amount > 0)
      await moveValue(tx, {
        cardId: row.card_id,
        delta: -amount,
        reason: 'store_charge',
        ref: input.code,
        note,
      });
    if (points > 0)
      await movePoints(tx, {
        cardId: row.card_id,
        delta: -points,
        reason: 'store_redeem',
        ref: input.code,
        note,
      });
    return getCard(tx, row.card_id);
  });
}

/**
 * What the clerk sees before charging: the card behind a live code (level, points, balance), the
 * code left unused. The fan's openid and member id stay out of it.
 */
export async function checkCode(ctx: Ctx, code: string) {
  requireRole(ctx, 'clerk', 'operator');
  const row = await ctx.db
    .selectFrom('loyalty_card_codes')
    .select(['card_id', 'expires_at', 'used_at'])
    .where('code', '=', code)
    .where('merchant_id', '=', ctx.merchantId)
    .executeTakeFirst();
  if (!row || row.used_at !== null || Number(row.expires_at) <= ctx.now)
    throw conflict(
      'code_invalid',
      '会员码无效或已过期，请让顾客刷新',
      'The card code is used or expired; ask for a fresh one',
    );
  const card = await getCard(ctx, row.card_id);
  const program = await getProgram(ctx);
  return {
    number: `${card.number.slice(0, 4)} **** ${card.number.slice(-4)}`,
    level: levelRule(program, card.level).name,
    points: card.points,
    balance: card.balance,
    points_per_yuan: program.points_per_yuan,
    expires_at: Number(row.expires_at),
  };
}
