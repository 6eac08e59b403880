import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type jsapiPayParams, verifyPaySign } from '../wechat/pay/pay-crypto.ts';
import { isoNow, type PayDeps, PayError, payKit, tradeKey, transactionId } from './pay-kit.ts';
import { refundRoutes } from './pay-refund.routes.ts';
import { transferRoutes } from './pay-transfer.routes.ts';
import type { SimPayMerchant, SimTransaction } from './simulator.ts';

export type { PayDeps } from './pay-kit.ts';

/** WeChat Pay's rule for out_trade_no: 6–32 letters, digits, _ - | *. */
const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{6,32}$/;

function transactionView(t: SimTransaction) {
  const paid = t.transactionId !== null;
  return {
    appid: t.appid,
    mchid: t.mchid,
    out_trade_no: t.outTradeNo,
    ...(t.transactionId ? { transaction_id: t.transactionId } : {}),
    trade_type: 'JSAPI',
    trade_state: t.state,
    trade_state_desc: { NOTPAY: '未支付', SUCCESS: '支付成功', CLOSED: '已关闭', REFUND: '转入退款' }[
      t.state
    ],
    ...(t.successTime ? { success_time: t.successTime, bank_type: 'OTHERS' } : {}),
    // Nobody paid an order that was never paid: no payer and no payer_total, as WeChat answers.
    payer: paid ? { openid: t.openid } : {},
    amount: {
      total: t.total,
      ...(paid ? { payer_total: t.total } : {}),
      currency: 'CNY',
      payer_currency: 'CNY',
    },
  };
}

