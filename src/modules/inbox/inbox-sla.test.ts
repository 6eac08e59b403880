import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/test-app.ts';
import { connectAccount, say } from '../../../test/support/wechat-fan.ts';
import { businessMs, zoneOffsets } from './business-hours.ts';

let t: TestApp;
let owner: string;
let agent: string;
let agentId: string;
let account: { id: string; appid: string };
const MIN = 60_000;
const HOUR = 60 * MIN;

const conversation = async (openid: string) =>
  (
    (await t.call(agent, 'GET', '/api/v1/inbox/conversations?view=all')).body as Array<{
      id: string;
      openid: string;
      wants_human: boolean;
      overdue: boolean;
      waited_ms: number;
    }>
  ).find((c) => c.openid === openid)!;

/** A Monday in Shanghai (2026-11-23 is one). */
const mondayAt = (hhmm: string, base = '2026-11-23') => Date.parse(`${base}T${hhmm}:00+08:00`);
/** The first Monday after the test clock (the clock only moves forward: the log is read in id order). */
const nextMonday = () => {
  let day = Date.parse('2026-11-23T00:00:00+08:00');
  while (day <= t.clock.now()) day += 7 * 86_400_000;
  return new Date(day + 8 * HOUR).toISOString().slice(0, 10);
};

beforeAll(async () => {
  t = await createTestApp();
  const m = await t.merchant('inbox-sla');
  owner = m.token;
  const created = (await t.call(owner, 'POST', '/api/v1/tokens', { name: 'agent', role: 'agent' })).body;
  agent = created.token;
  agentId = created.id;
  account = await connectAccount(t, owner);
});
afterAll(() => t.close());

describe('business hours', () => {
  it('counts only the open hours of open days', () => {
    const hours = { days: [1, 2, 3, 4, 5], start: '09:00', end: '18:00' };
    const shanghai = zoneOffsets('Asia/Shanghai');
    expect(businessMs(mondayAt('08:00'), mondayAt('09:30'), hours, shanghai)).toBe(30 * MIN);
    // Friday 17:50 → Monday 09:05: ten minutes on Friday, five on Monday.
    const friday = Date.parse('2026-11-27T17:50:00+08:00');
    const monday = Date.parse('2026-11-30T09:05:00+08:00');
    expect(businessMs(friday, monday, hours, shanghai)).toBe(15 * MIN);
    expect(businessMs(friday, monday, null, shanghai)).toBe(monday - friday);
  });

  it("reads the hours on the merchant's own clock, daylight saving included", () => {
    const hours = { days: [1, 2, 3, 4, 5], start: '09:00', end: '18:00' };
    // 08:30 → 09:30 in Shanghai is 01:30 → 02:30 in London: closed there.
    const from = Date.parse('2026-11-30T08:30:00+08:00');
    const to = Date.parse('2026-11-30T09:30:00+08:00');
    expect(businessMs(from, to, hours, zoneOffsets('Asia/Shanghai'))).toBe(30 * MIN);
    expect(businessMs(from, to, hours, zoneOffsets('Europe/London'))).toBe(0);
    // New York in summer (UTC−4): Monday 2026-07-06 08:50 → 09:10 local is ten open minutes.
    const ny = zoneOffsets('America/New_York');
    expect(
      businessMs(Date.parse('2026-07-06T12:50:00Z'), Date.parse('2026-07-06T13:10:00Z'), hours, ny),
    ).toBe(10 * MIN);
    // …and in winter (UTC−5) the same UTC instants are 07:50 → 08:10: closed.
    expect(
      businessMs(Date.parse('2026-12-07T12:50:00Z'), Date.parse('2026-12-07T13:10:00Z'), hours, ny),
    ).toBe(0);
  });
});

