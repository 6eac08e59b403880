import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionSimulatedPay } from '../src/demo-pay.ts';
import { confirmPay, fanSession, shop, until } from './support/shopper.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { connectAccount } from './support/wechat-fan.ts';

let t: TestApp;
let owner: string;
let appid: string;
let phone: { id: string; sku: string };
const HOUR = 3_600_000;
const address = { name: '王五', phone: '13700137000', region: '北京市海淀区', detail: '清河中街 68 号' };

async function sale(body: Record<string, unknown>) {
  const created = await t.call(owner, 'POST', '/api/v1/flash-sales', {
    title: '限量首发',
    product_id: phone.id,
    sku_id: phone.sku,
    price: 99_900,
    opens_at: t.clock.now() + HOUR,
    closes_at: t.clock.now() + 2 * HOUR,
    ...body,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id as string;
}
const buy = (cookie: string, id: string) =>
  shop(t, cookie, appid, 'POST', `/flash-sales/${id}/buy`, { address });
const board = async (id: string) => (await t.call(owner, 'GET', `/api/v1/flash-sales/${id}/board`)).body;

beforeAll(async () => {
  t = await createTestApp();
  const m = await t.merchant('flash-shop');
  owner = m.token;
  appid = (await connectAccount(t, owner)).appid;
  await provisionSimulatedPay(t.deps, m.id, { codEnabled: false });
  const product = (
    await t.call(owner, 'POST', '/api/v1/products', {
      title: '旗舰手机',
      status: 'on_sale',
      skus: [{ spec: {}, price: 199_900, stock: 1_000 }],
    })
  ).body;
  phone = { id: product.id, sku: product.skus[0].id };
});
afterAll(() => t.close());

describe('flash sale', () => {
  it('answers not open / not reserved / got / sold out / already bought, and never oversells under a burst', async () => {
    const id = await sale({ stock: 10, requires_reservation: true });
    const fans = await Promise.all(Array.from({ length: 30 }, (_, i) => fanSession(t, appid, `o_fan_${i}`)));
    const stranger = await fanSession(t, appid, 'o_stranger');
    for (const cookie of fans)
      expect((await shop(t, cookie, appid, 'POST', `/flash-sales/${id}/reserve`)).status).toBe(200);
    expect((await buy(fans[0]!, id)).body.result).toBe('not_open');
    t.clock.advance(HOUR);
    expect((await buy(stranger, id)).body.result).toBe('not_reserved');

    // Every reserved fan taps three times at once.
    const attempts = await Promise.all(
      fans.flatMap((cookie) => [buy(cookie, id), buy(cookie, id), buy(cookie, id)]),
    );
    const results = attempts.map((a) => a.body.result as string);
    const got = attempts.filter((a) => a.body.result === 'got');
    expect(got).toHaveLength(10);
    expect(results.every((r) => ['got', 'sold_out', 'already_bought'].includes(r))).toBe(true);
    expect(got.every((a) => a.body.total === 99_900)).toBe(true);

    const orders = await t.deps.db
      .selectFrom('orders')
      .select(['id', 'openid', 'total', 'discount'])
      .where('source', '=', 'flash_sale')
      .execute();
    // Every "got one" is an order, one per buyer, never more than the stock.
    expect(orders.map((o) => o.id).sort()).toEqual(got.map((a) => a.body.order_id).sort());
    expect(new Set(orders.map((o) => o.openid)).size).toBe(10);
    expect(orders.every((o) => o.total === 99_900 && o.discount === 100_000)).toBe(true);
    expect(await board(id)).toMatchObject({ stock: 10, sold: 10, left: 0, gate_left: 0, reservations: 30 });
  });

  it("an unpaid winner's unit returns to the sale and to the next fan; paid ones count as paid", async () => {
    const id = await sale({ stock: 2 });
    t.clock.advance(HOUR);
    const [a, b, c] = await Promise.all(['o_a', 'o_b', 'o_c'].map((o) => fanSession(t, appid, o)));
    const first = (await buy(a!, id)).body;
    const second = (await buy(b!, id)).body;
    expect([first.result, second.result]).toEqual(['got', 'got']);
    expect((await buy(c!, id)).body.result).toBe('sold_out');

    const pay = await shop(t, a!, appid, 'POST', `/orders/${first.order_id}/pay`);
    await confirmPay(t, pay.body.pay_params, 'o_a');
    await shop(t, b!, appid, 'POST', `/orders/${second.order_id}/cancel`);
    const settled = await until(
      async () => {
        await t.worker.drain();
        return board(id);
      },
      (x) => x.paid === 1 && x.returned === 1,
    );
    expect(settled).toMatchObject({ sold: 1, paid: 1, returned: 1, left: 1, gate_left: 1 });
    // B may try again; C, who was waiting, gets the unit first.
    expect((await buy(c!, id)).body.result).toBe('got');
    expect((await buy(b!, id)).body.result).toBe('sold_out');
  });

  it('rebuilds the gate from the database when it was lost, and the two agree', async () => {
    const id = await sale({ stock: 5 });
    t.clock.advance(HOUR);
    const cookies = await Promise.all(['o_r1', 'o_r2'].map((o) => fanSession(t, appid, o)));
    for (const cookie of cookies) expect((await buy(cookie, id)).body.result).toBe('got');
    const rebuilt = (await t.call(owner, 'POST', `/api/v1/flash-sales/${id}/resync`)).body;
    expect(rebuilt).toMatchObject({ sold: 2, left: 3, gate_left: 3 });
    // The buyers are still known to the rebuilt gate.
    expect((await buy(cookies[0]!, id)).body.result).toBe('already_bought');
  });
});
