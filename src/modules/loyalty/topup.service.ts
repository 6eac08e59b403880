import type { Ctx } from '../../context.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { badRequest, conflict } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { buyerOf } from '../orders/index.ts';
import { getCharge, startCharge } from '../payments/index.ts';
import { cardOfFan } from './cards.service.ts';
import { moveValue } from './ledger.service.ts';
import type { TopUpRule } from './loyalty.schema.ts';
import { getProgram } from './program.service.ts';

export const TOPUP_PURPOSE = 'stored_value';

/** The bonus for paying `amount`: the richest rule the amount reaches ("充 500 送 50"). */
export function bonusFor(rules: readonly TopUpRule[], amount: number): number {
  return rules.filter((r) => amount >= r.amount).reduce((best, r) => Math.max(best, r.bonus), 0);
}

/**
 * The fan tops up the card through WeChat Pay: the bonus is fixed now (a rule changed before the
 * payment lands does not change it), payments makes the pay sheet, and the money is credited when
 * payments says it arrived (creditTopUp).
 */
export async function startTopUp(ctx: Ctx, amount: number) {
  const { accountId, openid } = buyerOf(ctx);
  const card = await cardOfFan(ctx, accountId, openid);
  if (!card) throw conflict('no_card', '请先领取会员卡', 'Get the member card first');
  if (!Number.isSafeInteger(amount) || amount < 100 || amount > 5_000_000)
    throw badRequest('invalid_amount', '充值金额需在 ¥1–¥50,000 之间', 'Top up between ¥1 and ¥50,000');
  const program = await getProgram(ctx);
  const bonus = bonusFor(program.topup_rules, amount);
  const id = newId('top', ctx.now);
  await ctx.db
    .insertInto('loyalty_topups')
    .values({
      id,
      merchant_id: ctx.merchantId,
      card_id: card.id,
      amount,
      bonus,
      charge_id: null,
      status: 'pending',
      created_at: ctx.now,
      credited_at: null,
    })
    .execute();
  const charge = await startCharge(ctx, {
    purpose: TOPUP_PURPOSE,
    ref: id,
    amount,
    description: `${program.name}储值`,
  });
  await ctx.db
    .updateTable('loyalty_topups')
    .set({ charge_id: charge.charge_id })
    .where('id', '=', id)
    .execute();
  return { topup_id: id, amount, bonus, pay_params: charge.pay_params };
}

/** Payments says a charge was paid: a stored-value one credits its top-up and bonus, once. */
export async function creditTopUp(ctx: Ctx, chargeId: string): Promise<boolean> {
  const charge = await getCharge(ctx, chargeId);
  if (charge.purpose !== TOPUP_PURPOSE || charge.status !== 'paid') return false;
  return inTransaction(ctx.db, async (trx) => {
    const tx = { ...ctx, db: trx, actor: { kind: 'system' as const, name: 'wechat_pay' } };
    const topup = await trx
      .selectFrom('loyalty_topups')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('id', '=', charge.ref)
      .executeTakeFirst();
    if (!topup) return false;
    // What was paid is what is credited, whatever the row says.
    const credited = await moveValue(tx, {
      cardId: topup.card_id,
      delta: charge.amount,
      reason: 'topup',
      ref: topup.id,
      note: `微信支付 ${charge.transaction_id ?? ''}`,
    });
    if (credited === null) return false;
    if (Number(topup.bonus) > 0)
      await moveValue(tx, {
        cardId: topup.card_id,
        delta: Number(topup.bonus),
        reason: 'topup_bonus',
        ref: topup.id,
      });
    await trx
      .updateTable('loyalty_topups')
      .set({ status: 'credited', credited_at: ctx.now })
      .where('id', '=', topup.id)
      .execute();
    return true;
  });
}
