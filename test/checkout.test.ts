import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionSimulatedPay } from '../src/demo-pay.ts';
import { encryptResource, signResponse } from '../src/wechat/pay/pay-crypto.ts';
import { confirmPay, fanSession, shop, until } from './support/shopper.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { connectAccount, fan, say } from './support/wechat-fan.ts';

let t: TestApp;
let token: string;
let merchantId: string;
let appid: string;
let skuId: string;
let productId: string;
const address = { name: '张三', phone: '13800138000', region: '江苏省南京市秦淮区', detail: '中山南路 1 号' };

beforeAll(async () => {
  t = await createTestApp();
  const m = await t.merchant('checkout-shop');
  token = m.token;
  merchantId = m.id;
  appid = (await connectAccount(t, token)).appid;
  await provisionSimulatedPay(t.deps, merchantId, { codEnabled: true });
  const product = await t.call(token, 'POST', '/api/v1/products', {
    title: '法式碎花连衣裙',
    status: 'on_sale',
    skus: [{ spec: { 尺码: 'M' }, price: 19900, stock: 10 }],
  });
  productId = product.body.id;
  skuId = product.body.skus[0].id;
});
afterAll(() => t.close());

const stock = async () =>
  (await t.call(token, 'GET', `/api/v1/products/${productId}`)).body.skus[0].stock as number;
const order = async (id: string) => (await t.call(token, 'GET', `/api/v1/orders/${id}`)).body;
const place = (cookie: string, body: Record<string, unknown> = {}) =>
  shop(t, cookie, appid, 'POST', '/orders', {
    items: [{ sku_id: skuId, quantity: 1 }],
    address,
    payment_method: 'wechat',
    ...body,
  });

