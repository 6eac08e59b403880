import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/modules/tenants/index.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { AES_KEY, connectAccount } from '../support/wechat-fan.ts';

let t: TestApp;
let owner: { id: string; token: string };
beforeAll(async () => {
  t = await createTestApp();
  owner = await t.merchant('secret-keeper');
});
afterAll(() => t.close());

describe('account secrets', () => {
  it('are never returned by a read API, to any role', async () => {
    const account = await connectAccount(t, owner.token);
    const tokenFor = async (role: 'agent' | 'clerk' | 'operator') =>
      (await createApiToken({ ...t.system(), merchantId: owner.id }, { name: role, role })).token;
    for (const token of [
      owner.token,
      await tokenFor('operator'),
      await tokenFor('agent'),
      await tokenFor('clerk'),
    ]) {
      const list = await t.call(token, 'GET', '/api/v1/accounts');
      const one = await t.call(token, 'GET', `/api/v1/accounts/${account.id}`);
      for (const response of [list, one]) {
        expect(response.status).toBe(200);
        const text = JSON.stringify(response.body);
        // The callback Token, the EncodingAESKey and the AppSecret, in any form.
        for (const secret of ['testtoken', AES_KEY, 'test-secret-123456']) expect(text).not.toContain(secret);
      }
      expect(one.body.secrets.aes_key).toEqual({
        mask: 'ab…FG',
        fingerprint: expect.stringMatching(/^[0-9a-f]{8}$/),
      });
      expect(one.body.secrets.token.mask).toBe('…');
    }
  });

  it('let an owner replace a secret and see that it changed by its fingerprint', async () => {
    const account = await connectAccount(t, owner.token);
    const before = (await t.call(owner.token, 'GET', `/api/v1/accounts/${account.id}`)).body.secrets.token;
    const patched = await t.call(owner.token, 'PATCH', `/api/v1/accounts/${account.id}`, {
      token: 'newtoken42',
    });
    expect(patched.status).toBe(200);
    expect(patched.body.secrets.token.fingerprint).not.toBe(before.fingerprint);
    expect(JSON.stringify(patched.body)).not.toContain('newtoken42');
    const operator = (
      await createApiToken({ ...t.system(), merchantId: owner.id }, { name: 'op', role: 'operator' })
    ).token;
    const refused = await t.call(operator, 'PATCH', `/api/v1/accounts/${account.id}`, { token: 'optoken99' });
    expect(refused.status).toBe(403);
    const renamed = await t.call(operator, 'PATCH', `/api/v1/accounts/${account.id}`, { name: '改个名字' });
    expect(renamed.status).toBe(200);
  });
});

describe('the shop sign-in', () => {
  it('refuses control characters in the return address with a 400, not a 500', async () => {
    const account = await connectAccount(t, owner.token);
    for (const next of [`/shop/${account.appid}/x\r\nSet-Cookie: a=b`, `/shop/${account.appid}/\u0000`]) {
      const start = await t.app.inject({
        url: `/shop/${account.appid}/oauth?next=${encodeURIComponent(next)}`,
      });
      expect(start.statusCode).toBe(400);
      // %00 is refused for every URL before routing (nul-guard.ts); CR/LF by the shop itself.
      expect(start.json().error.code).toBe(next.includes('\u0000') ? 'invalid_text' : 'invalid_next');
      const cookie = `wl_oauth=n0nce.${Buffer.from(next).toString('base64url')}`;
      const back = await t.app.inject({
        url: `/shop/${account.appid}/oauth/callback?code=x&state=n0nce`,
        headers: { cookie },
      });
      expect(back.statusCode).toBe(400);
      expect(back.json().error.code).toBe('invalid_next');
    }
  });
});

