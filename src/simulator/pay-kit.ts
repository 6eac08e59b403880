import { createPrivateKey, createPublicKey, type KeyObject, randomBytes, randomInt } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  AUTH_SCHEME,
  encryptResource,
  parseAuthorization,
  signResponse,
  verifyRequest,
} from '../wechat/pay/pay-crypto.ts';
import type { Transport } from './delivery.ts';
import type { SimPayMerchant, SimulatorState } from './simulator.ts';

/** WeChat Pay's notice retry schedule (15s, 15s, 30s, 3m, 10m, 20m, 30m …), shortened by `retryScale`. */
const NOTICE_RETRIES_S = [15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600];
/** WeChat Pay refuses a request signed more than five minutes from its own clock. */
const REQUEST_MAX_SKEW_S = 300;

export interface PayDeps {
  sim: SimulatorState;
  transport: Transport;
  /** Multiplies the retry delays (tests use a tiny one). */
  retryScale?: number;
  /** How long a refund stays PROCESSING before it succeeds and is notified. */
  refundDelayMs?: number;
}

export class PayError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export const tradeKey = (mchid: string, outTradeNo: string) => `${mchid}/${outTradeNo}`;
export const isoNow = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().replace(/\.\d+Z$/, '+08:00');

const digits = (n: number) => Array.from({ length: n }, () => randomInt(10)).join('');
const yyyymmdd = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10).replaceAll('-', '');
/** WeChat's transaction ids are 28 digits (4200…, then the date); refund ids 29 digits (50…). */
export const transactionId = (ms: number) => `4200${digits(6)}${yyyymmdd(ms)}${digits(10)}`;
export const refundId = (ms: number) => `50${digits(9)}${yyyymmdd(ms)}${digits(10)}`;

/** What every simulated WeChat Pay route shares: keys, signed answers, request checks, notices. */
export function payKit(deps: PayDeps) {
  const { sim } = deps;
  // Parsing a PEM costs more than the RSA operation itself: parse each key once.
  const keys = new Map<string, KeyObject>();
  const privateKey = (pem: string) => keys.get(pem) ?? keys.set(pem, createPrivateKey(pem)).get(pem)!;
  const publicKey = (pem: string) => keys.get(pem) ?? keys.set(pem, createPublicKey(pem)).get(pem)!;

  /** The headers WeChat Pay puts on every answer and notice: who signed, when, how, and a trace id. */
  const signedHeaders = (text: string) => {
    const pay = sim.pay();
    const signed = signResponse(text, privateKey(pay.platformPrivateKeyPem));
    return {
      'Request-ID': randomBytes(16).toString('hex').toUpperCase(),
      'Wechatpay-Serial': pay.platformKeyId,
      'Wechatpay-Timestamp': signed.timestamp,
      'Wechatpay-Nonce': signed.nonce,
      'Wechatpay-Signature': signed.signature,
      'Wechatpay-Signature-Type': AUTH_SCHEME,
    };
  };

  const reply = (res: FastifyReply, status: number, body: unknown) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    return res
      .status(status)
      .header('content-type', 'application/json')
      .headers(signedHeaders(text))
      .send(text);
  };

  /** Checks the merchant's request signature and its age, as WeChat Pay does before anything else. */
  const authenticate = (request: FastifyRequest): SimPayMerchant => {
    const auth = parseAuthorization(request.headers.authorization);
    if (!auth) throw new PayError(401, 'SIGN_ERROR', 'Authorization 头缺失或格式错误');
    const merchant = sim.pay().merchants[auth.mchid];
    if (!merchant) throw new PayError(401, 'SIGN_ERROR', '商户号不存在');
    if (auth.serialNo !== merchant.serialNo) throw new PayError(401, 'SIGN_ERROR', '证书序列号错误');
    if (
      !/^\d{1,12}$/.test(auth.timestamp) ||
      Math.abs(Date.now() / 1000 - Number(auth.timestamp)) > REQUEST_MAX_SKEW_S
    )
      throw new PayError(401, 'SIGN_ERROR', '请求时间戳与服务器时间相差超过 5 分钟');
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

  const json = (request: FastifyRequest) => {
    try {
      const parsed = JSON.parse((request.body as string) || '{}') as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
        return parsed as Record<string, unknown>;
    } catch {}
    throw new PayError(400, 'PARAM_ERROR', '请求体不是有效的 JSON 对象');
  };

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
    if (!merchant || sim.pay().noticesLost) return;
    const body = JSON.stringify({
      id: randomBytes(16).toString('hex'),
      create_time: isoNow(sim.now()),
      resource_type: 'encrypt-resource',
      event_type: eventType,
      summary: eventType === 'TRANSACTION.SUCCESS' ? '支付成功' : '退款成功',
      resource: encryptResource(JSON.stringify(resource), merchant.apiV3Key, originalType, originalType),
    });
    const headers = { 'content-type': 'application/json', ...signedHeaders(body) };
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

  return { sim, publicKey, reply, authenticate, handle, json, notify, refundDelayMs: deps.refundDelayMs };
}

export type PayKit = ReturnType<typeof payKit>;
