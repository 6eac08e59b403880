import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { merchantCtx } from '../src/context.ts';
import { apiClientFor, getAccount } from '../src/modules/accounts/index.ts';
import { LATE_REPLY_JOB } from '../src/modules/channel/index.ts';
import { memoryCache } from '../src/platform/cache/cache.ts';
import { enqueueJob } from '../src/platform/jobs/jobs.ts';
import { createSimulatorState } from '../src/simulator/simulator.ts';
import {
  createApiClient,
  jsSdkSignature,
  oauthAuthorizeUrl,
  WeChatApiError,
  WeChatUnreachableError,
} from '../src/wechat/api-client.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { connectAccount, fan } from './support/wechat-fan.ts';

let t: TestApp;
let token: string;
let simNow = Date.UTC(2026, 10, 25, 2, 0, 0);
const sim = createSimulatorState({ now: () => simNow });

beforeAll(async () => {
  t = await createTestApp({}, { simulator: sim });
  token = (await t.merchant('api-shop')).token;
});
afterAll(() => t.close());

async function clientFor(input: Parameters<typeof connectAccount>[2] = {}) {
  const account = await connectAccount(t, token, input);
  const { merchant_id } = await t.deps.db
    .selectFrom('official_accounts')
    .select('merchant_id')
    .where('id', '=', account.id)
    .executeTakeFirstOrThrow();
  const row = await getAccount(merchantCtx(t.deps, merchant_id), account.id);
  return { account, client: apiClientFor(t.deps, row) };
}

describe('access tokens', () => {
  it('are cached, refreshed once for many concurrent callers, and retried once when WeChat drops them', async () => {
    const { account, client } = await clientFor();
    let tokenRequests = 0;
    const counting: typeof fetch = async (input, init) => {
      if (String(input instanceof Request ? input.url : input).includes('/cgi-bin/token')) tokenRequests++;
      return t.deps.wechatFetch(input, init);
    };
    const counted = createApiClient({
      baseUrl: t.deps.config.wechatApiBase,
      appId: account.appid,
      secret: 'test-secret-123456',
      store: memoryCache(),
      fetch: counting,
    });
    await Promise.all(Array.from({ length: 10 }, () => counted.listTags()));
    expect(tokenRequests).toBe(1);
    sim.invalidateTokens(account.appid);
    await counted.listTags(); // 40001 → refresh → retry
    expect(tokenRequests).toBe(2);
    expect((await client.listTags()).tags).toEqual([]);
  });

  it('expire after two hours, as WeChat’s do', async () => {
    const { account } = await clientFor();
    const store = memoryCache(() => simNow);
    const client = createApiClient({
      baseUrl: t.deps.config.wechatApiBase,
      appId: account.appid,
      secret: 'test-secret-123456',
      store,
      fetch: t.deps.wechatFetch,
    });
    const first = await client.accessToken();
    simNow += 7200 * 1000;
    await client.listTags();
    expect(await client.accessToken()).not.toBe(first);
  });
});

describe('typed WeChat errors', () => {
  it('45015 outside the 48-hour window, 43004 unsubscribed, 48001 unauthorised, 45028 mass quota', async () => {
    const { account, client } = await clientFor();
    await fan(t, account.appid, 'o_w', { type: 'subscribe' });
    await client.sendCustomMessage('o_w', { msgtype: 'text', text: { content: '在的' } });
    simNow += 49 * 3_600_000;
    const late = await client
      .sendCustomMessage('o_w', { msgtype: 'text', text: { content: '还在吗' } })
      .catch((e) => e);
    expect(late).toBeInstanceOf(WeChatApiError);
    expect(late.isOutOfWindow).toBe(true);
    await fan(t, account.appid, 'o_w', { type: 'unsubscribe' });
    const gone = await client.sendTemplate({ openid: 'o_w', templateId: 'TPL', data: {} }).catch((e) => e);
    expect(gone.isUnsubscribed).toBe(true);

    const sub = await clientFor({ type: 'subscription' });
    await fan(t, sub.account.appid, 'o_s', { type: 'subscribe' });
    const template = await sub.client
      .sendTemplate({ openid: 'o_s', templateId: 'TPL', data: {} })
      .catch((e) => e);
    expect(template.isUnauthorized).toBe(true);
    await sub.client.massSendToTag(null, { msgtype: 'text', text: { content: '周末上新' } });
    const second = await sub.client
      .massSendToTag(null, { msgtype: 'text', text: { content: '再发一次' } })
      .catch((e) => e);
    expect(second.errcode).toBe(45028);
    expect(second.isQuota).toBe(true);
    simNow += 24 * 3_600_000;
    await expect(
      sub.client.massSendToTag(null, { msgtype: 'text', text: { content: '第二天' } }),
    ).resolves.toMatchObject({ errcode: 0 });
    const transcript = sim.fan(sub.account.appid, 'o_s').transcript.filter((e) => e.via === 'mass');
    expect(transcript.map((e) => e.message.content)).toEqual(['周末上新', '第二天']);
  });

  it('gives service accounts four mass sends a month', async () => {
    const { account, client } = await clientFor();
    await fan(t, account.appid, 'o_m', { type: 'subscribe' });
    simNow = Date.UTC(2027, 0, 5);
    for (let i = 0; i < 4; i++)
      await client.massSendToTag(null, { msgtype: 'text', text: { content: `#${i}` } });
    await expect(
      client.massSendToTag(null, { msgtype: 'text', text: { content: '#5' } }),
    ).rejects.toMatchObject({ errcode: 45028 });
  });

  it('reports an unreachable WeChat as retryable, not as a refusal', async () => {
    const client = createApiClient({
      baseUrl: 'http://127.0.0.1:9',
      appId: 'wx1',
      secret: 's',
      store: memoryCache(),
      timeoutMs: 500,
    });
    await expect(client.listTags()).rejects.toBeInstanceOf(WeChatUnreachableError);
  });
});