describe('checkout and WeChat Pay', () => {
  it('places, pays and notifies: paid once, stock taken once, template notice in chat', async () => {
    await fan(t, appid, 'o_buyer', { type: 'subscribe' });
    const cookie = await fanSession(t, appid, 'o_buyer');
    const before = await stock();
    const placed = await place(cookie, { expected_total: 19900 });
    expect(placed.status).toBe(201);
    expect(placed.body).toMatchObject({ status: 'pending_payment', total: 19900 });
    expect(await stock()).toBe(before - 1);

    const pay = await shop(t, cookie, appid, 'POST', `/orders/${placed.body.id}/pay`);
    expect(pay.body, JSON.stringify(pay.body)).toHaveProperty('pay_params');
    expect(pay.body.pay_params.package).toMatch(/^prepay_id=/);
    const again = await shop(t, cookie, appid, 'POST', `/orders/${placed.body.id}/pay`);
    expect(again.body.pay_params.package).toBe(pay.body.pay_params.package);
    expect((await confirmPay(t, pay.body.pay_params, 'o_buyer')).status).toBe(200);

    const paid = await until(
      () => order(placed.body.id),
      (o) => o.status === 'paid',
    );
    expect(paid.status).toBe('paid');
    expect(paid.events.map((e: { to_status: string }) => e.to_status)).toEqual(['pending_payment', 'paid']);
    // The query agrees and changes nothing.
    await shop(t, cookie, appid, 'POST', `/orders/${placed.body.id}/sync`);
    expect((await order(placed.body.id)).events).toHaveLength(2);

    await t.worker.drain();
    const notices = t.simulator!.sim.fan(appid, 'o_buyer').transcript.filter((e) => e.via === 'template');
    expect(notices.map((n) => n.message.templateId)).toEqual(['TM_ORDER_PAID']);
    // Shipped goods: the default remark promises shipping (a deal or a membership would not).
    expect(JSON.stringify(notices[0]?.message)).toContain('我们会尽快为您发货');

    const mine = await shop(t, cookie, appid, 'GET', '/me');
    expect(mine.body.addresses[0]).toMatchObject({ name: '张三', detail: '中山南路 1 号' });
  });

  it('refuses a tampered price, and a double-tapped submit makes one order', async () => {
    const cookie = await fanSession(t, appid, 'o_tamper');
    const tampered = await place(cookie, { expected_total: 1 });
    expect(tampered.status).toBe(409);
    expect(tampered.body.error.code).toBe('price_changed');
    const before = await stock();
    const [first, second] = await Promise.all([
      place(cookie, { idempotency_key: 'k1' }),
      place(cookie, { idempotency_key: 'k1' }),
    ]);
    expect(first.body.id).toBe(second.body.id);
    expect(await stock()).toBe(before - 1);
  });

  it('refuses forged and tampered notices, and accepts a replayed genuine one only once', async () => {
    const cookie = await fanSession(t, appid, 'o_forge');
    const placed = await place(cookie);
    await shop(t, cookie, appid, 'POST', `/orders/${placed.body.id}/pay`);
    const forged = JSON.stringify({
      id: 'x',
      event_type: 'TRANSACTION.SUCCESS',
      resource: {
        algorithm: 'AEAD_AES_256_GCM',
        ciphertext: 'AAAA',
        nonce: '123456789012',
        associated_data: 'transaction',
      },
    });
    const { privateKey } = await import('node:crypto').then((c) =>
      c.generateKeyPairSync('rsa', { modulusLength: 2048 }),
    );
    const signed = signResponse(forged, privateKey);
    const settings = await t.deps.db
      .selectFrom('payment_settings')
      .selectAll()
      .where('merchant_id', '=', merchantId)
      .executeTakeFirstOrThrow();
    const refused = await t.app.inject({
      method: 'POST',
      url: `/pay/notify/${merchantId}`,
      headers: {
        'content-type': 'application/json',
        'wechatpay-serial': settings.platform_key_id,
        'wechatpay-timestamp': signed.timestamp,
        'wechatpay-nonce': signed.nonce,
        'wechatpay-signature': signed.signature,
      },
      payload: forged,
    });
    expect(refused.statusCode).toBe(401);
    expect((await order(placed.body.id)).status).toBe('pending_payment');

    // A notice as WeChat Pay would send it: signed with its key, encrypted with our APIv3 key.
    const pay = t.simulator!.sim.pay();
    // Stored sealed with the merchant's data key (encryption at rest).
    const apiV3Key = await t.deps.vault.open(settings.merchant_id, settings.api_v3_key);
    const genuine = (total: number, transactionId = '4200000000001') => {
      const body = JSON.stringify({
        id: `n-${total}`,
        event_type: 'TRANSACTION.SUCCESS',
        resource: encryptResource(
          JSON.stringify({
            appid,
            mchid: settings.mchid,
            out_trade_no: placed.body.id,
            transaction_id: transactionId,
            trade_state: 'SUCCESS',
            amount: { total, currency: 'CNY' },
            payer: { openid: 'o_forge' },
          }),
          apiV3Key,
          'transaction',
          'transaction',
        ),
      });
      const sig = signResponse(body, pay.platformPrivateKeyPem);
      return t.app.inject({
        method: 'POST',
        url: `/pay/notify/${merchantId}`,
        headers: {
          'content-type': 'application/json',
          'wechatpay-serial': pay.platformKeyId,
          'wechatpay-timestamp': sig.timestamp,
          'wechatpay-nonce': sig.nonce,
          'wechatpay-signature': sig.signature,
          'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
        },
        payload: body,
      });
    };
    expect((await genuine(1)).statusCode).toBe(401); // amount tampered before encryption: refused
    expect((await order(placed.body.id)).status).toBe('pending_payment');
    for (let i = 0; i < 3; i++) expect((await genuine(19900)).statusCode).toBe(204);
    const paid = await order(placed.body.id);
    expect(paid.status).toBe('paid');
    expect(paid.events.filter((e: { to_status: string }) => e.to_status === 'paid')).toHaveLength(1);
    expect((await genuine(19900, '4200000000999')).statusCode).toBe(401); // a second transaction for one order
  });

  it('reminds, then cancels an unpaid order and gives the stock back', async () => {
    await fan(t, appid, 'o_slow', { type: 'subscribe' });
    const cookie = await fanSession(t, appid, 'o_slow');
    const before = await stock();
    const placed = await place(cookie);
    expect(await stock()).toBe(before - 1);
    // Every order still unpaid (this one and earlier tests') is cancelled and returns its item.
    const pending = (await t.call(token, 'GET', '/api/v1/orders?status=pending_payment')).body.items
      .length as number;
    const reserved = await stock();
    t.clock.advance(10 * 60_000 + 1);
    await t.worker.drain();
    const reminder = t.simulator!.sim.fan(appid, 'o_slow').transcript.filter((e) => e.via === 'custom');
    expect(String(reminder[0]?.message.content)).toContain('还未支付');
    t.clock.advance(30 * 60_000);
    await t.worker.drain();
    const cancelled = await order(placed.body.id);
    expect(cancelled).toMatchObject({ status: 'cancelled', cancel_reason: 'unpaid_timeout' });
    expect(await stock()).toBe(reserved + pending);
    const funnel = await t.call(token, 'GET', `/api/v1/orders/funnel?from=0&to=${t.clock.now() + 1}`);
    expect(funnel.body.cancel_reasons.unpaid_timeout).toBeGreaterThanOrEqual(1);
    expect(funnel.body.placed).toBeGreaterThan(funnel.body.paid);
  });

  it('refunds a paid order when WeChat Pay confirms the refund', async () => {
    const cookie = await fanSession(t, appid, 'o_refund');
    const placed = await place(cookie);
    const pay = await shop(t, cookie, appid, 'POST', `/orders/${placed.body.id}/pay`);
    await confirmPay(t, pay.body.pay_params);
    await until(
      () => order(placed.body.id),
      (o) => o.status === 'paid',
    );
    const refunding = await t.call(token, 'POST', `/api/v1/orders/${placed.body.id}/refund`, {
      reason: '买家不想要了',
    });
    expect(refunding.body.status).toBe('refunding');
    await t.worker.drain();
    const refunded = await until(
      () => order(placed.body.id),
      (o) => o.status === 'refunded',
    );
    expect(refunded.status).toBe('refunded');
  });

  it('settles a refund whose notice never came by asking WeChat Pay', async () => {
    const cookie = await fanSession(t, appid, 'o_refund_lost');
    const placed = await place(cookie);
    const pay = await shop(t, cookie, appid, 'POST', `/orders/${placed.body.id}/pay`);
    await confirmPay(t, pay.body.pay_params);
    await until(
      () => order(placed.body.id),
      (o) => o.status === 'paid',
    );
    const wechatPay = t.simulator!.sim.pay();
    wechatPay.noticesLost = true;
    try {
      await t.call(token, 'POST', `/api/v1/orders/${placed.body.id}/refund`, { reason: '尺码不合适' });
      await t.worker.drain();
      // WeChat Pay settles it a moment later, but its notice is lost on the way.
      await new Promise((r) => setTimeout(r, 500));
      expect((await order(placed.body.id)).status).toBe('refunding');
      const refunded = await until(
        async () => {
          t.clock.advance(6 * 60_000);
          await t.worker.drain();
          return order(placed.body.id);
        },
        (o) => o.status === 'refunded',
      );
      expect(refunded.status).toBe('refunded');
    } finally {
      wechatPay.noticesLost = false;
    }
  });

  it('ships with a notice, and turns the buyer’s chat reply into a review the operator can hide', async () => {
    await fan(t, appid, 'o_review', { type: 'subscribe' });
    const cookie = await fanSession(t, appid, 'o_review');
    const placed = await place(cookie, { payment_method: 'cod' });
    expect(placed.body.payment_method).toBe('cod');
    const shipped = await t.call(token, 'POST', `/api/v1/orders/${placed.body.id}/ship`, {
      carrier: '顺丰',
      tracking_no: 'SF100',
    });
    expect(shipped.body.status).toBe('shipped');
    await t.worker.drain();
    const notices = t.simulator!.sim.fan(appid, 'o_review').transcript.filter((e) => e.via === 'template');
    expect(notices.map((n) => n.message.templateId)).toEqual(['TM_ORDER_SHIPPED']);
    const thanks = await say(t, appid, 'o_review', '衣服质量很好，穿着很舒服');
    expect(String((thanks as { content: string }).content)).toContain('感谢您的评价');
    const reviews = (await t.call(token, 'GET', `/api/v1/reviews?product_id=${productId}`)).body.items;
    expect(reviews[0]).toMatchObject({ source: 'chat', rating: 5, text: '衣服质量很好，穿着很舒服' });
    const hidden = await t.call(token, 'PATCH', `/api/v1/reviews/${reviews[0].id}`, { hidden: true });
    expect(hidden.body.hidden).toBe(true);
    const received = await shop(t, cookie, appid, 'POST', `/orders/${placed.body.id}/receive`);
    expect(received.body.status).toBe('completed');
    expect(received.body.paid_at).not.toBeNull();
  });

  it('refunds a payment that lands after the order was cancelled', async () => {
    const cookie = await fanSession(t, appid, 'o_late');
    const placed = await place(cookie);
    const pay = await shop(t, cookie, appid, 'POST', `/orders/${placed.body.id}/pay`);
    await shop(t, cookie, appid, 'POST', `/orders/${placed.body.id}/cancel`);
    // The fan had the pay sheet open and paid anyway, before the close reached WeChat Pay.
    expect((await confirmPay(t, pay.body.pay_params)).status).toBe(200);
    await until(
      () =>
        t.deps.db
          .selectFrom('jobs')
          .select('id')
          .where('type', '=', 'payments.refund')
          .where('idempotency_key', 'like', `%${placed.body.id}%`)
          .execute(),
      (rows) => rows.length > 0,
    );
    await t.worker.drain();
    const refunds = await t.deps.db
      .selectFrom('refunds')
      .selectAll()
      .where('order_id', '=', placed.body.id)
      .execute();
    expect(refunds).toMatchObject([{ reason: 'late_payment', amount: 19900 }]);
    expect((await order(placed.body.id)).status).toBe('cancelled');
  });

  it('ships many orders from a CSV, reporting each line', async () => {
    const cookie = await fanSession(t, appid, 'o_bulk');
    const first = await place(cookie, { payment_method: 'cod' });
    const second = await place(cookie, { payment_method: 'cod' });
    const csv = [
      'order_id,carrier,tracking_no',
      `${first.body.id},顺丰,SF1`,
      `${second.body.id},中通,ZT2`,
      'ord_missing,顺丰,SF3',
    ].join('\n');
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/orders/ship-bulk',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(response.json().shipped).toBe(2);
    expect(response.json().results.map((r: { ok: boolean }) => r.ok)).toEqual([true, true, false]);
    expect(await order(second.body.id)).toMatchObject({
      status: 'shipped',
      carrier: '中通',
      tracking_no: 'ZT2',
    });
  });

  it('keeps one fan out of another fan’s orders', async () => {
    const alice = await fanSession(t, appid, 'o_alice');
    const bob = await fanSession(t, appid, 'o_bob');
    const placed = await place(alice);
    expect((await shop(t, bob, appid, 'GET', `/orders/${placed.body.id}`)).status).toBe(404);
    expect((await shop(t, bob, appid, 'POST', `/orders/${placed.body.id}/cancel`)).status).toBe(404);
    expect((await shop(t, '', appid, 'GET', '/orders')).status).toBe(401);
  });

  it('refuses invalid transitions', async () => {
    const cookie = await fanSession(t, appid, 'o_rules');
    const placed = await place(cookie);
    const early = await shop(t, cookie, appid, 'POST', `/orders/${placed.body.id}/receive`);
    expect(early.status).toBe(409);
    const ship = await t.call(token, 'POST', `/api/v1/orders/${placed.body.id}/ship`, {
      carrier: '顺丰',
      tracking_no: 'X',
    });
    expect(ship.body.error.code).toBe('invalid_transition');
  });
});
