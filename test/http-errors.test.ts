import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, engine, type TestApp } from './support/test-app.ts';

let t: TestApp;
let token: string;
beforeAll(async () => {
  t = await createTestApp({ bodyLimitBytes: 4096 });
  token = (await t.merchant('errors-shop')).token;
});
afterAll(() => t.close());

describe('health', () => {
  it('reports the engine and version', async () => {
    const response = await t.call(null, 'GET', '/healthz');
    expect(response.body).toEqual({ ok: true, db: engine, version: t.deps.config.version });
  });
});

describe('one error shape for every failure', () => {
  const auth = () => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });

  it('answers malformed JSON with 400 invalid_json', async () => {
    const response = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/merchant',
      headers: auth(),
      payload: '{"name":',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('invalid_json');
  });

  it('answers wrong types with 400 validation_failed, in zh-CN or English', async () => {
    const zh = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/merchant',
      headers: auth(),
      payload: { name: 42 },
    });
    expect(zh.statusCode).toBe(400);
    expect(zh.json().error.code).toBe('validation_failed');
    expect(zh.json().error.message).toMatch(/^请求参数无效/);
    const en = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: { ...auth(), 'accept-language': 'en-US' },
      payload: { name: 'x', role: 'emperor' },
    });
    expect(en.statusCode).toBe(400);
    expect(en.json().error.message).not.toMatch(/请求/);
  });

  it('answers an oversized body with 413', async () => {
    const response = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/merchant',
      headers: auth(),
      payload: { name: 'x'.repeat(10_000) },
    });
    expect(response.statusCode).toBe(413);
    expect(response.json().error.code).toBe('payload_too_large');
  });

  it('answers an unknown route and a missing login in the same shape', async () => {
    const missing = await t.call(token, 'GET', '/api/v1/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
    const anonymous = await t.call(null, 'GET', '/api/v1/merchant');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual({ error: { code: 'unauthorized', message: '请先登录' } });
  });

  it('answers an unsupported content type with 415', async () => {
    const response = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/merchant',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-foo' },
      payload: 'name=x',
    });
    expect(response.statusCode).toBe(415);
    expect(response.json().error.code).toBe('unsupported_media_type');
  });
});

describe('OpenAPI', () => {
  it('documents every admin route with a response schema', async () => {
    const doc = (await t.call(null, 'GET', '/api/v1/openapi.json')).body;
    const paths = Object.keys(doc.paths);
    expect(paths).toContain('/api/v1/members/{id}');
    for (const [path, operations] of Object.entries<Record<string, { responses: object }>>(doc.paths)) {
      for (const [method, op] of Object.entries(operations)) {
        const success = Object.keys(op.responses).filter((code) => code.startsWith('2'));
        expect(success, `${method} ${path}`).toHaveLength(1);
        expect(Object.keys(op.responses), `${method} ${path}`).toContain('400');
      }
    }
    const page = await t.app.inject({ url: '/api/docs/' });
    expect(page.statusCode).toBe(200);
  });
});
