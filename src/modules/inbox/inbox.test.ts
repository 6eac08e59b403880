import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/test-app.ts';
import { connectAccount, fan, say } from '../../../test/support/wechat-fan.ts';

let t: TestApp;
let owner: string;
let agent: string;
let agentId: string;
let account: { id: string; appid: string };

const list = async (view: string, tk = agent) =>
  (await t.call(tk, 'GET', `/api/v1/inbox/conversations?view=${view}`)).body as Array<{
    id: string;
    openid: string;
    assignee_id: string | null;
    overdue: boolean;
    waiting_since: number | null;
    wants_human: boolean;
    preview: string;
  }>;
const find = async (openid: string, view = 'all') => (await list(view)).find((c) => c.openid === openid);

beforeAll(async () => {
  t = await createTestApp();
  const m = await t.merchant('inbox-shop');
  owner = m.token;
  const created = (await t.call(owner, 'POST', '/api/v1/tokens', { name: 'agent', role: 'agent' })).body;
  agent = created.token;
  agentId = created.id;
  account = await connectAccount(t, owner);
  await t.call(owner, 'PUT', `/api/v1/inbox/personas/${account.id}`, {
    name: '小美',
    avatar_url: null,
    signature: '小美为您服务',
    guidelines: '亲切，不用官腔',
  });
  await t.call(owner, 'POST', '/api/v1/inbox/canned', {
    title: '问候',
    body: '{{name}}您好，我是{{persona}}～',
  });
});
afterAll(() => t.close());

