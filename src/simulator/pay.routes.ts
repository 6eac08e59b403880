import { createPrivateKey, createPublicKey, type KeyObject, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  encryptResource,
  type jsapiPayParams,
  parseAuthorization,
  signResponse,
  verifyPaySign,
  verifyRequest,
} from '../wechat/pay/pay-crypto.ts';
import type { Transport } from './delivery.ts';
import type { SimTransaction, SimulatorState } from './simulator.ts';

/** WeChat Pay's notice retry schedule (15s, 15s, 30s, 3m, 10m, 20m, 30m …), shortened by `retryScale`. */
const NOTICE_RETRIES_S = [15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600];

export interface PayDeps {
  sim: SimulatorState;
  transport: Transport;
  /** Multiplies the retry delays (tests use a tiny one). */
  retryScale?: number;
}

class PayError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const key = (mchid: string, outTradeNo: string) => `${mchid}/${outTradeNo}`;
const isoNow = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().replace(/\.\d+Z$/, '+08:00');

function transactionView(t: SimTransaction) {
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
    payer: { openid: t.openid },
    amount: {
      total: t.total,
      payer_total: t.state === 'NOTPAY' ? 0 : t.total,
      currency: 'CNY',
      payer_currency: 'CNY',
    },
  };
}

/** The simulated WeChat Pay v3 API: signed requests in, signed responses and encrypted notices out. */
export function payRoutes(app: FastifyInstance, deps: PayDeps): void {
  const { sim } = deps;
  // Parsing a PEM costs more than the RSA operation itself: parse each key once.
  const keys = new Map<string, KeyObject>();
  const privateKey = (pem: string) => keys.get(pem) ?? keys.set(pem, createPrivateKey(pem)).get(pem)!;
  const publicKey = (pem: string) => keys.get(pem) ?? keys.set(pem, createPublicKey(pem)).get(pem)!;
  const byPrepayId = new Map<string, SimTransaction>();

  const reply = (res: FastifyReply, status: number, body: unknown) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    const pay = sim.pay();
    const signed = signResponse(text, privateKey(pay.platformPrivateKeyPem));
    return res
      .status(status)
      .header('content-type', 'application/json')
      .header('Wechatpay-Serial', pay.platformKeyId)
      .header('Wechatpay-Timestamp', signed.timestamp)
      .header('Wechatpay-Nonce', signed.nonce)
      .header('Wechatpay-Signature', signed.signature)
      .send(text);
  };

  /** Checks the merchant's request signature, as WeChat Pay does before anything else. */
  const authenticate = (request: FastifyRequest) => {
    const auth = parseAuthorization(request.headers.authorization);
    if (!auth) throw new PayError(401, 'SIGN_ERROR', 'Authorization 头缺失或格式错误');
    const merchant = sim.pay().merchants[auth.mchid];
    if (!merchant) throw new PayError(401, 'SIGN_ERROR', '商户号不存在');
    if (auth.serialNo !== merchant.serialNo) throw new PayError(401, 'SIGN_ERROR', '证书序列号错误');
    const path = request.url.replace(/^\/sim/, '');
    const body =
      typeof request.body === 'string' ? request.body : request.body ? JSON.stringify(request.body) : '';
    if (!verifyRequest(auth, request.method, path, body, publicKey(merchant.publicKeyPem)))
      throw new PayError(401, 'SIGN_ERROR', '签名错误');
    return merchant;
  };

  const handle =
    (
      work: (
        request: FastifyRequest,
      ) => { status: number; body: unknown } | Promise<{ status: number; body: unknown }>,
    ) =>
    async (request: FastifyRequest, res: FastifyReply) => {
      try {
        const result = await work(request);
        return reply(res, result.status, result.body);
      } catch (error) {
        if (error instanceof PayError)
          return reply(res, error.status, { code: error.code, message: error.message });
        throw error;
      }
    };

  // Keep the body as text: the signature covers its exact bytes.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) =>
    done(null, body),
  );
  const json = (request: FastifyRequest) =>
    JSON.parse((request.body as string) || '{}') as Record<string, unknown>;

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
      if (!Number.isSafeInteger(total) || (total as number) <= 0)
        throw new PayError(400, 'PARAM_ERROR', '金额必须为正整数（分）');
      const pay = sim.pay();
      const existing = pay.transactions[key(merchant.mchid, body.out_trade_no)];
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
      pay.transactions[key(merchant.mchid, body.out_trade_no)] = transaction;
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
        sim.pay().transactions[key(merchant.mchid, (request.params as { outTradeNo: string }).outTradeNo)];
      if (!t) throw new PayError(404, 'ORDER_NOT_EXIST', '订单不存在');
      return { status: 200, body: transactionView(t) };
    }),
  );

  app.post(
    '/v3/pay/transactions/out-trade-no/:outTradeNo/close',
    handle((request) => {
      const merchant = authenticate(request);
      const t =
        sim.pay().transactions[key(merchant.mchid, (request.params as { outTradeNo: string }).outTradeNo)];
      if (!t) throw new PayError(404, 'ORDER_NOT_EXIST', '订单不存在');
      if (t.state === 'SUCCESS' || t.state === 'REFUND') throw new PayError(400, 'ORDERPAID', '订单已支付');
      t.state = 'CLOSED';
      sim.changed();
      return { status: 204, body: undefined };
    }),
  );

  app.post(
    '/v3/refund/domestic/refunds',
    handle((request) => {
      const merchant = authenticate(request);
      const body = json(request) as {
        out_trade_no?: string;
        out_refund_no?: string;
        notify_url?: string;
        amount?: { refund?: number; total?: number };
      };
      const t = sim.pay().transactions[key(merchant.mchid, body.out_trade_no ?? '')];
      if (!t?.transactionId) throw new PayError(404, 'RESOURCE_NOT_EXISTS', '订单不存在或未支付');
      const refund = body.amount?.refund ?? 0;
      if (body.amount?.total !== t.total) throw new PayError(400, 'PARAM_ERROR', '订单金额与原订单不一致');
      if (!Number.isSafeInteger(refund) || refund <= 0 || t.refunded + refund > t.total)
        throw new PayError(400, 'NOT_ENOUGH', '退款金额超过可退金额');
      t.refunded += refund;
      t.state = 'REFUND';
      const result = {
        refund_id: `50${Date.now()}${randomBytes(4).toString('hex')}`,
        out_refund_no: body.out_refund_no,
        transaction_id: t.transactionId,
        out_trade_no: t.outTradeNo,
        channel: 'ORIGINAL',
        status: 'SUCCESS',
        success_time: isoNow(sim.now()),
        amount: { refund, total: t.total, currency: 'CNY', payer_refund: refund, payer_total: t.total },
      };
      sim.changed();
      if (body.notify_url) {
        notify(body.notify_url, merchant.mchid, 'REFUND.SUCCESS', 'refund', {
          mchid: merchant.mchid,
          out_trade_no: t.outTradeNo,
          transaction_id: t.transactionId,
          out_refund_no: body.out_refund_no,
          refund_id: result.refund_id,
          refund_status: 'SUCCESS',
          success_time: result.success_time,
          amount: { total: t.total, refund, payer_total: t.total, payer_refund: refund },
        });
      }
      return { status: 200, body: result };
    }),
  );

  /** Sends an encrypted, signed notice, retrying on WeChat's schedule until the merchant says SUCCESS. */
  function notify(
    url: string,
    mchid: string,
    eventType: string,
    originalType: string,
    resource: unknown,
    attempt = 0,
  ): void {
    const merchant = sim.pay().merchants[mchid];
    if (!merchant) return;
    const body = JSON.stringify({
      id: `${randomBytes(16).toString('hex')}`,
      create_time: isoNow(sim.now()),
      resource_type: 'encrypt-resource',
      event_type: eventType,
      summary: eventType === 'TRANSACTION.SUCCESS' ? '支付成功' : '退款成功',
      resource: encryptResource(JSON.stringify(resource), merchant.apiV3Key, originalType, originalType),
    });
    const signed = signResponse(body, privateKey(sim.pay().platformPrivateKeyPem));
    const headers = {
      'content-type': 'application/json',
      'Wechatpay-Serial': sim.pay().platformKeyId,
      'Wechatpay-Timestamp': signed.timestamp,
      'Wechatpay-Nonce': signed.nonce,
      'Wechatpay-Signature': signed.signature,
    };
    void deps.transport(url, { method: 'POST', headers, body, timeoutMs: 5000 }).then((response) => {
      if (response.status >= 200 && response.status < 300) return;
      retry();
    }, retry);
    function retry() {
      const delay = NOTICE_RETRIES_S[attempt];
      if (delay === undefined) return;
      setTimeout(
        () => notify(url, mchid, eventType, originalType, resource, attempt + 1),
        delay * 1000 * (deps.retryScale ?? 1),
      ).unref();
    }
  }

  // --- The fan's pay sheet: the phone page (or a test) confirms with the JSAPI parameters ---
  app.post('/pay/confirm', async (request, res) => {
    const params = JSON.parse((request.body as string) || '{}') as ReturnType<typeof jsapiPayParams> & {
      openid?: string;
      password_ok?: boolean;
    };
    const prepayId = String(params.package ?? '').replace(/^prepay_id=/, '');
    const pay = sim.pay();
    const t =
      byPrepayId.get(prepayId) ?? Object.values(pay.transactions).find((x) => x.prepayId === prepayId);
    if (!t) return res.status(404).send({ error: { code: 'ORDER_NOT_EXIST', message: '支付单不存在' } });
    const merchant = pay.merchants[t.mchid];
    if (!merchant || params.appId !== t.appid || !verifyPaySign(params, publicKey(merchant.publicKeyPem))) {
      return res.status(400).send({ error: { code: 'SIGN_ERROR', message: '支付签名错误，无法发起支付' } });
    }
    if (params.openid && params.openid !== t.openid)
      return res.status(400).send({ error: { code: 'PAYER_MISMATCH', message: '付款人与下单人不一致' } });
    if (t.state === 'CLOSED')
      return res.status(400).send({ error: { code: 'ORDER_CLOSED', message: '订单已关闭' } });
    if (t.state === 'NOTPAY') {
      t.state = 'SUCCESS';
      t.transactionId = `42000${Date.now()}${randomBytes(4).toString('hex')}`;
      t.successTime = isoNow(sim.now());
      sim.changed();
      notify(t.notifyUrl, t.mchid, 'TRANSACTION.SUCCESS', 'transaction', {
        ...transactionView(t),
        trade_type: 'JSAPI',
      });
    }
    return { ok: true, transaction_id: t.transactionId, total: t.total, description: t.description };
  });

  /** Registers a merchant's API key (as its certificate would be) and APIv3 key with WeChat Pay. */
  app.post('/pay/merchants', async (request, res) => {
    const body = JSON.parse((request.body as string) || '{}') as {
      mchid?: string;
      serialNo?: string;
      publicKeyPem?: string;
      apiV3Key?: string;
    };
    if (!body.mchid || !body.serialNo || !body.publicKeyPem || body.apiV3Key?.length !== 32) {
      return res.status(400).send({
        error: {
          code: 'PARAM_ERROR',
          message: 'mchid, serialNo, publicKeyPem and a 32-byte apiV3Key are required',
        },
      });
    }
    const pay = sim.pay();
    pay.merchants[body.mchid] = {
      mchid: body.mchid,
      serialNo: body.serialNo,
      publicKeyPem: body.publicKeyPem,
      apiV3Key: body.apiV3Key,
    };
    sim.changed();
    return { platformPublicKeyPem: pay.platformPublicKeyPem, platformKeyId: pay.platformKeyId };
  });
}
