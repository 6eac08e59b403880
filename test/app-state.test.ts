import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type Weiloop } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { manualClock } from '../src/platform/clock.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { connectAccount } from './support/wechat-fan.ts';

/**
 * Two apps in one process over one database, as two `weiloop serve` processes would be: each keeps
 * its own hot-path caches, so one app's cache is never the other's, and an edit made through one
 * reaches the other when its short TTL runs out.
 */
let a: TestApp;
let b: Weiloop;
const bClock = manualClock();
let token: string;

beforeAll(async () => {
  a = await createTestApp();
  token = (await a.merchant('two-apps')).token;
  const config = loadConfig(
    { PORT: '0', LOG_LEVEL: 'silent', REDIS_URL: process.env.REDIS_URL },
    {
      database: a.deps.config.database,
      masterKey: a.deps.config.masterKey,
      demo: false,
      worker: false,
      simulator: false,
    },
  );
  b = await buildApp(config, { clock: bClock, logger: pino({ level: 'silent' }), migrate: false });
});
afterAll(async () => {
  await b.close();
  await a.close();
});

const preview = async (app: Weiloop, account_id: string) =>
  (
    await app.app.inject({
      method: 'POST',
      url: '/api/v1/replies/preview',
      headers: { authorization: `Bearer ${token}` },
      payload: { account_id, text: '价格' },
    })
  ).json() as { reply: { content: string } | null };

describe('two apps in one process', () => {
  it('keep their caches apart', async () => {
    expect(a.deps.local).not.toBe(b.deps.local);
    const account = await connectAccount(a, token);
    const rule = await a.call(token, 'POST', '/api/v1/replies', {
      account_id: account.id,
      kind: 'keyword',
      keyword: '价格',
      reply: { type: 'text', content: '旧价目表' },
    });
    expect((await preview(a, account.id)).reply?.content).toBe('旧价目表');

    const edit = await b.app.inject({
      method: 'PATCH',
      url: `/api/v1/replies/${rule.body.id}`,
      headers: { authorization: `Bearer ${token}` },
      payload: { reply: { type: 'text', content: '新价目表' } },
    });
    expect(edit.statusCode).toBe(200);
    // The app that edited sees the edit at once; the other still holds its own compiled rules…
    expect((await preview(b, account.id)).reply?.content).toBe('新价目表');
    expect((await preview(a, account.id)).reply?.content).toBe('旧价目表');
    // …until they expire (a few seconds), never longer.
    a.clock.advance(6_000);
    expect((await preview(a, account.id)).reply?.content).toBe('新价目表');
  });
});
