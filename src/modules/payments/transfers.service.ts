import type { Ctx } from '../../context.ts';
import { getAccount } from '../accounts/index.ts';
import { payClientFor } from './settings.service.ts';

/**
 * Pays a fan from the merchant's WeChat Pay balance (商家转账 to 零钱): red packets, distributors'
 * withdrawals. `reference` (1–32 letters/digits) is WeChat's out_batch_no and out_detail_no, so a
 * retry with the same reference never pays twice.
 */
export async function transferToFan(
  ctx: Ctx,
  input: {
    accountId: string;
    openid: string;
    amount: number;
    reference: string;
    title: string;
    remark: string;
  },
): Promise<{ batchId: string }> {
  const account = await getAccount(ctx, input.accountId);
  const client = await payClientFor(ctx);
  const result = await client.transfer({
    appid: account.appid,
    outBatchNo: input.reference,
    batchName: input.title,
    remark: input.remark,
    details: [
      { outDetailNo: input.reference, amount: input.amount, openid: input.openid, remark: input.remark },
    ],
  });
  return { batchId: result.batch_id };
}
