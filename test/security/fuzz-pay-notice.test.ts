import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionSimulatedPay } from '../../src/demo-pay.ts';
import { encryptResource, signResponse } from '../../src/wechat/pay/pay-crypto.ts';
import { fanSession, shop } from '../support/shopper.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { connectAccount } from '../support/wechat-fan.ts';
import { fingerprint, printable } from './fuzz-support.ts';

// The door WeChat Pay knocks on, tried by someone who is not WeChat Pay: whatever they send,
// no 500 and no change to any order, payment or refund.
const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);

let t: TestApp;
let merchantId: string;
let appid: string;
let mchid: string;
let apiV3Key: string;
let serial: string;
let pendingOrder: string;
/** A genuine WeChat Pay signature over another body, as an eavesdropper could capture it. */
let captured: { timestamp: string; nonce: string; signature: string };
const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

beforeAll(async () => {
  t = await createTestApp();
  const m = await t.merchant('fuzz-pay');
  merchantId = m.id;
  appid = (await connectAccount(t, m.token)).appid;
  await provisionSimulatedPay(t.deps, merchantId, { codEnabled: true });
  const settings = await t.deps.db
    .selectFrom('payment_settings')
    .selectAll()
    .where('merchant_id', '=', merchantId)
    .executeTakeFirstOrThrow();
  ({ mchid, platform_key_id: serial } = settings);
  // Stored sealed (secrets at rest): the attacker of this test has somehow learnt the clear key.
  apiV3Key = await t.deps.vault.open(merchantId, settings.api_v3_key);
  const product = await t.call(m.token, 'POST', '/api/v1/products', {
    title: '模糊测试商品',
    status: 'on_sale',
    skus: [{ spec: {}, price: 500, stock: 100 }],
  });
  const cookie = await fanSession(t, appid, 'o_fuzz_pay');
  const placed = await shop(t, cookie, appid, 'POST', '/orders', {
    items: [{ sku_id: product.body.skus[0].id, quantity: 1 }],
    address: { name: '赵六', phone: '13600136000', region: '广州市', detail: '天河路 1 号' },
    payment_method: 'wechat',
  });
  pendingOrder = placed.body.id;
  await shop(t, cookie, appid, 'POST', `/orders/${pendingOrder}/pay`);
  // A refund WeChat Pay has not confirmed yet: a forged REFUND.SUCCESS would finish it.
  await t.deps.db
    .insertInto('refunds')
    .values({
      id: 'rfd_fuzz',
      merchant_id: merchantId,
      order_id: pendingOrder,
      amount: 500,
      reason: 'fuzz',
      status: 'processing',
      refund_id: null,
      created_at: t.clock.now(),
      succeeded_at: null,
    })
    .execute();
  captured = signResponse('{"captured":true}', t.simulator!.sim.pay().platformPrivateKeyPem);
});
afterAll(() => t.close());

/** A SUCCESS resource for the pending order, encrypted with the real APIv3 key (as if it leaked). */
const genuineResource = () =>
  encryptResource(
    JSON.stringify({
      appid,
      mchid,
      out_trade_no: pendingOrder,
      transaction_id: '4200000000000000000000000001',
      trade_state: 'SUCCESS',
      amount: { total: 500, currency: 'CNY' },
      out_refund_no: 'rfd_fuzz',
      refund_status: 'SUCCESS',
    }),
    apiV3Key,
    'transaction',
    'transaction',
  );

const resource = (genuine: boolean) =>
  fc.oneof(
    ...(genuine ? [fc.constant(null).map(() => genuineResource())] : []),
    fc.record(
      {
        algorithm: fc.oneof(fc.constant('AEAD_AES_256_GCM'), printable()),
        ciphertext: fc.oneof(fc.base64String(), printable()),
        nonce: fc.oneof(fc.string({ minLength: 12, maxLength: 12 }), printable()),
        associated_data: fc.oneof(fc.constant('transaction'), printable(), fc.constant(null)),
        original_type: printable(),
      },
      { requiredKeys: [] },
    ),
    fc.jsonValue(),
  );

const body = (genuine = true) =>
  fc.oneof(
    fc.json(),
    printable(200),
    fc
      .record(
        {
          id: fc.oneof(fc.uuid(), printable()),
          create_time: printable(),
          event_type: fc.oneof(fc.constantFrom('TRANSACTION.SUCCESS', 'REFUND.SUCCESS'), printable()),
          resource_type: fc.constant('encrypt-resource'),
          summary: printable(),
          resource: resource(genuine),
        },
        { requiredKeys: [] },
      )
      .map((o) => JSON.stringify(o)),
  );

