import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionSimulatedPay } from '../../src/demo-pay.ts';
import { fanSession, shop } from '../support/shopper.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { connectAccount } from '../support/wechat-fan.ts';
import { fingerprint, printable } from './fuzz-support.ts';

// The shop's JSON API as strangers reach it: anything in the path, body, content type and
// cookie. Never a 500; without a fan's session, never a change.
const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);

let t: TestApp;
let appid: string;
let otherAppid: string;
let cookie: string;
let otherCookie: string;
let skuIds: string[];
let productId: string;
let ownOrder: string;
let othersOrder: string;
const address = { name: '孙七', phone: '13500135000', region: '杭州市', detail: '西湖路 1 号' };

beforeAll(async () => {
  t = await createTestApp();
  const m = await t.merchant('fuzz-shop');
  appid = (await connectAccount(t, m.token)).appid;
  otherAppid = (await connectAccount(t, (await t.merchant('fuzz-other')).token)).appid;
  await provisionSimulatedPay(t.deps, m.id, { codEnabled: true });
  const product = await t.call(m.token, 'POST', '/api/v1/products', {
    title: '模糊测试连衣裙',
    status: 'on_sale',
    skus: [
      { spec: { 尺码: 'S' }, price: 9900, stock: 1_000_000 },
      { spec: { 尺码: 'M' }, price: 1, stock: 3 },
    ],
  });
  productId = product.body.id;
  skuIds = product.body.skus.map((s: { id: string }) => s.id);
  cookie = await fanSession(t, appid, 'o_fuzz_me');
  otherCookie = await fanSession(t, appid, 'o_fuzz_other');
  const place = async (c: string) =>
    (
      await shop(t, c, appid, 'POST', '/orders', {
        items: [{ sku_id: skuIds[0], quantity: 1 }],
        address,
        payment_method: 'cod',
      })
    ).body.id as string;
  ownOrder = await place(cookie);
  othersOrder = await place(otherCookie);
});
afterAll(() => t.close());

const text = fc.oneof(
  printable(80),
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  // PostgreSQL refuses NUL in text (a 500 before the guard); control characters and lone surrogates.
  fc.constantFrom('a\u0000b', '\u0000', '\ud800', '\r\n\t', '<script>alert(1)</script>', "' or 1=1 --"),
);
const anyNumber = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, 999, 1000, 2 ** 53, 1e308));

const orderBody = fc.record(
  {
    items: fc.oneof(
      fc.array(
        fc.record(
          {
            sku_id: fc.oneof(
              fc.constantFrom(...['sku_missing', '']).map((s) => s),
              text,
              fc.constant('$real'),
            ),
            quantity: anyNumber,
          },
          { requiredKeys: [] },
        ),
        { maxLength: 60 },
      ),
      fc.jsonValue(),
    ),
    address: fc.oneof(
      fc.constant(address),
      fc.record({ name: text, phone: text, region: text, detail: text }, { requiredKeys: [] }),
      fc.jsonValue(),
    ),
    address_id: text,
    payment_method: fc.oneof(fc.constantFrom('wechat', 'cod'), text),
    expected_total: anyNumber,
    note: text,
    source: text,
    idempotency_key: text,
  },
  { requiredKeys: [] },
);

// Close to a real order, so the fuzz also reaches pricing, stock and the database writes.
const nearlyValidOrder = fc.record({
  items: fc.array(
    fc.record({ sku_id: fc.constantFrom('$real', '$plenty'), quantity: fc.integer({ min: 1, max: 5 }) }),
    { minLength: 1, maxLength: 3 },
  ),
  address: fc.oneof(
    { weight: 3, arbitrary: fc.constant(address) },
    fc.record({ name: text, phone: text, region: text, detail: text }),
  ),
  payment_method: fc.constantFrom('wechat', 'cod'),
  note: text,
  source: fc.option(printable(40), { nil: undefined }),
  // A repeated key returns the first order (that is the point of it): keep most keys fresh.
  idempotency_key: fc.option(fc.uuid(), { nil: undefined }),
  expected_total: fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: undefined, freq: 1 }),
});

const reviewBody = fc.record(
  { product_id: fc.oneof(fc.constant('$product'), text), rating: anyNumber, text },
  { requiredKeys: [] },
);