describe('the shop sign-in state', () => {
  it('is bound to the browser that started it: a code redeemed in another cookie jar is refused', async () => {
    const account = await connectAccount(t, owner.token);
    const start = await t.app.inject({ url: `/shop/${account.appid}/oauth?next=/shop/${account.appid}/` });
    const authorize = new URL(String(start.headers.location).replace('#wechat_redirect', ''));
    authorize.searchParams.set('as', 'o_victim');
    const wechat = await t.app.inject({
      url: `${authorize.pathname}${authorize.search}`,
      headers: await t.simAuth(account.appid),
    });
    const callback = new URL(String(wechat.headers.location));
    const elsewhere = await t.app.inject({
      url: `${callback.pathname}${callback.search}`,
      headers: { cookie: 'wl_oauth=someone-else.Lw' },
    });
    expect(elsewhere.statusCode).toBe(400);
    expect(elsewhere.json().error.code).toBe('oauth_state_mismatch');
    expect(elsewhere.cookies.find((c) => c.name === 'wl_fan')).toBeUndefined();
    const noJar = await t.app.inject({ url: `${callback.pathname}${callback.search}` });
    expect(noJar.statusCode).toBe(400);
  });
});

describe('the simulator', () => {
  it('is on by default only when the server listens on loopback', async () => {
    const { loadConfig } = await import('../../src/config.ts');
    expect(loadConfig({ HOST: '127.0.0.1' }).simulator).toBe(true);
    expect(loadConfig({ HOST: 'localhost' }).simulator).toBe(true);
    expect(loadConfig({ HOST: '0.0.0.0' }).simulator).toBe(false);
    expect(loadConfig({ HOST: '10.1.2.3' }).simulator).toBe(false);
    expect(loadConfig({ HOST: '0.0.0.0', SIMULATOR: 'on' }).simulator).toBe(true);
    expect(loadConfig({ HOST: '0.0.0.0' }).wechatApiBase).toBe('https://api.weixin.qq.com');
  });
});

describe('acting as a fan in the simulator', () => {
  it('takes a console sign-in of the merchant that owns the account', async () => {
    const account = await connectAccount(t, owner.token);
    const other = await t.merchant('someone-else');
    await t.app.inject({
      method: 'POST',
      url: `/sim/apps/${account.appid}/fans/o_target/actions`,
      headers: await t.simAuth(account.appid),
      payload: { type: 'subscribe' },
    });
    const asStranger = (headers: Record<string, string>) =>
      Promise.all([
        t.app.inject({ url: `/sim/apps/${account.appid}/fans`, headers }),
        t.app.inject({ url: `/sim/apps/${account.appid}/fans/o_target/transcript`, headers }),
        t.app.inject({
          method: 'POST',
          url: `/sim/apps/${account.appid}/fans/o_target/actions`,
          headers,
          payload: { type: 'text', content: '你好' },
        }),
        t.app.inject({
          url: `/sim/connect/oauth2/authorize?appid=${account.appid}&redirect_uri=${encodeURIComponent('http://127.0.0.1/cb')}&response_type=code&scope=snsapi_base&as=o_target`,
          headers,
        }),
        t.app.inject({
          url: `/sim/connect/oauth2/authorize?appid=${account.appid}&redirect_uri=${encodeURIComponent('http://127.0.0.1/cb')}&response_type=code&scope=snsapi_base`,
          headers: { ...headers, cookie: 'sim_fan=o_target' },
        }),
      ]);
    for (const headers of [{}, { authorization: `Bearer ${other.token}` }] as Array<Record<string, string>>) {
      for (const response of await asStranger(headers)) {
        expect(response.statusCode).toBe(401);
        expect(response.json().error.code).toBe('simulator_sign_in_required');
      }
    }
    const listed = await t.app.inject({
      url: '/sim/apps',
      headers: { authorization: `Bearer ${other.token}` },
    });
    expect(JSON.stringify(listed.json())).not.toContain(account.appid);
    const mine = await t.app.inject({
      url: `/sim/apps/${account.appid}/fans`,
      headers: await t.simAuth(account.appid),
    });
    expect(mine.statusCode).toBe(200);
    expect(JSON.stringify(mine.json())).toContain('o_target');
  });
});