const timestamp = fc.oneof(
  fc.constant(null).map(() => String(Math.floor(Date.now() / 1000))),
  fc.constantFrom('NaN', '', '1e9', '-0', '0x10', ' 1', 'Infinity'),
  fc.integer().map(String),
  fc.double().map(String),
  printable(12),
);

type Signature = 'none' | 'random' | 'attacker' | 'captured';

const notice = fc.record({
  path: fc.constantFrom('/pay/notify/', '/pay/refund-notify/'),
  merchant: fc.oneof({ weight: 5, arbitrary: fc.constant('') }, printable(30)),
  body: body(),
  contentType: fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'text/plain',
    undefined,
  ),
  serial: fc.oneof(fc.constant(null), printable(40)),
  timestamp,
  nonce: printable(40),
  signature: fc.constantFrom<Signature>('none', 'random', 'attacker', 'captured'),
  randomSignature: fc.base64String({ maxLength: 400 }),
  signatureType: fc.oneof(fc.constant('WECHATPAY2-SHA256-RSA2048'), printable(30)),
});

type Notice = typeof notice extends fc.Arbitrary<infer T> ? T : never;

async function send(n: Notice) {
  const headers: Record<string, string> = {
    'wechatpay-serial': n.serial ?? serial,
    'wechatpay-timestamp': n.timestamp,
    'wechatpay-nonce': n.nonce,
    'wechatpay-signature-type': n.signatureType,
  };
  if (n.contentType) headers['content-type'] = n.contentType;
  if (n.signature === 'random') headers['wechatpay-signature'] = n.randomSignature;
  if (n.signature === 'attacker') {
    const signed = signResponse(n.body, attacker, n.timestamp, n.nonce);
    headers['wechatpay-signature'] = signed.signature;
  }
  if (n.signature === 'captured') {
    headers['wechatpay-timestamp'] = captured.timestamp;
    headers['wechatpay-nonce'] = captured.nonce;
    headers['wechatpay-signature'] = captured.signature;
  }
  return t.app.inject({
    method: 'POST',
    url: `${n.path}${encodeURIComponent(n.merchant || merchantId)}`,
    headers,
    payload: n.body,
  });
}

describe('fuzzing the WeChat Pay notice URLs', () => {
  it(`never answers 500 and never changes state, over ${RUNS} unsigned or forged notices`, async () => {
    const before = await fingerprint(t.deps.db);
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(notice, async (n) => {
        const response = await send(n);
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        expect(response.statusCode, response.body).toBeLessThan(500);
        expect(response.statusCode).not.toBe(204);
      }),
      { numRuns: RUNS },
    );
    expect(await fingerprint(t.deps.db)).toEqual(before);
    const order = await t.deps.db
      .selectFrom('orders')
      .select('status')
      .where('id', '=', pendingOrder)
      .executeTakeFirst();
    expect(order?.status).toBe('pending_payment');
    process.stdout.write(
      `pay-notice fuzz: ${RUNS} inputs, statuses ${JSON.stringify(Object.fromEntries(statuses))}\n`,
    );
  });

  it('never answers 500 to a notice WeChat Pay did sign but that is not a readable notice', async () => {
    const platformKey = t.simulator!.sim.pay().platformPrivateKeyPem;
    const before = await fingerprint(t.deps.db);
    const runs = Math.max(100, Math.floor(RUNS / 4));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/pay/notify/', '/pay/refund-notify/'),
        body(false),
        async (path, text) => {
          const signed = signResponse(text, platformKey);
          const response = await t.app.inject({
            method: 'POST',
            url: `${path}${merchantId}`,
            headers: {
              'content-type': 'application/json',
              'wechatpay-serial': serial,
              'wechatpay-timestamp': signed.timestamp,
              'wechatpay-nonce': signed.nonce,
              'wechatpay-signature': signed.signature,
              'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
            },
            payload: text,
          });
          expect(response.statusCode, response.body).toBeLessThan(500);
        },
      ),
      { numRuns: runs },
    );
    expect(await fingerprint(t.deps.db)).toEqual(before);
    process.stdout.write(`pay-notice fuzz (signed, malformed): ${runs} inputs\n`);
  });
});