const request = fc.record({
  route: fc.constantFrom(
    'POST /orders',
    'GET /orders',
    'GET /me',
    'GET /orders/:id',
    'POST /orders/:id/pay',
    'POST /orders/:id/sync',
    'POST /orders/:id/cancel',
    'POST /orders/:id/receive',
    'POST /orders/:id/reviews',
  ),
  id: fc.oneof(fc.constantFrom('$own', '$others', 'ord\u0000x'), printable(70)),
  shop: fc.oneof({ weight: 8, arbitrary: fc.constant('$appid') }, fc.constant('$other'), printable(40)),
  body: fc.oneof(
    { weight: 3, arbitrary: nearlyValidOrder },
    orderBody,
    reviewBody,
    fc.jsonValue(),
    fc.constant(undefined),
  ),
  raw: fc.oneof({ weight: 9, arbitrary: fc.constant(null) }, fc.string({ maxLength: 200 })),
  contentType: fc.oneof(
    { weight: 8, arbitrary: fc.constant('application/json') },
    fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=gbk'),
  ),
});

type ShopRequest = typeof request extends fc.Arbitrary<infer T> ? T : never;

function send(r: ShopRequest, fanCookie: string | null) {
  const [method, template] = r.route.split(' ') as ['GET' | 'POST', string];
  const id = r.id === '$own' ? ownOrder : r.id === '$others' ? othersOrder : r.id;
  const shopId = r.shop === '$appid' ? appid : r.shop === '$other' ? otherAppid : r.shop;
  const path = template.replace(':id', encodeURIComponent(id));
  const payload =
    method === 'GET'
      ? undefined
      : (r.raw ??
        (r.body === undefined
          ? undefined
          : JSON.stringify(r.body)
              .replaceAll('"$real"', JSON.stringify(skuIds[1]))
              .replaceAll('"$plenty"', JSON.stringify(skuIds[0]))
              .replaceAll('"$product"', JSON.stringify(productId))));
  return t.app.inject({
    method,
    url: `/shop/${encodeURIComponent(shopId)}/api${path}`,
    headers: {
      ...(fanCookie ? { cookie: fanCookie } : {}),
      ...(payload === undefined ? {} : { 'content-type': r.contentType }),
    },
    ...(payload === undefined ? {} : { payload }),
  });
}

describe('fuzzing the shop JSON API', () => {
  it(`changes nothing and never answers 500 without a fan session, over ${RUNS} requests`, async () => {
    const before = await fingerprint(t.deps.db);
    const statuses = new Map<number, number>();
    const forged = fc.oneof(
      fc.constant(null),
      printable(60).map((v) => `wl_fan=${encodeURIComponent(v)}`),
      fc.constant('wl_fan='),
    );
    await fc.assert(
      fc.asyncProperty(request, forged, async (r, fanCookie) => {
        const response = await send(r, fanCookie);
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        expect(response.statusCode, response.body).toBeLessThan(500);
        expect(response.statusCode, response.body).toBeGreaterThanOrEqual(400);
      }),
      { numRuns: RUNS },
    );
    expect(await fingerprint(t.deps.db)).toEqual(before);
    process.stdout.write(
      `shop fuzz (no session): ${RUNS} inputs, statuses ${JSON.stringify(Object.fromEntries(statuses))}\n`,
    );
  });

  it(`never answers 500 to a signed-in fan either, nor sells stock it has not got, over ${RUNS} requests`, async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const response = await send(r, cookie);
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        expect(response.statusCode, response.body).toBeLessThan(500);
      }),
      { numRuns: RUNS },
    );
    const stock = await t.deps.db.selectFrom('skus').select('stock').where('id', 'in', skuIds).execute();
    expect(stock.every((s) => s.stock >= 0)).toBe(true);
    // The other fan's order is still theirs and untouched.
    const others = await shop(t, otherCookie, appid, 'GET', `/orders/${othersOrder}`);
    expect(others.body.status).toBe('pending_payment');
    process.stdout.write(
      `shop fuzz (signed in): ${RUNS} inputs, statuses ${JSON.stringify(Object.fromEntries(statuses))}\n`,
    );
  });
});
