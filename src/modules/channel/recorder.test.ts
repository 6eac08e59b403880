import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/test-app.ts';
import { connectAccount } from '../../../test/support/wechat-fan.ts';
import type { InboundMessage } from '../../wechat/messages.ts';
import { type Account, accountForCallback } from '../accounts/index.ts';
import { createRecorder } from './recorder.service.ts';

let t: TestApp;
let account: Account;

beforeAll(async () => {
  t = await createTestApp();
  const { token } = await t.merchant('recorder');
  const { appid } = await connectAccount(t, token);
  account = (await accountForCallback(t.deps, appid, t.clock.now()))!.account;
});
afterAll(() => t?.close());

const text = (openid: string, msgId: string, content: string): InboundMessage => ({
  kind: 'text',
  content,
  toUser: 'gh_recorder',
  fromUser: openid,
  createTime: Math.floor(t.clock.now() / 1000),
  msgId,
});

describe('the recorder under concurrent pushes (one batch)', () => {
  it('writes each push once, answers a retry with the first answer, and keeps fans and order right', async () => {
    const record = createRecorder(t.deps);
    const now = t.clock.now();
    const reply = (content: string) => ({ type: 'text' as const, content });
    const subscribe: InboundMessage = {
      kind: 'subscribe',
      scene: null,
      ticket: null,
      toUser: 'gh_recorder',
      fromUser: 'o_new',
      createTime: Math.floor(now / 1000),
    };
    const pushes = [
      { message: text('o_a', '810001', '你好'), reply: reply('a') },
      { message: text('o_b', '810002', '在吗'), reply: reply('b') },
      // WeChat's retry of the first push, arriving with the batch.
      { message: text('o_a', '810001', '你好'), reply: reply('again') },
      // A second message of one fan in the same batch.
      { message: text('o_c', '810003', '第一句'), reply: null },
      { message: text('o_c', '810004', '第二句'), reply: null },
      { message: subscribe, reply: null },
    ];
    // Called together: the group commit writes them as one batch.
    const results = await Promise.all(
      pushes.map(({ message, reply }) => record({ account, message, routed: { rule: null, reply }, now })),
    );

    expect(results.map((r) => r.duplicate)).toEqual([false, false, true, false, false, false]);
    expect(results[2]).toMatchObject({ messageId: results[0]!.messageId, reply: reply('a') });
    const ids = results.filter((r) => !r.duplicate).map((r) => r.messageId);
    expect([...ids].sort()).toEqual(ids);

    const log = await t.deps.db
      .selectFrom('inbound_messages')
      .select(['id', 'openid', 'content'])
      .where('account_id', '=', account.id)
      .orderBy('id')
      .execute();
    expect(log.map((r) => r.content)).toEqual(['你好', '在吗', '第一句', '第二句', null]);

    const fans = await t.deps.db
      .selectFrom('followers')
      .select(['openid', 'subscribed', 'last_interaction_at', 'subscribed_at'])
      .where('account_id', '=', account.id)
      .orderBy('openid')
      .execute();
    expect(fans).toEqual([
      { openid: 'o_a', subscribed: 1, last_interaction_at: now, subscribed_at: null },
      { openid: 'o_b', subscribed: 1, last_interaction_at: now, subscribed_at: null },
      { openid: 'o_c', subscribed: 1, last_interaction_at: now, subscribed_at: null },
      { openid: 'o_new', subscribed: 1, last_interaction_at: now, subscribed_at: now },
    ]);
  });

  it('moves a known fan’s last contact forward and keeps what only a subscribe sets', async () => {
    const record = createRecorder(t.deps);
    t.clock.advance(5 * 60_000);
    const later = t.clock.now();
    await Promise.all([
      record({
        account,
        message: text('o_new', '820001', '又来了'),
        routed: { rule: null, reply: null },
        now: later,
      }),
      record({
        account,
        message: text('o_d', '820002', '新朋友'),
        routed: { rule: null, reply: null },
        now: later,
      }),
    ]);
    const fan = await t.deps.db
      .selectFrom('followers')
      .select(['last_interaction_at', 'subscribed_at', 'first_subscribed_at'])
      .where('account_id', '=', account.id)
      .where('openid', '=', 'o_new')
      .executeTakeFirstOrThrow();
    expect(fan.last_interaction_at).toBe(later);
    expect(fan.subscribed_at).toBe(later - 5 * 60_000);
    expect(fan.first_subscribed_at).toBe(later - 5 * 60_000);
  });

  it('logs a batch of TEMPLATESENDJOBFINISH pushes and tells each second of them once', async () => {
    const record = createRecorder(t.deps);
    const now = Math.floor(t.clock.now() / 1000) * 1000 + 100;
    const finish = (i: number): InboundMessage => ({
      kind: 'template_send_finish',
      msgId: String(920_000 + i),
      status: i === 3 ? 'failed:user block' : 'success',
      toUser: 'gh_recorder',
      fromUser: `o_tf${i}`,
      createTime: Math.floor(now / 1000),
    });
    // Two seconds' worth in one batch, and WeChat's retry of one of them.
    const pushes = [0, 1, 2, 3, 4, 5].map((i) => ({ message: finish(i), at: i < 4 ? now : now + 1_000 }));
    pushes.push({ message: finish(2), at: now });
    const results = await Promise.all(
      pushes.map(({ message, at }) =>
        record({ account, message, routed: { rule: null, reply: null }, now: at }),
      ),
    );
    expect(results.map((r) => r.duplicate)).toEqual([false, false, false, false, false, false, true]);

    const logged = await t.deps.db
      .selectFrom('inbound_messages')
      .select(['openid', 'content'])
      .where('account_id', '=', account.id)
      .where('kind', '=', 'template_send_finish')
      .orderBy('id')
      .execute();
    expect(logged.map((r) => r.openid)).toEqual(['o_tf0', 'o_tf1', 'o_tf2', 'o_tf3', 'o_tf4', 'o_tf5']);
    expect(logged[3]!.content).toBe('failed:user block');
    const windows = await t.deps.db
      .selectFrom('jobs')
      .select('payload')
      .where('type', 'like', '%template_finishes%')
      .where('idempotency_key', 'like', `%${account.id}%`)
      .execute();
    expect(windows.map((j) => JSON.parse(j.payload).from).sort()).toEqual([now - 100, now + 900]);
  });
});
