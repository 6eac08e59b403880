import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPayClient, PaySignatureError } from '../../src/wechat/pay/pay-client.ts';
import {
  authorizationHeader,
  decryptResource,
  jsapiPayParams,
  signResponse,
  verifyResponse,
} from '../../src/wechat/pay/pay-crypto.ts';
import { until } from '../support/shopper.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

// A merchant's own WeChat Pay v3 client, written from the protocol, talking to the simulator.
let t: TestApp;
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const mchid = '1900000109';
const serialNo = 'STRICT0000000000000000000000000000000001';
const apiV3Key = randomBytes(16).toString('hex');
const appid = 'wxstrict000000001';
let platform: { platformPublicKeyPem: string; platformKeyId: string };
const notices: { headers: IncomingHttpHeaders; body: string }[] = [];
const receiver = createServer((request, response) => {
  let body = '';
  request.on('data', (chunk) => {
    body += chunk;
  });
  request.on('end', () => {
    notices.push({ headers: request.headers, body });
    response.writeHead(204).end();
  });
});
let notifyUrl = '';

beforeAll(async () => {
  t = await createTestApp();
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  notifyUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/notify`;
  const registered = await t.app.inject({
    method: 'POST',
    url: '/sim/pay/merchants',
    payload: {
      mchid,
      serialNo,
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }),
      apiV3Key,
      appids: [appid],
    },
  });
  platform = registered.json();
});
afterAll(async () => {
  receiver.close();
  await t.close();
});

async function pay(
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  timestamp = String(Math.floor(Date.now() / 1000)),
) {
  const text = body === undefined ? '' : JSON.stringify(body);
  const response = await t.app.inject({
    method,
    url: `/sim${path}`,
    headers: {
      'content-type': 'application/json',
      authorization: authorizationHeader({
        mchid,
        serialNo,
        privateKey,
        method,
        pathWithQuery: path,
        body: text,
        timestamp,
      }),
    },
    ...(body === undefined ? {} : { payload: text }),
  });
  return {
    status: response.statusCode,
    headers: response.headers,
    body: response.body ? response.json() : null,
  };
}

const prepay = (outTradeNo: string, overrides: Record<string, unknown> = {}) =>
  pay('POST', '/v3/pay/transactions/jsapi', {
    appid,
    mchid,
    description: '严格模式测试',
    out_trade_no: outTradeNo,
    notify_url: notifyUrl,
    amount: { total: 100, currency: 'CNY' },
    payer: { openid: 'o_strict' },
    ...overrides,
  });

const newTradeNo = () => `strict_${randomBytes(6).toString('hex')}`;

async function payOrder(outTradeNo: string) {
  const { body } = await prepay(outTradeNo);
  const params = jsapiPayParams(appid, body.prepay_id, privateKey);
  const confirmed = await t.app.inject({ method: 'POST', url: '/sim/pay/confirm', payload: params });
  return confirmed.json().transaction_id as string;
}

describe('the simulated WeChat Pay is as strict as WeChat Pay', () => {
  it('signs every answer with the scheme named and a Request-ID, as SDKs require', async () => {
    const response = await prepay(newTradeNo());
    expect(response.status).toBe(200);
    expect(response.headers['wechatpay-signature-type']).toBe('WECHATPAY2-SHA256-RSA2048');
    expect(String(response.headers['request-id'])).toMatch(/^[0-9A-F]{16,}$/);
    const error = await prepay('short');
    expect(error.headers['wechatpay-signature-type']).toBe('WECHATPAY2-SHA256-RSA2048');
    expect(error.headers['request-id']).toBeTruthy();
  });

  it('refuses a request signed an hour ago', async () => {
    const stale = String(Math.floor(Date.now() / 1000) - 3600);
    const response = await pay(
      'GET',
      `/v3/pay/transactions/out-trade-no/x123456?mchid=${mchid}`,
      undefined,
      stale,
    );
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('SIGN_ERROR');
  });

  it('refuses an out_trade_no over 32 characters and an AppID not bound to the merchant', async () => {
    const long = await prepay('a'.repeat(33));
    expect(long.status).toBe(400);
    expect(long.body.code).toBe('PARAM_ERROR');
    const foreign = await prepay(newTradeNo(), { appid: 'wxnotbound0000001' });
    expect(foreign.status).toBe(400);
    expect(foreign.body.code).toBe('APPID_MCHID_NOT_MATCH');
    const bound = await t.app.inject({
      method: 'POST',
      url: `/sim/pay/merchants/${mchid}/appids`,
      payload: { appid: 'wxnotbound0000001' },
    });
    expect(bound.statusCode).toBe(200);
    expect((await prepay(newTradeNo(), { appid: 'wxnotbound0000001' })).status).toBe(200);
  });

  it('reports no payer_total for an order closed before anyone paid', async () => {
    const outTradeNo = newTradeNo();
    await prepay(outTradeNo);
    const closed = await pay('POST', `/v3/pay/transactions/out-trade-no/${outTradeNo}/close`, { mchid });
    expect(closed.status).toBe(204);
    const query = await pay('GET', `/v3/pay/transactions/out-trade-no/${outTradeNo}?mchid=${mchid}`);
    expect(query.body.trade_state).toBe('CLOSED');
    expect(query.body.amount).not.toHaveProperty('payer_total');
    expect(query.body.transaction_id).toBeUndefined();
  });

  it('finds a payment by transaction_id, refunds by it (PROCESSING, then a SUCCESS notice), and queries the refund', async () => {
    const outTradeNo = newTradeNo();
    const transactionId = await payOrder(outTradeNo);
    expect(transactionId).toMatch(/^\d{28}$/);
    const byId = await pay('GET', `/v3/pay/transactions/id/${transactionId}?mchid=${mchid}`);
    expect(byId.status).toBe(200);
    expect(byId.body).toMatchObject({ out_trade_no: outTradeNo, trade_state: 'SUCCESS' });
    expect(byId.body.amount.payer_total).toBe(100);

    const refund = await pay('POST', '/v3/refund/domestic/refunds', {
      transaction_id: transactionId,
      out_refund_no: `r_${outTradeNo}`,
      notify_url: notifyUrl,
      amount: { refund: 100, total: 100, currency: 'CNY' },
    });
    expect(refund.status).toBe(200);
    expect(refund.body.status).toBe('PROCESSING');
    expect(refund.body.refund_id).toMatch(/^\d{29}$/);
    expect(refund.body.create_time).toBeTruthy();

    const query = () => pay('GET', `/v3/refund/domestic/refunds/r_${outTradeNo}`);
    expect((await query()).body.status).toBe('PROCESSING');
    const done = await until(query, (r) => r.body.status === 'SUCCESS');
    expect(done.body).toMatchObject({ status: 'SUCCESS', user_received_account: '支付用户零钱' });

    const notice = await until(
      async () => notices.find((n) => n.body.includes('REFUND.SUCCESS')),
      (n) => n !== undefined,
    );
    expect(notice).toBeDefined();
    const { headers, body } = notice!;
    expect(headers['wechatpay-signature-type']).toBe('WECHATPAY2-SHA256-RSA2048');
    expect(headers['request-id']).toBeTruthy();
    expect(
      verifyResponse(
        {
          timestamp: String(headers['wechatpay-timestamp']),
          nonce: String(headers['wechatpay-nonce']),
          body,
          signature: String(headers['wechatpay-signature']),
        },
        platform.platformPublicKeyPem,
      ),
    ).toBe(true);
    const envelope = JSON.parse(body);
    expect(envelope.create_time).toMatch(/\+08:00$/);
    const resource = JSON.parse(decryptResource(envelope.resource, apiV3Key));
    expect(resource).toMatchObject({
      out_refund_no: `r_${outTradeNo}`,
      refund_status: 'SUCCESS',
      user_received_account: '支付用户零钱',
    });
    expect(resource.refund_id).toMatch(/^\d{29}$/);

    // Weiloop's own client reads the same answers (and checks their signatures).
    const client = createPayClient(
      {
        baseUrl: t.deps.config.wechatApiBase,
        mchid,
        serialNo,
        privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        apiV3Key,
        platformPublicKeyPem: platform.platformPublicKeyPem,
        platformKeyId: platform.platformKeyId,
      },
      { fetch: t.deps.wechatFetch },
    );
    expect((await client.queryByTransactionId(transactionId)).out_trade_no).toBe(outTradeNo);
    expect(await client.queryRefund(`r_${outTradeNo}`)).toMatchObject({
      status: 'SUCCESS',
      amount: { refund: 100 },
    });
  });
});

describe('Weiloop’s WeChat Pay client accepts only what WeChat Pay would send', () => {
  const platformKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const client = createPayClient({
    baseUrl: 'http://pay.invalid',
    mchid,
    serialNo,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    apiV3Key,
    platformPublicKeyPem: platformKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    platformKeyId: 'PUB_KEY_ID_TEST',
  });
  const body = JSON.stringify({ id: 'n1', event_type: 'TRANSACTION.SUCCESS', resource: {} });
  const headers = (timestamp: string, type: string | null = 'WECHATPAY2-SHA256-RSA2048') => {
    const signed = signResponse(body, platformKeys.privateKey, timestamp);
    return {
      'wechatpay-serial': 'PUB_KEY_ID_TEST',
      'wechatpay-timestamp': timestamp,
      'wechatpay-nonce': signed.nonce,
      'wechatpay-signature': signed.signature,
      ...(type === null ? {} : { 'wechatpay-signature-type': type }),
    };
  };
  const now = String(Math.floor(Date.now() / 1000));

  it.each(['abc', '', `${now}.5`, `${now.slice(0, 1)}.${now.slice(1)}e${now.length - 1}`, ` ${now}`])(
    'refuses the signed Wechatpay-Timestamp %j',
    (timestamp) => {
      expect(() => client.openNotice(headers(timestamp), body)).toThrow(PaySignatureError);
    },
  );

  it('refuses a signed notice without Wechatpay-Signature-Type, or with another one', () => {
    expect(() => client.openNotice(headers(now, null), body)).toThrow(/Signature-Type/);
    expect(() => client.openNotice(headers(now, 'WECHATPAY2-SM2-WITH-SM3'), body)).toThrow(/Signature-Type/);
    // The same notice with the scheme named gets past the signature checks, on to decryption.
    expect(() => client.openNotice(headers(now), body)).toThrow(/unreadable notice/);
  });
});