/** The simulated WeChat Pay v3 API: signed requests in, signed responses and encrypted notices out. */
export function payRoutes(app: FastifyInstance, deps: PayDeps): void {
  const kit = payKit(deps);
  const { sim, publicKey, authenticate, handle, json, notify } = kit;
  const byPrepayId = new Map<string, SimTransaction>();

  // Keep the body as text: the signature covers its exact bytes.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) =>
    done(null, body),
  );

  app.post(
    '/v3/pay/transactions/jsapi',
    handle((request) => {
      const merchant = authenticate(request);
      const body = json(request) as {
        appid?: string;
        mchid?: string;
        description?: string;
        out_trade_no?: string;
        notify_url?: string;
        amount?: { total?: number };
        payer?: { openid?: string };
      };
      if (body.mchid !== merchant.mchid) throw new PayError(400, 'PARAM_ERROR', 'mchid 与请求头不一致');
      const total = body.amount?.total;
      if (!body.appid || !body.out_trade_no || !body.notify_url || !body.description || !body.payer?.openid)
        throw new PayError(400, 'PARAM_ERROR', '缺少必填参数');
      if (typeof body.out_trade_no !== 'string' || !OUT_TRADE_NO.test(body.out_trade_no))
        throw new PayError(400, 'PARAM_ERROR', 'out_trade_no 应为 6–32 位字母、数字或 _-|*');
      if (!Number.isSafeInteger(total) || (total as number) <= 0)
        throw new PayError(400, 'PARAM_ERROR', '金额必须为正整数（分）');
      if (merchant.appids && !merchant.appids.includes(String(body.appid)))
        throw new PayError(400, 'APPID_MCHID_NOT_MATCH', 'appid 和 mch_id 不匹配');
      const pay = sim.pay();
      const existing = pay.transactions[tradeKey(merchant.mchid, body.out_trade_no)];
      if (existing) {
        // Same order, same request: the same prepay_id; a different amount is a duplicate order number.
        if (existing.total !== total || existing.state !== 'NOTPAY')
          throw new PayError(400, 'OUT_TRADE_NO_USED', '商户订单号重复');
        return { status: 200, body: { prepay_id: existing.prepayId } };
      }
      const transaction: SimTransaction = {
        mchid: merchant.mchid,
        appid: body.appid,
        outTradeNo: body.out_trade_no,
        description: body.description,
        total: total as number,
        openid: body.payer.openid,
        notifyUrl: body.notify_url,
        prepayId: `wx${Date.now()}${randomBytes(8).toString('hex')}`,
        transactionId: null,
        state: 'NOTPAY',
        successTime: null,
        refunded: 0,
        createdAt: sim.now(),
      };
      pay.transactions[tradeKey(merchant.mchid, body.out_trade_no)] = transaction;
      byPrepayId.set(transaction.prepayId, transaction);
      sim.changed();
      return { status: 200, body: { prepay_id: transaction.prepayId } };
    }),
  );

  app.get(
    '/v3/pay/transactions/out-trade-no/:outTradeNo',
    handle((request) => {
      const merchant = authenticate(request);
      const t =
        sim.pay().transactions[
          tradeKey(merchant.mchid, (request.params as { outTradeNo: string }).outTradeNo)
        ];
      if (!t) throw new PayError(404, 'ORDER_NOT_EXIST', '订单不存在');
      return { status: 200, body: transactionView(t) };
    }),
  );

  app.get(
    '/v3/pay/transactions/id/:transactionId',
    handle((request) => {
      const merchant = authenticate(request);
      const id = (request.params as { transactionId: string }).transactionId;
      const t = Object.values(sim.pay().transactions).find(
        (x) => x.mchid === merchant.mchid && x.transactionId === id,
      );
      if (!t) throw new PayError(404, 'ORDER_NOT_EXIST', '订单不存在');
      return { status: 200, body: transactionView(t) };
    }),
  );

  app.post(
    '/v3/pay/transactions/out-trade-no/:outTradeNo/close',
    handle((request) => {
      const merchant = authenticate(request);
      const t =
        sim.pay().transactions[
          tradeKey(merchant.mchid, (request.params as { outTradeNo: string }).outTradeNo)
        ];
      if (!t) throw new PayError(404, 'ORDER_NOT_EXIST', '订单不存在');
      if (t.state === 'SUCCESS' || t.state === 'REFUND') throw new PayError(400, 'ORDERPAID', '订单已支付');
      t.state = 'CLOSED';
      sim.changed();
      return { status: 204, body: undefined };
    }),
  );

  refundRoutes(app, kit);
  transferRoutes(app, kit);

  // --- The fan's pay sheet: the phone page (or a test) confirms with the JSAPI parameters ---
  app.post('/pay/confirm', async (request, res) => {
    const params = bodyObject(request) as Partial<ReturnType<typeof jsapiPayParams>> & {
      openid?: string;
      password_ok?: boolean;
    };
    const prepayId = String(params.package ?? '').replace(/^prepay_id=/, '');
    const pay = sim.pay();
    const t =
      byPrepayId.get(prepayId) ?? Object.values(pay.transactions).find((x) => x.prepayId === prepayId);
    if (!t) return res.status(404).send({ error: { code: 'ORDER_NOT_EXIST', message: '支付单不存在' } });
    const merchant = pay.merchants[t.mchid];
    if (
      !merchant ||
      params.appId !== t.appid ||
      !verifyPaySign(params as ReturnType<typeof jsapiPayParams>, publicKey(merchant.publicKeyPem))
    ) {
      return res.status(400).send({ error: { code: 'SIGN_ERROR', message: '支付签名错误，无法发起支付' } });
    }
    if (params.openid && params.openid !== t.openid)
      return res.status(400).send({ error: { code: 'PAYER_MISMATCH', message: '付款人与下单人不一致' } });
    if (t.state === 'CLOSED')
      return res.status(400).send({ error: { code: 'ORDER_CLOSED', message: '订单已关闭' } });
    if (t.state === 'NOTPAY') {
      t.state = 'SUCCESS';
      t.transactionId = transactionId(sim.now());
      t.successTime = isoNow(sim.now());
      sim.changed();
      notify(t.notifyUrl, t.mchid, 'TRANSACTION.SUCCESS', 'transaction', {
        ...transactionView(t),
        trade_type: 'JSAPI',
      });
    }
    return { ok: true, transaction_id: t.transactionId, total: t.total, description: t.description };
  });

  /**
   * Registers a merchant's API key (as its certificate would be) and APIv3 key with WeChat Pay,
   * and the AppIDs bound to the merchant number.
   */
  app.post('/pay/merchants', async (request, res) => {
    const body = bodyObject(request) as {
      mchid?: string;
      serialNo?: string;
      publicKeyPem?: string;
      apiV3Key?: string;
      appids?: unknown;
      owner?: string;
    };
    const appids = body.appids ?? [];
    if (
      !body.mchid ||
      !body.serialNo ||
      !body.publicKeyPem ||
      body.apiV3Key?.length !== 32 ||
      !Array.isArray(appids) ||
      !appids.every((a) => typeof a === 'string')
    ) {
      return res.status(400).send({
        error: {
          code: 'PARAM_ERROR',
          message: 'mchid, serialNo, publicKeyPem, a 32-byte apiV3Key and appids (strings) are required',
        },
      });
    }
    const pay = sim.pay();
    pay.merchants[body.mchid] = {
      mchid: body.mchid,
      serialNo: body.serialNo,
      publicKeyPem: body.publicKeyPem,
      apiV3Key: body.apiV3Key,
      appids: [...new Set(appids as string[])],
      ...(typeof body.owner === 'string' ? { owner: body.owner } : {}),
    };
    sim.changed();
    return { platformPublicKeyPem: pay.platformPublicKeyPem, platformKeyId: pay.platformKeyId };
  });

  /** The merchant platform's "AppID 账号管理": binds one more AppID to a merchant number. */
  app.post('/pay/merchants/:mchid/appids', async (request, res) => {
    const merchant = sim.pay().merchants[(request.params as { mchid: string }).mchid];
    const appid = bodyObject(request).appid;
    if (!merchant)
      return res.status(404).send({ error: { code: 'MCH_NOT_EXISTS', message: '商户号不存在' } });
    if (typeof appid !== 'string' || !/^wx[0-9a-zA-Z]{10,30}$/.test(appid))
      return res.status(400).send({ error: { code: 'PARAM_ERROR', message: 'appid 格式不正确' } });
    bindAppid(merchant, appid);
    sim.changed();
    return { ok: true, appids: merchant.appids };
  });
}

export function bindAppid(merchant: SimPayMerchant, appid: string): void {
  if (merchant.appids && !merchant.appids.includes(appid)) merchant.appids.push(appid);
}

/** The simulator's own JSON endpoints: a body that is not a JSON object reads as an empty one. */
function bodyObject(request: FastifyRequest): Record<string, unknown> {
  try {
    const parsed = JSON.parse((request.body as string) || '{}') as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}
