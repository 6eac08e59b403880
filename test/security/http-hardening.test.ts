import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionSimulatedPay } from '../../src/demo-pay.ts';
import { serveBuiltApp } from '../../src/platform/http/static-files.ts';
import { fanSession, shop } from '../support/shopper.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { connectAccount, say } from '../support/wechat-fan.ts';

let t: TestApp;
let owner: Awaited<ReturnType<TestApp['merchant']>>;
let appid: string;
let cookie: string;
let orderId: string;
let skuId: string;

beforeAll(async () => {
  t = await createTestApp();
  owner = await t.merchant('csrf-shop');
  appid = (await connectAccount(t, owner.token)).appid;
  await provisionSimulatedPay(t.deps, owner.id, { codEnabled: true });
  const product = await t.call(owner.token, 'POST', '/api/v1/products', {
    title: '防伪测试商品',
    status: 'on_sale',
    skus: [{ spec: {}, price: 1000, stock: 10 }],
  });
  skuId = product.body.skus[0].id;
  cookie = await fanSession(t, appid, 'o_csrf');
  const placed = await shop(t, cookie, appid, 'POST', '/orders', {
    items: [{ sku_id: skuId, quantity: 1 }],
    address: { name: '李四', phone: '13900139000', region: '上海市', detail: '人民路 1 号' },
    payment_method: 'wechat',
  });
  orderId = placed.body.id;
});
afterAll(() => t.close());

let address: string | null = null;
/** The app on a real socket (once per file): what inject cannot show, a client does. */
async function listening(): Promise<string> {
  address ??= await t.app.listen({ port: 0, host: '127.0.0.1' });
  return address;
}

/** A login cookie for the console, as a browser holds it. */
async function consoleCookie(): Promise<string> {
  const login = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email: owner.email, password: owner.password },
  });
  const session = login.cookies.find((c) => c.name === 'wl_session');
  return `wl_session=${session?.value}`;
}

describe('a page on another site cannot change state with a simple (preflight-free) request', () => {
  const simple = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'];

  it.each(simple)(
    'refuses %s on console routes without a body schema (logout, menu publish)',
    async (type) => {
      const session = await consoleCookie();
      for (const url of ['/api/v1/auth/logout', '/api/v1/merchant']) {
        const response = await t.app.inject({
          method: url.endsWith('logout') ? 'POST' : 'PATCH',
          url,
          headers: { cookie: session, 'content-type': type },
          payload: type === 'text/plain' ? '{"name":"被改了"}' : 'name=x',
        });
        expect(response.statusCode, url).toBe(415);
        expect(response.json().error.code).toBe('unsupported_media_type');
      }
      // The session is still alive and the merchant unchanged.
      const me = await t.app.inject({ url: '/api/v1/merchant', headers: { cookie: session } });
      expect(me.json().name).toBe('商户 csrf-shop');
    },
  );

  it('refuses a text/plain order cancel in the shop, even with an empty body', async () => {
    for (const payload of ['', 'x']) {
      const response = await t.app.inject({
        method: 'POST',
        url: `/shop/${appid}/api/orders/${orderId}/cancel`,
        headers: { cookie, 'content-type': 'text/plain' },
        payload,
      });
      expect(response.statusCode).toBe(415);
      expect(response.json()).toMatchObject({ error: { code: 'unsupported_media_type' } });
    }
    expect((await shop(t, cookie, appid, 'GET', `/orders/${orderId}`)).body.status).toBe('pending_payment');
  });

  it('refuses a body sent without any content type', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: `/shop/${appid}/api/orders/${orderId}/cancel`,
      headers: { cookie, 'content-length': '2' },
      payload: Buffer.from('{}'),
    });
    expect(response.statusCode).toBe(415);
  });

  it('still takes JSON, an empty bodyless POST, CSV imports, WeChat XML callbacks and pay notices', async () => {
    const json = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/merchant',
      headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/json; charset=utf-8' },
      payload: '{"name":"商户 csrf-shop"}',
    });
    expect(json.statusCode).toBe(200);
    const csv = await t.app.inject({
      method: 'POST',
      url: '/api/v1/products/import',
      headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'text/csv' },
      payload: 'title,price,stock\n导入商品,1,1\n',
    });
    expect(csv.json()).toMatchObject({ created: 1 });
    expect(await say(t, appid, 'o_csrf', '你好')).toBeDefined();
    const notice = await t.app.inject({
      method: 'POST',
      url: `/pay/notify/${owner.id}`,
      headers: { 'content-type': 'application/json' },
      payload: '{}',
    });
    expect(notice.statusCode).toBe(401); // reached the signature check, not the content-type guard
    const cancelled = await shop(t, cookie, appid, 'POST', `/orders/${orderId}/cancel`);
    expect(cancelled.body.status).toBe('cancelled');
  });
});

describe('text PostgreSQL cannot store', () => {
  it('refuses NUL in a JSON body or in the URL with 400, on both engines alike', async () => {
    const body = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/merchant',
      headers: { authorization: `Bearer ${owner.token}` },
      payload: { name: '空\u0000字符' },
    });
    expect(body.statusCode).toBe(400);
    expect(body.json().error.code).toBe('invalid_text');
    const url = await t.app.inject({ url: `/shop/${appid}/api/orders/ord%00x`, headers: { cookie } });
    expect(url.statusCode).toBe(400);
    expect(url.json().error.code).toBe('invalid_text');
  });

  it('leaves a streamed upload alone (the CRM import reads it as a stream), over a real socket', async () => {
    const upload = await fetch(`${await listening()}/api/v1/crm/imports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'text/csv' },
      body: 'name,phone,region\n王小美,13700000001,杭州\n',
    });
    expect(upload.status, await upload.clone().text()).toBe(202);
  });
});

describe('every failure has the error shape, even before routing', () => {
  it('answers a malformed URL with 400 bad_url', async () => {
    const response = await t.app.inject({ url: `/shop/${appid}/api/orders/%E0%A4%A` });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: { code: 'bad_url', message: '地址格式不正确' } });
  });

  it('answers headers too large with 431 in the error shape, over a real socket', async () => {
    const { port } = new URL(await listening());
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40_000)}\r\n\r\n`);
      });
      let data = '';
      socket.on('data', (chunk) => {
        data += chunk;
      });
      socket.on('close', () => resolve(data));
      socket.on('error', (error) => (data ? resolve(data) : reject(error)));
    });
    expect(raw).toMatch(/^HTTP\/1\.1 431 /);
    const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));
    expect(body).toEqual({
      error: { code: 'headers_too_large', message: '请求头过大 / Request header fields too large' },
    });
  });
});

describe('security headers', () => {
  it('sends nosniff, a referrer policy and no framing by others on every answer; no HSTS over http', async () => {
    const response = await t.app.inject({ url: '/healthz' });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['referrer-policy']).toBe('same-origin');
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(response.headers['strict-transport-security']).toBeUndefined();
  });

  it('gives the console a CSP that forbids framing and plugins', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'console-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title>');
    const app = Fastify();
    serveBuiltApp(app, '/console', dir);
    const response = await app.inject({ url: '/console/orders' });
    await app.close();
    rmSync(dir, { recursive: true });
    expect(response.statusCode).toBe(200);
    const csp = String(response.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
  });

  it('sends HSTS when PUBLIC_URL is https', async () => {
    const https = await createTestApp({ publicUrl: 'https://shop.example.com', simulator: false });
    try {
      const response = await https.app.inject({ url: '/healthz' });
      expect(response.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    } finally {
      await https.close();
    }
  });
});
