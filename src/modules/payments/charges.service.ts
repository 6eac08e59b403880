import type { Ctx } from '../../context.ts';
import { found } from '../../platform/db/paging.ts';
import { badRequest } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { Transaction } from '../../wechat/pay/pay-client.ts';
import { getAccount } from '../accounts/index.ts';
import { buyerOf } from '../orders/index.ts';
import type { ChargesTable } from './payments.schema.ts';
import { notifyUrl, payClientFor } from './settings.service.ts';

/** Published in the transaction that records the money; payload `chargeId` (read the row with getCharge). */
export const CHARGE_EVENTS = {
  paid: 'payment.charge_paid',
  /** Payload `chargeId`, `ref` (the caller's) and `amount`: part of a charge went back to the payer. */
  refunded: 'payment.charge_refunded',
} as const;

const CHARGE = { zh: '支付', en: 'Charge' };

/**
 * A WeChat Pay payment that is not an order (a stored-value top-up): the fan in `ctx` pays
 * `amount` fen for the caller's `purpose`/`ref`; one charge per (purpose, ref), so a second call
 * returns the same pay sheet. When the money arrives, CHARGE_EVENTS.paid tells the caller.
 */
export async function startCharge(
  ctx: Ctx,
  input: { purpose: string; ref: string; amount: number; description: string },
) {
  const { accountId, openid } = buyerOf(ctx);
  if (!Number.isSafeInteger(input.amount) || input.amount < 1)
    throw badRequest('invalid_amount', '金额无效', 'Invalid amount');
  const existing = await ctx.db
    .selectFrom('charges')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('purpose', '=', input.purpose)
    .where('ref', '=', input.ref)
    .executeTakeFirst();
  const client = await payClientFor(ctx);
  if (existing)
    return { charge_id: existing.id, pay_params: client.payParams(existing.appid, existing.prepay_id) };
  const account = await getAccount(ctx, accountId);
  const id = newId('chg', ctx.now);
  const { prepay_id } = await client.jsapiPrepay({
    appid: account.appid,
    description: input.description.slice(0, 120),
    outTradeNo: id,
    notifyUrl: notifyUrl(ctx.deps.config.publicUrl, ctx.merchantId),
    total: input.amount,
    openid,
  });
  await ctx.db
    .insertInto('charges')
    .values({
      id,
      merchant_id: ctx.merchantId,
      purpose: input.purpose,
      ref: input.ref,
      account_id: accountId,
      openid,
      appid: account.appid,
      prepay_id,
      amount: input.amount,
      status: 'created',
      transaction_id: null,
      paid_at: null,
      created_at: ctx.now,
    })
    .execute();
  return { charge_id: id, pay_params: client.payParams(account.appid, prepay_id) };
}

export async function getCharge(ctx: Pick<Ctx, 'db' | 'merchantId'>, id: string): Promise<ChargesTable> {
  const row = await ctx.db
    .selectFrom('charges')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .executeTakeFirst();
  const charge = found(row, CHARGE);
  return { ...charge, amount: Number(charge.amount) };
}

/** Paid charges per purpose, for a caller reconciling its ledger against the money received. */
export async function paidCharges(ctx: Pick<Ctx, 'db' | 'merchantId'>, purpose: string) {
  const row = await ctx.db
    .selectFrom('charges')
    .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.sum<number>('amount').as('amount')])
    .where('merchant_id', '=', ctx.merchantId)
    .where('purpose', '=', purpose)
    .where('status', '=', 'paid')
    .executeTakeFirstOrThrow();
  return { count: Number(row.count), amount: Number(row.amount ?? 0) };
}

/**
 * A transaction for a charge (inside applyTransaction's transaction): checked like an order's,
 * recorded once, and CHARGE_EVENTS.paid published. Returns null when `out_trade_no` is no charge.
 */
export async function applyChargeTransaction(
  tx: Ctx,
  mchid: string,
  transaction: Transaction,
  reject: (why: string) => Error,
): Promise<'paid' | 'already' | 'ignored' | null> {
  const charge = await tx.db
    .selectFrom('charges')
    .selectAll()
    .where('merchant_id', '=', tx.merchantId)
    .where('id', '=', transaction.out_trade_no)
    .executeTakeFirst();
  if (!charge) return null;
  if (transaction.mchid !== mchid) throw reject('mchid mismatch');
  if (transaction.appid !== charge.appid) throw reject('appid mismatch');
  if (transaction.amount?.total !== Number(charge.amount))
    throw reject(`amount ${transaction.amount?.total} ≠ ${charge.amount}`);
  if (transaction.trade_state !== 'SUCCESS') return 'ignored';
  if (!transaction.transaction_id) throw reject('no transaction_id');
  if (charge.status === 'paid') {
    if (charge.transaction_id !== transaction.transaction_id)
      throw reject('a second transaction for a paid charge');
    return 'already';
  }
  await tx.db
    .updateTable('charges')
    .set({ status: 'paid', transaction_id: transaction.transaction_id, paid_at: tx.now })
    .where('id', '=', charge.id)
    .where('status', '=', 'created')
    .execute();
  await tx.deps.events.publish(
    tx.db,
    { name: CHARGE_EVENTS.paid, merchantId: tx.merchantId, key: charge.id, payload: { chargeId: charge.id } },
    tx.now,
  );
  return 'paid';
}
