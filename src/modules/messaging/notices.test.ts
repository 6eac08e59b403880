import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/test-app.ts';
import { connectAccount, say } from '../../../test/support/wechat-fan.ts';
import { merchantCtx } from '../../context.ts';
import { resolveFan } from '../crm/index.ts';
import { requestNotice, requestTemplateNotices } from './notices.service.ts';

let t: TestApp;
let owner: { id: string; token: string };
let account: { id: string; appid: string };

const templates = (openid: string) =>
  t.simulator!.sim.fan(account.appid, openid).transcript.filter((e) => e.via === 'template');

/** Lets the simulator's pushes (TEMPLATESENDJOBFINISH) reach the callback, then runs the jobs. */
async function settle() {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 50));
    await t.worker.drain();
  }
}

beforeAll(async () => {
  t = await createTestApp();
  owner = await t.merchant('notice-shop');
  account = await connectAccount(t, owner.token, { mode: 'plain' });
  for (let i = 0; i < 6; i++) t.simulator!.sim.ensureFan(account.appid, `o_n${i}`, `粉丝${i}`, true);
});
afterAll(() => t.close());

describe('template notices', () => {
  it('lets the owner map a kind to a template with fields from its variables; others may only read', async () => {
    const list = await t.call(owner.token, 'GET', '/api/v1/notices/templates');
    expect(list.body.map((k: { kind: string }) => k.kind)).toEqual([
      'order_paid',
      'order_shipped',
      'order_refunded',
      'voucher_issued',
      'unpaid_reminder',
      'birthday',
    ]);
    const bad = await t.call(owner.token, 'PUT', '/api/v1/notices/templates/order_refunded', {
      template_id: 'TM_REFUND',
      fields: { keyword1: '{order_id}', keyword2: '{coupon}' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('unknown_variable');
    const saved = await t.call(owner.token, 'PUT', '/api/v1/notices/templates/birthday', {
      template_id: 'TM_BIRTHDAY',
      fields: { first: '{name}，生日快乐', keyword1: '{name}' },
    });
    expect(saved.body).toMatchObject({ kind: 'birthday', template_id: 'TM_BIRTHDAY', enabled: true });
    expect(
      (await t.call(owner.token, 'PUT', '/api/v1/notices/templates/nope', { template_id: 'x' })).status,
    ).toBe(400);

    const operator = await t.merchant('notice-operator', 'operator');
    expect((await t.call(operator.token, 'GET', '/api/v1/notices/templates')).status).toBe(200);
    expect(
      (await t.call(operator.token, 'PUT', '/api/v1/notices/templates/birthday', { template_id: 'x' }))
        .status,
    ).toBe(403);
    expect(
      (await t.call(operator.token, 'PUT', '/api/v1/notices/settings', { daily_limit: 5, per_second: 5 }))
        .status,
    ).toBe(403);
    const agent = await t.merchant('notice-agent', 'agent');
    expect((await t.call(agent.token, 'GET', '/api/v1/notices')).status).toBe(403);
  });

  it('sends one notice per (event, fan) however often the event is heard, and records WeChat’s finish push', async () => {
    const ctx = merchantCtx(t.deps, owner.id);
    const request = {
      kind: 'birthday' as const,
      eventKey: 'birthday:2026',
      accountId: account.id,
      openid: 'o_n0',
      vars: { name: '小王', link: 'https://shop.example/' },
    };
    const first = await requestNotice(ctx, request);
    const again = await requestNotice(ctx, request);
    expect(again).toBe(first);
    await settle();
    await settle();
    // Finish pushes are told once per account and second, a few seconds after it closed.
    t.clock.advance(5_000);
    await settle();
    const got = templates('o_n0');
    expect(got).toHaveLength(1);
    expect(got[0]!.message).toMatchObject({
      templateId: 'TM_BIRTHDAY',
      data: { first: { value: '小王，生日快乐' }, keyword1: { value: '小王' } },
    });
    const log = await t.call(owner.token, 'GET', '/api/v1/notices?kind=birthday');
    expect(log.body).toHaveLength(1);
    expect(log.body[0]).toMatchObject({ status: 'sent', via: 'template', finish_status: 'success' });
    expect(log.body[0].msg_id).toBeTruthy();
  });

  it("keeps to the day's allowance and sends the rest after China's midnight", async () => {
    expect(
      (await t.call(owner.token, 'PUT', '/api/v1/notices/settings', { daily_limit: 3, per_second: 100 }))
        .body,
    ).toEqual({ daily_limit: 3, per_second: 100 });
    const ctx = merchantCtx(t.deps, owner.id);
    // Today one went out already (the birthday above): two left.
    const fans = ['o_n1', 'o_n2', 'o_n3', 'o_n4'];
    const queued = await requestTemplateNotices(
      ctx,
      { kind: 'birthday', eventKey: 'campaign:1', accountId: account.id },
      fans.map((openid) => ({ openid, vars: { name: openid, link: '' } })),
    );
    expect(queued).toBe(4);
    await settle();
    const sentToday = fans.filter((f) => templates(f).length === 1);
    expect(sentToday).toHaveLength(2);
    const pending = await t.call(owner.token, 'GET', '/api/v1/notices?status=pending');
    expect(pending.body).toHaveLength(2);

    t.clock.advance(86_400_000);
    await settle();
    expect(fans.map((f) => templates(f).length)).toEqual([1, 1, 1, 1]);
    expect((await t.call(owner.token, 'GET', '/api/v1/notices?status=pending')).body).toHaveLength(0);
  });

  it('skips, and says why, a fan who unfollowed or a chat notice outside the 48-hour window', async () => {
    const ctx = merchantCtx(t.deps, owner.id);
    await t.call(owner.token, 'PUT', '/api/v1/notices/settings', { daily_limit: 100, per_second: 100 });
    t.simulator!.sim.fan(account.appid, 'o_n5').subscribed = false;
    await requestNotice(ctx, {
      kind: 'birthday',
      eventKey: 'birthday:2027',
      accountId: account.id,
      openid: 'o_n5',
      vars: { name: '走了', link: '' },
    });
    // A voucher notice with no template goes by chat, which needs the fan's message within 48 hours.
    await say(t, account.appid, 'o_n4', '你好');
    await resolveFan(ctx, { accountId: account.id, openid: 'o_n4' });
    const vars = { order_id: 'ord_x', vouchers: '团购券：1234 5678', count: '1', link: 'https://x/' };
    await requestNotice(ctx, {
      kind: 'voucher_issued',
      eventKey: 'ord_x',
      accountId: account.id,
      openid: 'o_n4',
      vars,
    });
    t.clock.advance(49 * 3_600_000);
    await requestNotice(merchantCtx(t.deps, owner.id), {
      kind: 'voucher_issued',
      eventKey: 'ord_y',
      accountId: account.id,
      openid: 'o_n4',
      vars,
    });
    await settle();
    const log = (await t.call(owner.token, 'GET', '/api/v1/notices')).body as Array<Record<string, string>>;
    expect(log.find((n) => n.openid === 'o_n5')).toMatchObject({
      status: 'skipped',
      error: '43004: fan unsubscribed',
    });
    expect(log.find((n) => n.event_key === 'ord_x')).toMatchObject({ status: 'sent', via: 'chat' });
    expect(log.find((n) => n.event_key === 'ord_y')).toMatchObject({
      status: 'skipped',
      error: 'outside the 48-hour window',
    });
    const chat = t.simulator!.sim.fan(account.appid, 'o_n4').transcript.filter((e) => e.via === 'custom');
    expect(chat).toHaveLength(1);
    expect(String(chat[0]!.message.content)).toContain('1234 5678');
  });

  it('greets today’s birthdays once a year on the birthday job', async () => {
    const ctx = merchantCtx(t.deps, owner.id);
    const today = new Date(t.clock.now() + 8 * 3_600_000).toISOString().slice(5, 10);
    t.simulator!.sim.ensureFan(account.appid, 'o_bday', '寿星', true);
    const memberId = await resolveFan(ctx, { accountId: account.id, openid: 'o_bday' });
    const patched = await t.call(owner.token, 'PATCH', `/api/v1/crm/members/${memberId}`, {
      name: '寿星',
      birthday: `1990-${today}`,
    });
    expect(patched.status).toBe(200);
    const jobs = await t.deps.db
      .selectFrom('jobs')
      .select(['run_at'])
      .where('type', '=', 'messaging.birthdays')
      .where('merchant_id', '=', owner.id)
      .where('status', '=', 'queued')
      .execute();
    expect(jobs).toHaveLength(1);
    // Runs at the next 10:00 China time, which may be tomorrow: the greeting is for that day.
    t.clock.set(jobs[0]!.run_at);
    const runDay = new Date(t.clock.now() + 8 * 3_600_000).toISOString().slice(5, 10);
    if (runDay !== today)
      await t.call(owner.token, 'PATCH', `/api/v1/crm/members/${memberId}`, { birthday: `1990-${runDay}` });
    await settle();
    const got = templates('o_bday');
    expect(got).toHaveLength(1);
    expect(got[0]!.message).toMatchObject({
      templateId: 'TM_BIRTHDAY',
      data: { first: { value: '寿星，生日快乐' } },
    });
    // The next day's run is queued; running today's again greets no one twice.
    await settle();
    expect(templates('o_bday')).toHaveLength(1);
  });

  it('one merchant never sees another’s notices or templates', async () => {
    const other = await t.merchant('notice-other');
    expect((await t.call(other.token, 'GET', '/api/v1/notices')).body).toEqual([]);
    const list = (await t.call(other.token, 'GET', '/api/v1/notices/templates')).body;
    expect(list.every((k: { template_id: string | null }) => k.template_id === null)).toBe(true);
  });
});