describe('inbox', () => {
  it('shows a fan who asks for a person, and the agent answer reaches the fan inside the window', async () => {
    await fan(t, account.appid, 'o_amy', { type: 'subscribe' });
    await say(t, account.appid, 'o_amy', '面膜怎么用？我要转人工');
    const waiting = await find('o_amy', 'unassigned');
    expect(waiting).toMatchObject({ wants_human: true, assignee_id: null, waiting_since: t.clock.now() });

    const detail = (await t.call(agent, 'GET', `/api/v1/inbox/conversations/${waiting!.id}`)).body;
    expect(detail.window_open).toBe(true);
    expect(detail.persona.name).toBe('小美');
    expect(detail.canned[0].text).toBe('您好，我是小美～');
    expect(detail.messages.filter((m: { from: string }) => m.from === 'fan').at(-1).text).toBe(
      '面膜怎么用？我要转人工',
    );
    expect(detail.member.identities[0].value).toBe(`${account.id}:o_amy`);

    t.clock.advance(3 * 60_000);
    const sent = await t.call(agent, 'POST', `/api/v1/inbox/conversations/${waiting!.id}/reply`, {
      text: '您好，我是小美，面膜敷 15 分钟就好～',
    });
    expect(sent.status).toBe(201);
    const seen = t.simulator!.sim.fan(account.appid, 'o_amy').transcript.at(-1)!;
    expect(seen).toMatchObject({ from: 'account', via: 'custom' });
    expect(JSON.stringify(seen.message)).toContain('面膜敷 15 分钟');

    const mine = await find('o_amy', 'mine');
    expect(mine).toMatchObject({ assignee_id: agentId, waiting_since: null });
    expect(await find('o_amy', 'unassigned')).toBeUndefined();
    const stats = (await t.call(agent, 'GET', '/api/v1/inbox/stats')).body;
    expect(
      stats.agents.find((a: { assignee_id: string }) => a.assignee_id === agentId).first_response_ms,
    ).toBe(180_000);
  });

  it('refuses a reply after 48 hours with a clear message in both languages', async () => {
    await say(t, account.appid, 'o_late', '在吗');
    const conversation = await find('o_late');
    t.clock.advance(49 * 3_600_000);
    const refused = await t.call(agent, 'POST', `/api/v1/inbox/conversations/${conversation!.id}/reply`, {
      text: '抱歉久等',
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('outside_window');
    expect(refused.body.error.message).toContain('48');
    const english = await t.app.inject({
      method: 'POST',
      url: `/api/v1/inbox/conversations/${conversation!.id}/reply`,
      headers: { authorization: `Bearer ${agent}`, 'accept-language': 'en' },
      payload: { text: 'sorry' },
    });
    expect(english.json().error.message).toContain('template notice');
    const detail = (await t.call(agent, 'GET', `/api/v1/inbox/conversations/${conversation!.id}`)).body;
    expect(detail.window_open).toBe(false);
  });

  it('flags a fan waiting past the SLA (10 minutes by default, configurable)', async () => {
    await say(t, account.appid, 'o_wait', '发货了吗？');
    t.clock.advance(11 * 60_000);
    expect((await find('o_wait'))!.overdue).toBe(true);
    expect((await list('overdue')).map((c) => c.openid)).toContain('o_wait');
    expect((await t.call(agent, 'GET', '/api/v1/inbox/stats')).body.overdue).toBeGreaterThanOrEqual(1);
    expect((await t.call(agent, 'PUT', '/api/v1/inbox/settings', { sla_minutes: 30 })).status).toBe(403);
    await t.call(owner, 'PUT', '/api/v1/inbox/settings', { sla_minutes: 30 });
    expect((await find('o_wait'))!.overdue).toBe(false);
  });

  it('assigns, transfers, closes, and reopens when the fan writes again', async () => {
    await say(t, account.appid, 'o_cat', '你好');
    const c = (await find('o_cat'))!;
    const assigned = await t.call(owner, 'POST', `/api/v1/inbox/conversations/${c.id}/assign`, {
      assignee_id: agentId,
    });
    expect(assigned.body.assignee_id).toBe(agentId);
    expect((await find('o_cat', 'mine'))?.id).toBe(c.id);
    await t.call(agent, 'POST', `/api/v1/inbox/conversations/${c.id}/assign`, {
      assignee_id: 'someone-else',
    });
    expect(await find('o_cat', 'mine')).toBeUndefined();
    expect((await t.call(agent, 'POST', `/api/v1/inbox/conversations/${c.id}/close`)).body.status).toBe(
      'closed',
    );
    expect(await find('o_cat')).toBeUndefined();
    t.clock.advance(1000);
    await say(t, account.appid, 'o_cat', '还有个问题');
    expect((await find('o_cat'))?.id).toBe(c.id);
  });

  it('folds a burst into one conversation per fan: the newest preview, the earliest wait', async () => {
    const start = t.clock.now();
    await say(t, account.appid, 'o_burst1', '第一句');
    t.clock.advance(1000);
    // Written together, applied by the reader as one batch (one upsert for several fans).
    await Promise.all([
      say(t, account.appid, 'o_burst1', '第二句'),
      say(t, account.appid, 'o_burst2', '你好'),
      say(t, account.appid, 'o_burst3', '在吗'),
    ]);
    const all = (await list('all')).filter((c) => c.openid.startsWith('o_burst'));
    expect(all.map((c) => c.openid).sort()).toEqual(['o_burst1', 'o_burst2', 'o_burst3']);
    expect(all.find((c) => c.openid === 'o_burst1')).toMatchObject({
      waiting_since: start,
      preview: '第二句',
    });
    expect(all.find((c) => c.openid === 'o_burst3')).toMatchObject({
      waiting_since: start + 1000,
      preview: '在吗',
    });
  });

  it('keeps clerks out and other merchants blind', async () => {
    const clerk = (await t.call(owner, 'POST', '/api/v1/tokens', { name: 'clerk', role: 'clerk' })).body
      .token;
    expect((await t.call(clerk, 'GET', '/api/v1/inbox/conversations')).status).toBe(403);
    const other = await t.merchant('inbox-other');
    expect((await t.call(other.token, 'GET', '/api/v1/inbox/conversations')).body).toEqual([]);
    const c = (await find('o_amy'))!;
    expect(
      (await t.call(other.token, 'POST', `/api/v1/inbox/conversations/${c.id}/reply`, { text: 'x' })).status,
    ).toBe(404);
  });

  it('tells the merchant’s open streams of a fan’s new message at once, and no other merchant’s', async () => {
    const other = await t.merchant('inbox-stream-other');
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const controller = new AbortController();
    const open = async (token: string) => {
      const response = await fetch(`${address}/api/v1/inbox/stream`, {
        headers: { authorization: `Bearer ${token}` },
        signal: controller.signal,
      });
      const reader = response.body!.getReader();
      let text = '';
      // Reads until `event` arrives or `ms` pass; returns everything read so far.
      const until = async (event: string, ms: number) => {
        const deadline = Date.now() + ms;
        while (!text.includes(`event: ${event}`) && Date.now() < deadline) {
          const chunk = await Promise.race([
            reader.read(),
            new Promise<null>((r) => setTimeout(() => r(null), deadline - Date.now())),
          ]);
          if (!chunk || chunk.done) break;
          text += new TextDecoder().decode(chunk.value);
        }
        return text;
      };
      await until('ready', 10_000);
      return until;
    };
    try {
      const mine = await open(agent);
      const theirs = await open(other.token);
      t.clock.advance(60_000);
      await say(t, account.appid, 'o_stream', '有新款吗？');
      const seen = await mine('changed', 10_000);
      const at = JSON.parse(/event: changed\ndata: (.*)/.exec(seen)![1]!).at;
      // The reader's write, stamped on the (test's) clock.
      expect(at).toBe(t.clock.now());
      expect((await find('o_stream'))?.preview).toBe('有新款吗？');
      // Longer than the stream's poll: nothing changed for the other merchant.
      expect(await theirs('changed', 1_500)).not.toContain('event: changed');
    } finally {
      controller.abort();
    }
  });
});
