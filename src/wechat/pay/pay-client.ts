import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import {
  AUTH_SCHEME,
  authorizationHeader,
  decryptResource,
  type EncryptedResource,
  jsapiPayParams,
  verifyResponse,
} from './pay-crypto.ts';

export interface PayConfig {
  baseUrl: string;
  mchid: string;
  /** Serial number of the merchant's API certificate. */
  serialNo: string;
  privateKeyPem: string;
  apiV3Key: string;
  /** WeChat Pay's public key and its id ("PUB_KEY_ID_…"), for responses and notices. */
  platformPublicKeyPem: string;
  platformKeyId: string;
}

export class PayApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(`WeChat Pay ${status} ${code}: ${message}`);
    this.status = status;
    this.code = code;
  }
}

/** A response or notice whose signature, serial or freshness is wrong: never acted upon. */
export class PaySignatureError extends Error {}

export interface Transaction {
  appid: string;
  mchid: string;
  out_trade_no: string;
  transaction_id?: string;
  trade_state: 'SUCCESS' | 'REFUND' | 'NOTPAY' | 'CLOSED' | 'REVOKED' | 'USERPAYING' | 'PAYERROR';
  trade_state_desc?: string;
  success_time?: string;
  payer?: { openid: string };
  amount?: { total: number; payer_total?: number; currency: string };
}

export interface RefundResult {
  refund_id: string;
  out_refund_no: string;
  out_trade_no: string;
  transaction_id?: string;
  status: 'SUCCESS' | 'CLOSED' | 'PROCESSING' | 'ABNORMAL';
  amount: { refund: number; total: number; currency: string };
}

export interface Notice<T> {
  id: string;
  eventType: string;
  resource: T;
}

/** Notices older than this are refused, so a captured one cannot be replayed later. */
const NOTICE_MAX_AGE_S = 300;