describe('OAuth and JS-SDK', () => {
  it('exchanges a single-use code for the fan’s openid', async () => {
    const { account, client } = await clientFor();
    const url = oauthAuthorizeUrl({
      authorizeBase: `${t.deps.config.publicUrl}/sim`,
      appId: account.appid,
      redirectUri: 'http://127.0.0.1/shop/cb',
      scope: 'snsapi_base',
      state: 's1',
    });
    const redirect = await t.app.inject({
      url: `${url.replace(t.deps.config.publicUrl, '').replace('#wechat_redirect', '')}&as=o_oauth`,
      headers: await t.simAuth(account.appid),
    });
    expect(redirect.statusCode).toBe(302);
    const location = new URL(redirect.headers.location as string);
    expect(location.searchParams.get('state')).toBe('s1');
    const code = location.searchParams.get('code')!;
    expect((await client.oauthExchange(code)).openid).toBe('o_oauth');
    await expect(client.oauthExchange(code)).rejects.toMatchObject({ errcode: 40029 });
  });

  it('signs wx.config the documented way', async () => {
    const { client } = await clientFor();
    const ticket = await client.jsapiTicket();
    const signed = jsSdkSignature(ticket, 'http://shop.example/p?id=1#frag', 'nonce', 1414587457);
    const { createHash } = await import('node:crypto');
    const expected = createHash('sha1')
      .update(`jsapi_ticket=${ticket}&noncestr=nonce&timestamp=1414587457&url=http://shop.example/p?id=1`)
      .digest('hex');
    expect(signed.signature).toBe(expected);
  });
});

describe('late replies', () => {
  it('are sent as a customer-service message by a job', async () => {
    const { account } = await clientFor();
    await t.call(token, 'POST', '/api/v1/replies', {
      account_id: account.id,
      kind: 'keyword',
      keyword: '慢',
      reply: { type: 'text', content: '久等了' },
    });
    await fan(t, account.appid, 'o_late', { type: 'subscribe' });
    await fan(t, account.appid, 'o_late', { type: 'text', content: '慢' });
    const message = await t.deps.db
      .selectFrom('inbound_messages')
      .select('id')
      .where('account_id', '=', account.id)
      .where('kind', '=', 'text')
      .executeTakeFirstOrThrow();
    await enqueueJob(
      t.deps.db,
      { type: LATE_REPLY_JOB, key: message.id, payload: { messageId: message.id } },
      t.clock.now(),
    );
    await t.worker.drain();
    const custom = sim.fan(account.appid, 'o_late').transcript.filter((e) => e.via === 'custom');
    expect(custom.map((e) => e.message.content)).toEqual(['久等了']);
  });
});

describe('message log retention', () => {
  it('deletes messages older than 90 days and schedules itself for the next day', async () => {
    const { account } = await clientFor();
    await fan(t, account.appid, 'o_old_msg', { type: 'subscribe' });
    const before = await t.deps.db
      .selectFrom('inbound_messages')
      .select('id')
      .where('account_id', '=', account.id)
      .execute();
    expect(before).toHaveLength(1);
    await t.scheduleMaintenance();
    t.clock.advance(91 * 24 * 3_600_000);
    await t.worker.drain();
    const after = await t.deps.db
      .selectFrom('inbound_messages')
      .select('id')
      .where('account_id', '=', account.id)
      .execute();
    expect(after).toHaveLength(0);
    const next = await t.deps.db
      .selectFrom('jobs')
      .select(['run_at', 'status'])
      .where('type', '=', 'channel.prune_messages')
      .where('status', '=', 'queued')
      .execute();
    expect(next).toHaveLength(1);
    expect(next[0]!.run_at).toBe(t.clock.now() + 24 * 3_600_000);
  });
});
