import type { Ctx } from '../../context.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { badRequest, conflict } from '../../platform/http/errors.ts';
import { cardOfFan, getProgram, issueCard, movePoints } from '../loyalty/index.ts';
import type {
  GrowthDrawPrizesTable,
  GrowthDrawResultsTable,
  GrowthDrawsTable,
} from './share-draws.schema.ts';

/**
 * Points in lucky draws, through loyalty's face: a play bought with points leaves the member card
 * in the play's own transaction (ledger `draw_entry`), and a points prize goes onto the card from
 * the prize job (ledger `draw_prize`). Both are keyed by the draw result's id, which loyalty's
 * ledger holds unique per (card, reason, ref): a retried job or a replayed write moves nothing twice.
 */

/** A draw that spends or gives points needs the merchant's member card program. */
export async function requireCardProgram(ctx: Ctx): Promise<void> {
  if (!(await getProgram(ctx)).configured)
    throw badRequest(
      'card_program_required',
      '积分抽奖需先设置会员卡',
      'Set up the member card program before a draw with points',
    );
}

/** The points on the fan's member card, or null without a card (the draw page shows either). */
export async function fanPoints(fan: Ctx): Promise<number | null> {
  if (fan.actor.kind !== 'fan') return null;
  const card = await cardOfFan(fan, fan.actor.accountId, fan.actor.openid);
  return card ? card.points : null;
}

/**
 * Takes one play's cost off the fan's card inside the play's transaction. Loyalty's guard in the
 * UPDATE refuses to go below 0 however many plays run at once; its refusal rolls the whole play
 * back (stock, result, play count), so points are only ever spent on a recorded result.
 */
export async function spendOnPlay(
  tx: Ctx,
  draw: Pick<GrowthDrawsTable, 'name' | 'entry_points'>,
  fan: { accountId: string; openid: string },
  resultId: string,
): Promise<void> {
  const card = await cardOfFan(tx, fan.accountId, fan.openid);
  if (!card) throw conflict('no_card', '请先领取会员卡', 'Get the member card first');
  await movePoints(tx, {
    cardId: card.id,
    delta: -draw.entry_points,
    reason: 'draw_entry',
    ref: resultId,
    note: draw.name,
  });
}

/**
 * A points prize onto the winner's card (a card is issued if they hold none), once per result:
 * the ledger row and the result's `points_awarded` are written together.
 */
export async function awardPrizePoints(
  fan: Ctx,
  result: GrowthDrawResultsTable,
  prize: GrowthDrawPrizesTable,
): Promise<void> {
  if (prize.kind !== 'points' || prize.points <= 0 || Number(result.points_awarded) > 0) return;
  const card =
    (await cardOfFan(fan, result.account_id, result.openid)) ??
    (await issueCard(fan, { accountId: result.account_id, openid: result.openid, source: 'lucky_draw' }))
      .card;
  await inTransaction(fan.db, async (trx) => {
    const tx = { ...fan, db: trx };
    await movePoints(tx, {
      cardId: card.id,
      delta: prize.points,
      reason: 'draw_prize',
      ref: result.id,
      note: prize.name,
    });
    await trx
      .updateTable('growth_draw_results')
      .set({ points_awarded: prize.points })
      .where('merchant_id', '=', fan.merchantId)
      .where('id', '=', result.id)
      .execute();
  });
}
