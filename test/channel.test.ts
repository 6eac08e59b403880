import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callbackSignature } from '../src/wechat/signature.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { appId, connectAccount, fan, say } from './support/wechat-fan.ts';

let t: TestApp;
let token: string;
beforeAll(async () => {
  t = await createTestApp();
  token = (await t.merchant('channel-shop')).token;
});
afterAll(() => t.close());

const rule = (account_id: string, body: Record<string, unknown>) =>
  t.call(token, 'POST', '/api/v1/replies', { account_id, kind: 'keyword', ...body });
const text = (content: string) => ({ type: 'text', content });

describe('connecting an account', () => {
  it('shows the callback URL and answers WeChat’s URL check', async () => {
    const account = await connectAccount(t, token);
    expect(account.callback_url).toBe(`${t.deps.config.publicUrl}/wechat/${account.appid}`);
    const ts = '1700000000';
    const ok = await t.app.inject({
      url: `/wechat/${account.appid}?signature=${callbackSignature('testtoken', ts, 'n1')}&timestamp=${ts}&nonce=n1&echostr=hello123`,
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toBe('hello123');
    const bad = await t.app.inject({
      url: `/wechat/${account.appid}?signature=bad&timestamp=${ts}&nonce=n1&echostr=x`,
    });
    expect(bad.statusCode).toBe(401);
    const list = await t.call(token, 'GET', '/api/v1/accounts');
    expect(JSON.stringify(list.body)).not.toContain('test-secret-123456');
    const check = await t.call(token, 'POST', `/api/v1/accounts/${account.id}/verify-callback`);
    expect(check.body).toMatchObject({ ok: true, status: 200, url: account.callback_url });
  });

  it('refuses a malformed AppID, token or AES key with a clear error', async () => {
    const bad = await t.call(token, 'POST', '/api/v1/accounts', {
      name: 'x',
      appid: 'nope',
      secret: 'test-secret-123456',
      type: 'service',
      token: 'testtoken',
      mode: 'plain',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_appid');
    const noKey = await t.call(token, 'POST', '/api/v1/accounts', {
      name: 'x',
      appid: appId(),
      secret: 'test-secret-123456',
      type: 'service',
      token: 'testtoken',
      mode: 'safe',
    });
    expect(noKey.body.error.code).toBe('aes_key_required');
  });
});

describe.each(['plain', 'compatible', 'safe'] as const)('keyword replies in %s mode', (mode) => {
  it('answers exact, contains and regex rules by priority, else the default', async () => {
    const account = await connectAccount(t, token, { mode });
    await rule(account.id, { match_type: 'exact', keyword: '连衣裙', reply: text('exact') });
    await rule(account.id, { match_type: 'contains', keyword: '发货', reply: text('contains') });
    await rule(account.id, { match_type: 'regex', keyword: '^vip\\d+$', reply: text('regex') });
    await rule(account.id, {
      match_type: 'contains',
      keyword: '裙',
      priority: 10,
      reply: text('high priority'),
    });
    await t.call(token, 'POST', '/api/v1/replies', {
      account_id: account.id,
      kind: 'default',
      reply: text('default'),
    });
    expect(await say(t, account.appid, 'o_a', '什么时候发货？')).toEqual(text('contains'));
    expect(await say(t, account.appid, 'o_a', 'VIP42')).toEqual(text('regex'));
    expect(await say(t, account.appid, 'o_a', ' 连衣裙 ')).toEqual(text('high priority'));
    expect(await say(t, account.appid, 'o_a', '随便说点')).toEqual(text('default'));
  });
});

describe('rules', () => {
  it('welcomes new followers and groups fans who reply 新客户 / 老客户', async () => {
    const account = await connectAccount(t, token);
    await t.call(token, 'POST', '/api/v1/replies', {
      account_id: account.id,
      kind: 'welcome',
      reply: text('欢迎！回复 新客户 或 老客户'),
    });
    await rule(account.id, { keyword: '新客户', reply: text('新朋友好'), tag_fan: '新客户' });
    await rule(account.id, { keyword: '老客户', reply: text('老朋友好'), tag_fan: '老客户' });
    expect((await fan(t, account.appid, 'o_new', { type: 'subscribe' })).reply).toEqual(
      text('欢迎！回复 新客户 或 老客户'),
    );
    await say(t, account.appid, 'o_new', '新客户');
    await fan(t, account.appid, 'o_old', { type: 'subscribe' });
    await say(t, account.appid, 'o_old', '老客户');
    const newcomers = await t.call(
      token,
      'GET',
      `/api/v1/followers?account_id=${account.id}&tag=${encodeURIComponent('新客户')}`,
    );
    expect(newcomers.body.items.map((f: { openid: string }) => f.openid)).toEqual(['o_new']);
  });

  it('honours enabled flags and time windows', async () => {
    const account = await connectAccount(t, token);
    const now = t.clock.now();
    await rule(account.id, {
      keyword: '双11',
      reply: text('sale on'),
      starts_at: now + 3_600_000,
      ends_at: now + 7_200_000,
    });
    await rule(account.id, { keyword: '关闭', reply: text('never'), enabled: false });
    const preview = (q: string) =>
      t.call(token, 'POST', '/api/v1/replies/preview', { account_id: account.id, text: q });
    expect((await preview('双11')).body.reply).toBeNull();
    t.clock.advance(3_600_001);
    expect((await preview('双11')).body.reply).toEqual(text('sale on'));
    expect((await preview('关闭')).body.matched_rule_id).toBeNull();
  });

  it('refuses a regex that could backtrack forever', async () => {
    const account = await connectAccount(t, token);
    const response = await rule(account.id, { match_type: 'regex', keyword: '(a+)+$', reply: text('x') });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_regex');
  });
});

describe('dedupe and refusal', () => {
  async function rawPush(appid: string, body: string, query: Record<string, string>) {
    const qs = new URLSearchParams(query).toString();
    return t.app.inject({
      method: 'POST',
      url: `/wechat/${appid}?${qs}`,
      headers: { 'content-type': 'text/xml' },
      payload: body,
    });
  }
  const signed = (ts: string, nonce: string) => ({
    signature: callbackSignature('testtoken', ts, nonce),
    timestamp: ts,
    nonce,
  });

  it('answers a retried push the same way and records it once', async () => {
    const account = await connectAccount(t, token, { mode: 'plain' });
    await rule(account.id, { keyword: '你好', reply: text('您好'), tag_fan: '打招呼' });
    const xml =
      '<xml><ToUserName>gh_x</ToUserName><FromUserName>o_retry</FromUserName><CreateTime>1700000000</CreateTime><MsgType>text</MsgType><Content>你好</Content><MsgId>777</MsgId></xml>';
    const responses = await Promise.all(
      [1, 2, 3].map((i) => rawPush(account.appid, xml, signed(`170000000${i}`, `n${i}`))),
    );
    const replies = responses.map((r) => r.body).filter((b) => b !== 'success');
    expect(replies.length).toBeGreaterThanOrEqual(1);
    for (const r of replies) expect(r).toContain('您好');
    const later = await rawPush(account.appid, xml, signed('1700000009', 'n9'));
    expect(later.body).toContain('您好');
    const rows = await t.deps.db
      .selectFrom('inbound_messages')
      .selectAll()
      .where('account_id', '=', account.id)
      .execute();
    expect(rows).toHaveLength(1);
    const tags = await t.deps.db
      .selectFrom('follower_tags')
      .selectAll()
      .where('tag', '=', '打招呼')
      .execute();
    expect(tags).toHaveLength(1);
  });

  it('still dedupes when the fast cache has forgotten (after a restart)', async () => {
    const account = await connectAccount(t, token, { mode: 'plain' });
    await rule(account.id, { keyword: 'hi', reply: text('hello') });
    const xml =
      '<xml><ToUserName>gh_x</ToUserName><FromUserName>o_r2</FromUserName><CreateTime>1700000000</CreateTime><MsgType>text</MsgType><Content>hi</Content><MsgId>888</MsgId></xml>';
    await rawPush(account.appid, xml, signed('1', 'a'));
    await t.deps.cache.delete(`wx:seen:${account.id}:m:888`);
    await rule(account.id, { keyword: 'hi', priority: 5, reply: text('changed since') });
    const again = await rawPush(account.appid, xml, signed('2', 'b'));
    expect(again.body).toContain('hello');
    const rows = await t.deps.db
      .selectFrom('inbound_messages')
      .select('id')
      .where('account_id', '=', account.id)
      .execute();
    expect(rows).toHaveLength(1);
  });

  it('refuses forged signatures, XXE, another appid’s ciphertext and plaintext to a safe-mode account', async () => {
    const account = await connectAccount(t, token, { mode: 'safe' });
    const xml =
      '<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>x</Content><MsgId>1</MsgId></xml>';
    const forged = await rawPush(account.appid, xml, {
      signature: 'f'.repeat(40),
      timestamp: '1',
      nonce: 'n',
    });
    expect(forged.statusCode).toBe(401);
    const plaintext = await rawPush(account.appid, xml, signed('1', 'n'));
    expect(plaintext.statusCode).toBe(400);
    const xxe = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Encrypt>&e;</Encrypt></xml>';
    const refused = await rawPush(account.appid, xxe, {
      ...signed('1', 'n'),
      encrypt_type: 'aes',
      msg_signature: 'x',
    });
    expect(refused.statusCode).toBe(400);
    const { createMessageCrypto } = await import('../src/wechat/message-crypto.ts');
    const { sealEnvelope } = await import('../src/wechat/envelope.ts');
    const other = createMessageCrypto('abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', 'wx9999999999999999');
    const sealed = sealEnvelope(xml, other, 'testtoken', '1', 'n');
    const wrongApp = await rawPush(
      account.appid,
      `<xml><Encrypt><![CDATA[${sealed.encrypted}]]></Encrypt></xml>`,
      {
        ...signed('1', 'n'),
        encrypt_type: 'aes',
        msg_signature: sealed.signature,
      },
    );
    expect(wrongApp.statusCode).toBe(400);
    expect(wrongApp.body).toBe('refused: decrypt');
    const count = await t.deps.db
      .selectFrom('inbound_messages')
      .select('id')
      .where('account_id', '=', account.id)
      .execute();
    expect(count).toHaveLength(0);
  });
});

describe('menus', () => {
  it('checks WeChat’s limits, publishes, and routes clicks', async () => {
    const account = await connectAccount(t, token);
    const tooMany = await t.call(token, 'PUT', `/api/v1/accounts/${account.id}/menu`, {
      buttons: [1, 2, 3, 4].map((i) => ({ type: 'click', name: `b${i}`, key: `K${i}` })),
    });
    expect(tooMany.status).toBe(400);
    const longName = await t.call(token, 'PUT', `/api/v1/accounts/${account.id}/menu`, {
      buttons: [{ type: 'click', name: '这个菜单名字太长了', key: 'K' }],
    });
    expect(longName.body.error.code).toBe('invalid_menu');
    const saved = await t.call(token, 'PUT', `/api/v1/accounts/${account.id}/menu`, {
      buttons: [
        { type: 'click', name: '本周上新', key: 'NEW' },
        {
          name: '会员',
          sub_button: [{ type: 'view', name: '会员中心', url: 'https://shop.example/member' }],
        },
      ],
    });
    expect(saved.body.published_at).toBeNull();
    const published = await t.call(token, 'POST', `/api/v1/accounts/${account.id}/menu/publish`);
    expect(published.status).toBe(200);
    expect(published.body.published_at).toBe(t.clock.now());
    expect(t.simulator?.sim.app(account.appid).menu?.[0]?.name).toBe('本周上新');
    await t.call(token, 'POST', '/api/v1/replies', {
      account_id: account.id,
      kind: 'click',
      keyword: 'NEW',
      reply: text('新品来了'),
    });
    expect((await fan(t, account.appid, 'o_menu', { type: 'click', key: 'NEW' })).reply).toEqual(
      text('新品来了'),
    );
  });

  it('shows WeChat’s refusal when publishing fails', async () => {
    const account = await connectAccount(t, token);
    await t.call(token, 'PUT', `/api/v1/accounts/${account.id}/menu`, {
      buttons: [{ type: 'click', name: '菜单', key: 'K' }],
    });
    t.simulator!.sim.app(account.appid).secret = 'rotated-in-wechat';
    t.simulator!.sim.invalidateTokens(account.appid);
    const failed = await t.call(token, 'POST', `/api/v1/accounts/${account.id}/menu/publish`);
    expect(failed.status).toBe(502);
    expect(failed.body.error.code).toBe('wechat_40125');
  });
});

describe('channel QR codes and followers', () => {
  it('records each follower’s first source and every later scan', async () => {
    const account = await connectAccount(t, token);
    const counter = (
      await t.call(token, 'POST', '/api/v1/qrcodes', { account_id: account.id, name: '门店收银台' })
    ).body;
    const card = (
      await t.call(token, 'POST', '/api/v1/qrcodes', {
        account_id: account.id,
        name: '包裹感谢卡',
        permanent: false,
        expire_days: 7,
      })
    ).body;
    expect(counter.permanent).toBe(true);
    expect(card.expires_at).toBe(t.clock.now() + 7 * 86_400_000);

    await fan(t, account.appid, 'o_qr', { type: 'scan', ticket: counter.ticket });
    await fan(t, account.appid, 'o_qr', { type: 'scan', ticket: card.ticket }); // already following: SCAN
    await fan(t, account.appid, 'o_qr', { type: 'unsubscribe' });
    await fan(t, account.appid, 'o_qr', { type: 'scan', ticket: card.ticket }); // back through another code

    const followers = await t.call(token, 'GET', `/api/v1/followers?account_id=${account.id}`);
    const follower = followers.body.items[0];
    expect(follower.source_qrcode_id).toBe(counter.id);
    expect(follower.source_name).toBe('门店收银台');
    expect(follower.subscribed).toBe(true);
    expect(follower.unsubscribed_at).not.toBeNull();
    const detail = await t.call(token, 'GET', `/api/v1/followers/${follower.id}`);
    expect(detail.body.scans.map((s: { kind: string }) => s.kind)).toEqual([
      'subscribe',
      'scan',
      'subscribe',
    ]);
    const codes = (await t.call(token, 'GET', `/api/v1/qrcodes?account_id=${account.id}`)).body;
    const byName = Object.fromEntries(
      codes.map((c: { name: string; followers: number; scans: number }) => [c.name, c]),
    );
    expect(byName.门店收银台).toMatchObject({ followers: 1, scans: 1 });
    expect(byName.包裹感谢卡).toMatchObject({ followers: 0, scans: 2 });
  });

  it('refuses parametric QR codes for subscription accounts', async () => {
    const account = await connectAccount(t, token, { type: 'subscription' });
    const response = await t.call(token, 'POST', '/api/v1/qrcodes', { account_id: account.id, name: 'x' });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('service_account_required');
  });

  it('fetches a new follower’s unionid from WeChat', async () => {
    const account = await connectAccount(t, token);
    await fan(t, account.appid, 'o_union', { type: 'subscribe' });
    await t.worker.drain();
    const list = await t.call(token, 'GET', `/api/v1/followers?account_id=${account.id}`);
    expect(list.body.items[0].unionid).toBe('u_o_union');
  });

  it('keeps an unsubscribed follower’s history', async () => {
    const account = await connectAccount(t, token);
    await fan(t, account.appid, 'o_gone', { type: 'subscribe' });
    await say(t, account.appid, 'o_gone', '在吗');
    await fan(t, account.appid, 'o_gone', { type: 'unsubscribe' });
    const list = await t.call(token, 'GET', `/api/v1/followers?account_id=${account.id}&subscribed=false`);
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0].last_interaction_at).not.toBeNull();
    const messages = await t.deps.db
      .selectFrom('inbound_messages')
      .select('kind')
      .where('account_id', '=', account.id)
      .execute();
    expect(messages.map((m) => m.kind).sort()).toEqual(['subscribe', 'text', 'unsubscribe']);
  });
});
