import type { FastifyInstance } from 'fastify';
import { isoNow, PayError, type PayKit, refundId, tradeKey } from './pay-kit.ts';
import type { SimRefund } from './simulator.ts';

const OUT_REFUND_NO = /^[0-9A-Za-z_\-|*@]{1,64}$/;

function refundView(r: SimRefund) {
  return {
    refund_id: r.refundId,
    out_refund_no: r.outRefundNo,
    transaction_id: r.transactionId,
    out_trade_no: r.outTradeNo,
    channel: 'ORIGINAL',
    user_received_account: '支付用户零钱',
    ...(r.successTime ? { success_time: r.successTime } : {}),
    create_time: r.createTime,
    status: r.status,
    funds_account: 'AVAILABLE',
    amount: {
      total: r.total,
      refund: r.refund,
      payer_total: r.total,
      payer_refund: r.refund,
      settlement_refund: r.refund,
      settlement_total: r.total,
      discount_refund: 0,
      currency: 'CNY',
    },
  };
}

/**
 * Refunds as WeChat Pay runs them: accepted as PROCESSING, then a moment later SUCCESS with a
 * signed, encrypted REFUND.SUCCESS notice. The merchant learns the outcome from the notice or a query.
 */
export function refundRoutes(app: FastifyInstance, kit: PayKit): void {
  const { sim, authenticate, handle, json, notify } = kit;
  const refunds = () => {
    const pay = sim.pay();
    pay.refunds ??= {};
    return pay.refunds;
  };

  const succeed = (refund: SimRefund) => {
    if (refund.status === 'SUCCESS') return;
    refund.status = 'SUCCESS';
    refund.successTime = isoNow(sim.now());
    sim.changed();
    if (!refund.notifyUrl) return;
    notify(refund.notifyUrl, refund.mchid, 'REFUND.SUCCESS', 'refund', {
      mchid: refund.mchid,
      out_trade_no: refund.outTradeNo,
      transaction_id: refund.transactionId,
      out_refund_no: refund.outRefundNo,
      refund_id: refund.refundId,
      refund_status: 'SUCCESS',
      success_time: refund.successTime,
      user_received_account: '支付用户零钱',
      amount: {
        total: refund.total,
        refund: refund.refund,
        payer_total: refund.total,
        payer_refund: refund.refund,
      },
    });
  };

  app.post(
    '/v3/refund/domestic/refunds',
    handle((request) => {
      const merchant = authenticate(request);
      const body = json(request) as {
        transaction_id?: unknown;
        out_trade_no?: unknown;
        out_refund_no?: unknown;
        notify_url?: unknown;
        amount?: { refund?: unknown; total?: unknown } | null;
      };
      if (typeof body.out_refund_no !== 'string' || !OUT_REFUND_NO.test(body.out_refund_no))
        throw new PayError(400, 'PARAM_ERROR', 'out_refund_no 应为 1–64 位字母、数字或 _-|*@');
      const pay = sim.pay();
      const t =
        typeof body.transaction_id === 'string'
          ? Object.values(pay.transactions).find(
              (x) => x.mchid === merchant.mchid && x.transactionId === body.transaction_id,
            )
          : typeof body.out_trade_no === 'string'
            ? pay.transactions[tradeKey(merchant.mchid, body.out_trade_no)]
            : undefined;
      if (!t?.transactionId) throw new PayError(404, 'RESOURCE_NOT_EXISTS', '订单不存在或未支付');
      const existing = refunds()[tradeKey(merchant.mchid, body.out_refund_no)];
      // A retried request with the same out_refund_no is the same refund, not a second one.
      if (existing) return { status: 200, body: refundView(existing) };
      const refund = body.amount?.refund;
      if (body.amount?.total !== t.total) throw new PayError(400, 'PARAM_ERROR', '订单金额与原订单不一致');
      if (
        !Number.isSafeInteger(refund) ||
        (refund as number) <= 0 ||
        t.refunded + (refund as number) > t.total
      )
        throw new PayError(400, 'NOT_ENOUGH', '退款金额超过可退金额');
      t.refunded += refund as number;
      t.state = 'REFUND';
      const created: SimRefund = {
        mchid: merchant.mchid,
        refundId: refundId(sim.now()),
        outRefundNo: body.out_refund_no,
        outTradeNo: t.outTradeNo,
        transactionId: t.transactionId,
        refund: refund as number,
        total: t.total,
        status: 'PROCESSING',
        createTime: isoNow(sim.now()),
        successTime: null,
        notifyUrl: typeof body.notify_url === 'string' ? body.notify_url : null,
      };
      refunds()[tradeKey(merchant.mchid, created.outRefundNo)] = created;
      sim.changed();
      setTimeout(() => succeed(created), kit.refundDelayMs ?? 300).unref();
      return { status: 200, body: refundView(created) };
    }),
  );

  app.get(
    '/v3/refund/domestic/refunds/:outRefundNo',
    handle((request) => {
      const merchant = authenticate(request);
      const refund =
        refunds()[tradeKey(merchant.mchid, (request.params as { outRefundNo: string }).outRefundNo)];
      if (!refund) throw new PayError(404, 'RESOURCE_NOT_EXISTS', '退款单不存在');
      return { status: 200, body: refundView(refund) };
    }),
  );
}
