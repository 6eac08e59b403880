import { randomBytes } from 'node:crypto';
import type { SimTransfer, SimulatorState } from './simulator.ts';

/** A refusal in WeChat Pay's words (status, code, message). */
export class TransferRefused extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

interface TransferBody {
  appid?: string;
  out_batch_no?: string;
  batch_name?: string;
  batch_remark?: string;
  total_amount?: number;
  total_num?: number;
  transfer_detail_list?: Array<{
    out_detail_no?: string;
    transfer_amount?: number;
    transfer_remark?: string;
    openid?: string;
    user_name?: string;
  }>;
}

const NO = /^[0-9A-Za-z]{1,32}$/;
/** 商家转账's rules: each transfer 0.10–2,000 yuan without the payee's (encrypted) name; ≤ 1,000 per batch. */
const MIN_FEN = 10;
const NAMELESS_MAX_FEN = 200_000;
const MAX_DETAILS = 1000;

/**
 * The simulator's 商家转账 (POST /v3/transfer/batches): checks a batch as WeChat Pay does and
 * records it; a repeated out_batch_no returns the first batch (WeChat's idempotency), never pays twice.
 */
export function transferBatch(sim: SimulatorState, mchid: string, body: TransferBody) {
  const pay = sim.pay();
  pay.transfers ??= {};
  const details = body.transfer_detail_list ?? [];
  if (!body.appid || !body.out_batch_no || !body.batch_name || !body.batch_remark || details.length === 0)
    throw new TransferRefused(400, 'PARAM_ERROR', '缺少必填参数');
  if (!NO.test(body.out_batch_no)) throw new TransferRefused(400, 'PARAM_ERROR', '商家批次单号格式错误');
  const key = `${mchid}/${body.out_batch_no}`;
  const earlier = pay.transfers[key];
  if (earlier)
    return {
      out_batch_no: body.out_batch_no,
      batch_id: earlier[0]!.batchId,
      create_time: iso(earlier[0]!.createdAt),
    };
  if (details.length > MAX_DETAILS || body.total_num !== details.length)
    throw new TransferRefused(400, 'PARAM_ERROR', '转账总笔数与明细不一致');
  let sum = 0;
  const seen = new Set<string>();
  for (const d of details) {
    const amount = d.transfer_amount;
    if (!d.out_detail_no || !NO.test(d.out_detail_no) || seen.has(d.out_detail_no))
      throw new TransferRefused(400, 'PARAM_ERROR', '商家明细单号缺失或重复');
    seen.add(d.out_detail_no);
    if (!d.openid || !d.transfer_remark)
      throw new TransferRefused(400, 'PARAM_ERROR', '明细缺少 openid 或备注');
    if (!Number.isSafeInteger(amount) || (amount as number) < MIN_FEN)
      throw new TransferRefused(400, 'PARAM_ERROR', '单笔转账金额不能低于 0.1 元');
    if ((amount as number) >= NAMELESS_MAX_FEN && !d.user_name)
      throw new TransferRefused(400, 'PARAM_ERROR', '转账金额大于等于 2000 元时须填写收款用户姓名');
    sum += amount as number;
  }
  if (sum !== body.total_amount)
    throw new TransferRefused(400, 'PARAM_ERROR', '转账总金额与明细金额之和不一致');
  const batchId = `1030000${Date.now()}${randomBytes(4).toString('hex')}`;
  const createdAt = sim.now();
  pay.transfers[key] = details.map(
    (d): SimTransfer => ({
      mchid,
      appid: body.appid as string,
      outBatchNo: body.out_batch_no as string,
      batchId,
      outDetailNo: d.out_detail_no as string,
      openid: d.openid as string,
      amount: d.transfer_amount as number,
      remark: d.transfer_remark as string,
      createdAt,
    }),
  );
  sim.changed();
  return { out_batch_no: body.out_batch_no, batch_id: batchId, create_time: iso(createdAt) };
}

/** Every transfer the simulator paid to one fan (what the fan's 零钱 shows). */
export function transfersTo(sim: SimulatorState, openid: string): SimTransfer[] {
  return Object.values(sim.pay().transfers ?? {})
    .flat()
    .filter((t) => t.openid === openid);
}

const iso = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().replace(/\.\d+Z$/, '+08:00');