export function createPayClient(
  config: PayConfig,
  options: { fetch?: typeof fetch; timeoutMs?: number; now?: () => number } = {},
) {
  const privateKey: KeyObject = createPrivateKey(config.privateKeyPem);
  const platformKey: KeyObject = createPublicKey(config.platformPublicKeyPem);
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;

  function checkSigned(headers: Headers | Record<string, string | string[] | undefined>, body: string): void {
    const get = (name: string) => {
      const value = headers instanceof Headers ? headers.get(name) : headers[name.toLowerCase()];
      return Array.isArray(value) ? value[0] : (value ?? undefined);
    };
    const serial = get('Wechatpay-Serial');
    const timestamp = get('Wechatpay-Timestamp') ?? '';
    const nonceStr = get('Wechatpay-Nonce') ?? '';
    const signature = get('Wechatpay-Signature') ?? '';
    // WeChat Pay names the scheme on every signed answer; a missing or other one is not its signature.
    const signatureType = get('Wechatpay-Signature-Type');
    if (signatureType !== AUTH_SCHEME)
      throw new PaySignatureError(`unsupported Wechatpay-Signature-Type ${signatureType}`);
    if (serial !== config.platformKeyId) throw new PaySignatureError(`unknown Wechatpay-Serial ${serial}`);
    // Number('') is 0 and Number('1e9') parses: only plain whole seconds may reach the age check.
    if (!/^\d{1,12}$/.test(timestamp))
      throw new PaySignatureError('Wechatpay-Timestamp is not whole seconds');
    if (!verifyResponse({ timestamp, nonce: nonceStr, body, signature }, platformKey))
      throw new PaySignatureError('bad Wechatpay-Signature');
    if (Math.abs(now() / 1000 - Number(timestamp)) > NOTICE_MAX_AGE_S)
      throw new PaySignatureError('stale Wechatpay-Timestamp');
  }

  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const text = body === undefined ? '' : JSON.stringify(body);
    const url = new URL(`${config.baseUrl}${path}`);
    const response = await doFetch(url, {
      method,
      headers: {
        accept: 'application/json',
        'content-type': 'application/json',
        authorization: authorizationHeader({
          mchid: config.mchid,
          serialNo: config.serialNo,
          privateKey,
          method,
          // WeChat signs the path below its API root, whatever host or prefix the root has.
          pathWithQuery: path,
          body: text,
        }),
      },
      body: body === undefined ? undefined : text,
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    const responseText = await response.text();
    if (response.status >= 400) {
      let error: { code?: string; message?: string } = {};
      try {
        error = JSON.parse(responseText);
      } catch {}
      throw new PayApiError(
        response.status,
        error.code ?? 'UNKNOWN',
        error.message ?? responseText.slice(0, 200),
      );
    }
    checkSigned(response.headers, responseText);
    return (responseText ? JSON.parse(responseText) : {}) as T;
  }

  return {
    mchid: config.mchid,
    jsapiPrepay: (input: {
      appid: string;
      description: string;
      outTradeNo: string;
      notifyUrl: string;
      total: number;
      openid: string;
      timeExpire?: string;
    }) =>
      call<{ prepay_id: string }>('POST', '/v3/pay/transactions/jsapi', {
        appid: input.appid,
        mchid: config.mchid,
        description: input.description.slice(0, 127),
        out_trade_no: input.outTradeNo,
        notify_url: input.notifyUrl,
        amount: { total: input.total, currency: 'CNY' },
        payer: { openid: input.openid },
        ...(input.timeExpire ? { time_expire: input.timeExpire } : {}),
      }),
    payParams: (appId: string, prepayId: string) => jsapiPayParams(appId, prepayId, privateKey),
    query: (outTradeNo: string) =>
      call<Transaction>(
        'GET',
        `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}?mchid=${config.mchid}`,
      ),
    queryByTransactionId: (transactionId: string) =>
      call<Transaction>(
        'GET',
        `/v3/pay/transactions/id/${encodeURIComponent(transactionId)}?mchid=${config.mchid}`,
      ),
    /** A refund's state: WeChat answers PROCESSING first; ask when its notice is overdue. */
    queryRefund: (outRefundNo: string) =>
      call<RefundResult>('GET', `/v3/refund/domestic/refunds/${encodeURIComponent(outRefundNo)}`),
    close: (outTradeNo: string) =>
      call<Record<string, never>>(
        'POST',
        `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}/close`,
        { mchid: config.mchid },
      ),
    refund: (input: {
      outTradeNo: string;
      outRefundNo: string;
      refund: number;
      total: number;
      reason?: string;
      notifyUrl: string;
    }) =>
      call<RefundResult>('POST', '/v3/refund/domestic/refunds', {
        out_trade_no: input.outTradeNo,
        out_refund_no: input.outRefundNo,
        reason: input.reason,
        notify_url: input.notifyUrl,
        amount: { refund: input.refund, total: input.total, currency: 'CNY' },
      }),
    /** 商家转账 (transfer to the fan's 零钱): one batch of transfers, idempotent by out_batch_no. */
    transfer: (input: {
      appid: string;
      outBatchNo: string;
      batchName: string;
      remark: string;
      details: Array<{ outDetailNo: string; amount: number; openid: string; remark: string }>;
    }) =>
      call<{ out_batch_no: string; batch_id: string; create_time: string }>('POST', '/v3/transfer/batches', {
        appid: input.appid,
        out_batch_no: input.outBatchNo,
        batch_name: input.batchName.slice(0, 32),
        batch_remark: input.remark.slice(0, 32),
        total_amount: input.details.reduce((sum, d) => sum + d.amount, 0),
        total_num: input.details.length,
        transfer_detail_list: input.details.map((d) => ({
          out_detail_no: d.outDetailNo,
          transfer_amount: d.amount,
          transfer_remark: d.remark.slice(0, 32),
          openid: d.openid,
        })),
      }),
    /** Verifies a notice's signature and serial, then decrypts its resource. Throws on anything wrong. */
    openNotice<T>(headers: Record<string, string | string[] | undefined>, body: string): Notice<T> {
      checkSigned(headers, body);
      // Signed, yet not a notice we can read (a WeChat bug, a key mix-up): refused like a bad signature,
      // so WeChat retries and nothing is acted upon.
      try {
        const parsed = JSON.parse(body) as {
          id?: unknown;
          event_type?: unknown;
          resource?: EncryptedResource;
        };
        if (typeof parsed?.event_type !== 'string' || !parsed.resource || typeof parsed.resource !== 'object')
          throw new Error('no event_type or resource');
        const resource = JSON.parse(decryptResource(parsed.resource, config.apiV3Key)) as unknown;
        if (!resource || typeof resource !== 'object') throw new Error('resource is not an object');
        return { id: String(parsed.id ?? ''), eventType: parsed.event_type, resource: resource as T };
      } catch (error) {
        throw new PaySignatureError(`unreadable notice: ${(error as Error).message}`);
      }
    },
  };
}

export type PayClient = ReturnType<typeof createPayClient>;