describe('the inbox with business hours, handoff words and the template notice', () => {
  it("answers the merchant's handoff words with transfer_customer_service and flags the fan", async () => {
    const saved = await t.call(owner, 'PUT', '/api/v1/inbox/settings', {
      handoff_keywords: ['找真人', '人工'],
    });
    expect(saved.status).toBe(200);
    expect(saved.body.handoff_keywords).toEqual(['找真人', '人工']);
    const reply = await say(t, account.appid, 'o_person', '我想找真人聊聊');
    expect(reply).toMatchObject({ type: 'transfer_customer_service' });
    expect((await conversation('o_person')).wants_human).toBe(true);
    // Changing the words changes the rule; saving twice keeps one rule per account.
    await t.call(owner, 'PUT', '/api/v1/inbox/settings', { handoff_keywords: ['客服小姐姐'] });
    const rules = (await t.call(owner, 'GET', `/api/v1/replies?account_id=${account.id}`)).body as Array<{
      reply: { type: string };
      keyword: string;
    }>;
    const handoff = rules.filter((r) => r.reply.type === 'transfer_customer_service');
    expect(handoff).toHaveLength(1);
    expect(handoff[0]!.keyword).toBe('客服小姐姐');
    expect(await say(t, account.appid, 'o_other', '我想找真人聊聊')).not.toMatchObject({
      type: 'transfer_customer_service',
    });
    expect((await t.call(agent, 'PUT', '/api/v1/inbox/settings', { sla_minutes: 5 })).status).toBe(403);
  });

  it('waits only in business hours: overdue on the dashboard, and per-agent times in business hours', async () => {
    const bad = await t.call(owner, 'PUT', '/api/v1/inbox/settings', {
      business_hours: { days: [1, 2, 3, 4, 5], start: '18:00', end: '09:00' },
    });
    expect(bad.status).toBe(400);
    expect(
      (
        await t.call(owner, 'PUT', '/api/v1/inbox/settings', {
          sla_minutes: 10,
          business_hours: { days: [1, 2, 3, 4, 5], start: '09:00', end: '18:00' },
        })
      ).status,
    ).toBe(200);
    const monday = nextMonday();
    t.clock.set(mondayAt('08:30', monday));
    await say(t, account.appid, 'o_early_bird', '在吗？');
    const c = await conversation('o_early_bird');
    t.clock.set(mondayAt('09:08', monday));
    expect(await conversation('o_early_bird')).toMatchObject({ overdue: false, waited_ms: 8 * MIN });
    t.clock.set(mondayAt('09:12', monday));
    expect(await conversation('o_early_bird')).toMatchObject({ overdue: true, waited_ms: 12 * MIN });
    const stats = (await t.call(owner, 'GET', '/api/v1/inbox/stats')).body;
    expect(stats.overdue).toBeGreaterThanOrEqual(1);
    expect(stats.oldest_overdue.map((o: { id: string }) => o.id)).toContain(c.id);
    const overdue = (await t.call(agent, 'GET', '/api/v1/inbox/conversations?view=overdue')).body;
    expect(overdue.map((o: { id: string }) => o.id)).toContain(c.id);

    t.clock.set(mondayAt('09:15', monday));
    expect(
      (await t.call(agent, 'POST', `/api/v1/inbox/conversations/${c.id}/reply`, { text: '在的，您说～' }))
        .status,
    ).toBe(201);
    t.clock.set(mondayAt('09:45', monday));
    expect((await t.call(agent, 'POST', `/api/v1/inbox/conversations/${c.id}/close`)).status).toBe(200);
    const after = (await t.call(owner, 'GET', '/api/v1/inbox/stats')).body;
    const mine = after.agents.find((a: { assignee_id: string }) => a.assignee_id === agentId);
    // Written 08:30, answered 09:15, closed 09:45: 15 and 45 business minutes.
    expect(mine).toMatchObject({
      first_response_ms: 15 * MIN,
      resolution_ms: 45 * MIN,
      within_sla: 0,
      resolved: 1,
    });
    expect(after.oldest_overdue.map((o: { id: string }) => o.id)).not.toContain(c.id);
  });

  it('outside the 48-hour window offers a template notice where one fits, and sends it', async () => {
    await say(t, account.appid, 'o_gone', '衣服什么时候发货');
    const c = await conversation('o_gone');
    t.clock.advance(49 * HOUR);
    let detail = (await t.call(agent, 'GET', `/api/v1/inbox/conversations/${c.id}`)).body;
    expect(detail.window_open).toBe(false);
    expect(detail.notice).toEqual({ available: false, reason: 'no_template' });
    expect(
      (await t.call(agent, 'POST', `/api/v1/inbox/conversations/${c.id}/notice`, { text: '您的衣服已发货' }))
        .status,
    ).toBe(409);
    await t.call(owner, 'PUT', '/api/v1/inbox/settings', { notice_template_id: 'TPL_SERVICE_FOLLOWUP' });
    detail = (await t.call(agent, 'GET', `/api/v1/inbox/conversations/${c.id}`)).body;
    expect(detail.notice).toEqual({ available: true, reason: null });
    const sent = await t.call(agent, 'POST', `/api/v1/inbox/conversations/${c.id}/notice`, {
      text: '您的衣服已发货，有问题回复我们哦',
    });
    expect(sent.status).toBe(201);
    const seen = t.simulator!.sim.fan(account.appid, 'o_gone').transcript.at(-1)!;
    expect(seen).toMatchObject({ from: 'account', via: 'template' });
    expect(JSON.stringify(seen.message)).toContain('您的衣服已发货');
    // Inside the window the notice is refused: the agent replies instead.
    await say(t, account.appid, 'o_gone', '收到了');
    const inside = await t.call(agent, 'POST', `/api/v1/inbox/conversations/${c.id}/notice`, {
      text: '好的',
    });
    expect(inside.status).toBe(409);
    expect(inside.body.error.code).toBe('inside_window');
  });

  it('alerts the assigned agent on the inbox stream once a conversation is overdue', async () => {
    await t.call(owner, 'PUT', '/api/v1/inbox/settings', { sla_minutes: 10, business_hours: null });
    await say(t, account.appid, 'o_alert', '有人吗？');
    const c = await conversation('o_alert');
    await t.call(agent, 'POST', `/api/v1/inbox/conversations/${c.id}/assign`, { assignee_id: agentId });
    t.clock.advance(11 * MIN);
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const controller = new AbortController();
    const response = await fetch(`${address}/api/v1/inbox/stream`, {
      headers: { authorization: `Bearer ${agent}` },
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    let text = '';
    const deadline = Date.now() + 20_000;
    while (!text.includes('event: sla') && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    const block = text.slice(text.indexOf('event: sla'));
    const data = JSON.parse(/data: (.*)/.exec(block)![1]!);
    expect(data).toMatchObject({ id: c.id, openid: 'o_alert' });
    expect(data.waited_ms).toBeGreaterThan(10 * MIN);
  });
});
