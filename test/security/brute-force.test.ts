import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember } from '../../src/modules/tenants/index.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

let t: TestApp;
let victim: Awaited<ReturnType<TestApp['merchant']>>;
let bystander: Awaited<ReturnType<TestApp['merchant']>>;

beforeAll(async () => {
  t = await createTestApp();
  victim = await t.merchant('brute-victim');
  bystander = await t.merchant('brute-bystander');
});
afterAll(() => t.close());

const login = (email: string, password: string, ip = '203.0.113.7') =>
  t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    remoteAddress: ip,
    headers: { 'user-agent': 'hydra/9.5' },
    payload: { email, password },
  });

describe('console login under brute force', () => {
  it('lets 5 wrong passwords through, then answers 429 + Retry-After, even for the right one', async () => {
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof login>> | null = null;
    for (let i = 0; i < 60; i++) {
      last = await login(victim.email, `guess-${i}`);
      statuses.push(last.statusCode);
    }
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.slice(5).every((s) => s === 429)).toBe(true);
    expect(last?.json()).toEqual({
      error: { code: 'too_many_attempts', message: expect.stringMatching(/^尝试次数过多，请 \d+ 秒后再试$/) },
    });
    const right = await login(victim.email, victim.password);
    expect(right.statusCode).toBe(429);
    const retryAfter = Number(right.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);

    // The wait grows with every further failure.
    t.clock.advance(retryAfter * 1000);
    expect((await login(victim.email, 'one-more')).statusCode).toBe(401);
    const longer = await login(victim.email, victim.password);
    expect(longer.statusCode).toBe(429);
    expect(Number(longer.headers['retry-after'])).toBeGreaterThan(retryAfter);

    // Once the wait is over, the right password signs in and the slate is clean.
    t.clock.advance(Number(longer.headers['retry-after']) * 1000);
    expect((await login(victim.email, victim.password)).statusCode).toBe(200);
    expect((await login(victim.email, 'typo')).statusCode).toBe(401);
  });

  it('lets one guess of a parallel burst run at a time', async () => {
    const { email } = await t.merchant('brute-burst');
    const burst = await Promise.all(
      Array.from({ length: 20 }, (_, i) => login(email, `p-${i}`, '198.51.100.9')),
    );
    const counts = burst.map((r) => r.statusCode);
    expect(counts.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(counts.filter((s) => s === 429).length).toBeGreaterThanOrEqual(15);
  });

  it('limits one IP across many accounts, and not other IPs', async () => {
    const ip = '192.0.2.44';
    const statuses: number[] = [];
    for (let i = 0; i < 35; i++) statuses.push((await login(`nobody${i}@example.com`, 'x', ip)).statusCode);
    expect(statuses.filter((s) => s === 401)).toHaveLength(30);
    const blocked = await login(bystander.email, bystander.password, ip);
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect((await login(bystander.email, bystander.password, '192.0.2.45')).statusCode).toBe(200);
  });

  it('shows the owner the failed sign-ins of their members, not other merchants’, and not to clerks', async () => {
    const owner = await t.call(victim.token, 'GET', '/api/v1/security/auth-failures');
    expect(owner.status).toBe(200);
    const wrong = owner.body.items.filter((f: { reason: string }) => f.reason === 'wrong_password');
    expect(wrong.length).toBeGreaterThanOrEqual(6);
    expect(wrong[0]).toMatchObject({
      kind: 'login',
      email: victim.email,
      ip: '203.0.113.7',
      user_agent: 'hydra/9.5',
    });
    // 429s are not rows: an attack cannot flood the audit.
    expect(owner.body.items.length).toBeLessThan(20);

    const other = await t.call(bystander.token, 'GET', '/api/v1/security/auth-failures');
    expect(other.body.items.every((f: { email: string | null }) => f.email !== victim.email)).toBe(true);

    await addMember(
      { ...t.system(), merchantId: victim.id },
      { email: 'clerk@brute-victim.test', password: 'clerk-pass-1', role: 'clerk' },
    );
    const clerkLogin = await login('clerk@brute-victim.test', 'clerk-pass-1', '192.0.2.200');
    const cookie = clerkLogin.cookies.find((c) => c.name === 'wl_session');
    const clerk = await t.app.inject({
      url: '/api/v1/security/auth-failures',
      headers: { cookie: `wl_session=${cookie?.value}` },
    });
    expect(clerk.statusCode).toBe(403);
  });
});

describe('API tokens under brute force', () => {
  it('makes an IP that keeps presenting wrong tokens wait, and tells the owner about revoked ones', async () => {
    const created = await t.call(victim.token, 'POST', '/api/v1/tokens', {
      name: 'old-erp',
      role: 'operator',
    });
    await t.call(victim.token, 'DELETE', `/api/v1/tokens/${created.body.id}`);
    const ip = '198.51.100.77';
    const use = (token: string) =>
      t.app.inject({
        url: '/api/v1/merchant',
        remoteAddress: ip,
        headers: { authorization: `Bearer ${token}` },
      });
    expect((await use(created.body.token)).statusCode).toBe(401);
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await use(`wl_guess${i}`)).statusCode);
    expect(statuses.filter((s) => s === 401)).toHaveLength(29);
    const blocked = await use(victim.token);
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().error.code).toBe('too_many_attempts');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);

    const audit = await t.call(victim.token, 'GET', '/api/v1/security/auth-failures');
    expect(audit.body.items.filter((f: { reason: string }) => f.reason === 'revoked_token')).toMatchObject([
      { kind: 'api_token', ip },
    ]);
  });
});

describe('the client address behind a load balancer', () => {
  it('counts per-IP failures by the socket address unless TRUST_PROXY says whom to believe', async () => {
    const { loadConfig } = await import('../../src/config.ts');
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8' }).trustProxy).toBe('10.0.0.0/8');
    // Without TRUST_PROXY, rotating X-Forwarded-For does not escape the per-IP limit.
    const ip = '192.0.2.90';
    const statuses: number[] = [];
    for (let i = 0; i < 32; i++) {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        remoteAddress: ip,
        headers: { 'x-forwarded-for': `10.9.${i}.1` },
        payload: { email: `spoof${i}@example.com`, password: 'x' },
      });
      statuses.push(response.statusCode);
    }
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
  });
});
