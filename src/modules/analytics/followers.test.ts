import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/test-app.ts';
import { connectAccount, fan, say } from '../../../test/support/wechat-fan.ts';
import { manualClock } from '../../platform/clock.ts';
import { idFloor } from '../../platform/ids.ts';
import { createSimulatorState } from '../../simulator/simulator.ts';
import { logSince } from '../channel/index.ts';
import { runDaily } from './analytics.jobs.ts';
import { applyLogRows, rollupTail } from './rollups.service.ts';

// Shanghai is UTC+8: local midnight of 2026-11-21 is 16:00 UTC on the 20th.
const local = (day: string, time: string) => Date.parse(`${day}T${time}+08:00`);
const clock = manualClock(local('2026-11-20', '10:00:00'));

let t: TestApp;
let owner: { id: string; token: string };
let account: { id: string; appid: string };
let qr: { id: string; ticket: string };

const report = async (token: string, from: string, to: string, extra = '') =>
  t.call(
    token,
    'GET',
    `/api/v1/analytics/followers?from=${local(from, '00:00:00')}&to=${local(to, '00:00:00')}${extra}`,
  );

beforeAll(async () => {
  t = await createTestApp({}, { clock, simulator: createSimulatorState({ now: clock.now }) });
  owner = await t.merchant('growth-shop');
  account = await connectAccount(t, owner.token, { mode: 'plain' });
  qr = (await t.call(owner.token, 'POST', '/api/v1/qrcodes', { account_id: account.id, name: '门店海报' }))
    .body;
  // One minute before local midnight: the 20th, though UTC says the same day as the next follow.
  clock.set(local('2026-11-20', '23:59:00'));
  await fan(t, account.appid, 'o_qr', { type: 'scan', ticket: qr.ticket });
  clock.set(local('2026-11-21', '00:01:00'));
  await fan(t, account.appid, 'o_direct', { type: 'subscribe' });
  await say(t, account.appid, 'o_direct', '你好');
  clock.set(local('2026-11-21', '20:00:00'));
  await fan(t, account.appid, 'o_qr', { type: 'unsubscribe' });
  clock.set(local('2026-11-22', '09:00:00'));
  // The same fan comes back, this time without the QR code.
  await fan(t, account.appid, 'o_qr', { type: 'subscribe' });
  clock.set(local('2026-11-23', '10:00:00'));
  await rollupTail(t.deps)();
});
afterAll(() => t.close());

describe('follower rollups', () => {
  it('counts new, lost, net and cumulative per local day in Asia/Shanghai, a refollow as new again', async () => {
    const response = await report(owner.token, '2026-11-20', '2026-11-23');
    expect(response.status).toBe(200);
    expect(response.body.timezone).toBe('Asia/Shanghai');
    expect(response.body.series).toEqual([
      { period: '2026-11-20', new: 1, lost: 0, net: 1, cumulative: 1, growth: null },
      { period: '2026-11-21', new: 1, lost: 1, net: 0, cumulative: 1, growth: 0 },
      { period: '2026-11-22', new: 1, lost: 0, net: 1, cumulative: 2, growth: 1 },
    ]);
    // The unfollow counts against the QR code that first brought the fan.
    expect(response.body.by_qrcode).toEqual([
      { qrcode_id: null, name: null, new: 2, lost: 0, net: 2 },
      { qrcode_id: qr.id, name: '门店海报', new: 1, lost: 1, net: 0 },
    ]);
    expect(response.body.summary).toMatchObject({ new: 3, lost: 1, net: 2, start: 0, end: 2 });
    expect(response.body.summary.compound_growth).toBeNull();
  });

  it('defines compound growth against the followers the range started with, beside the 20% bar', async () => {
    const { body } = await report(owner.token, '2026-11-21', '2026-11-23');
    expect(body.summary).toMatchObject({ start: 1, end: 2, compound_growth: 1, target: 0.2 });
    expect(body.summary.compound_daily_rate).toBeCloseTo(Math.SQRT2 - 1, 4);
  });

  it('sums weeks from Monday in the merchant’s zone', async () => {
    const { body } = await report(owner.token, '2026-11-16', '2026-11-30', '&granularity=week');
    expect(body.series).toEqual([
      { period: '2026-11-16', new: 3, lost: 1, net: 2, cumulative: 2, growth: null },
      { period: '2026-11-23', new: 0, lost: 0, net: 0, cumulative: 2, growth: 0 },
    ]);
  });

  it('counts a log row once however often the tail reads it again', async () => {
    const rows = await logSince(t.deps.db, idFloor('msg', 0), 100);
    await applyLogRows(t.deps, rows);
    await applyLogRows(t.deps, rows);
    const { body } = await report(owner.token, '2026-11-20', '2026-11-23');
    expect(body.summary).toMatchObject({ new: 3, lost: 1 });
  });

  it('rebuilds a range from the log, the same figures however often it runs', async () => {
    const before = (await report(owner.token, '2026-11-20', '2026-11-23')).body;
    await t.deps.db.deleteFrom('analytics_follower_days').where('merchant_id', '=', owner.id).execute();
    for (let i = 0; i < 2; i++) {
      const rebuilt = await t.call(owner.token, 'POST', '/api/v1/analytics/rollups/rebuild', {
        from: '2026-11-20',
        to: '2026-11-22',
      });
      expect(rebuilt.status).toBe(200);
      expect(rebuilt.body).toMatchObject({ days: 3, log_rows: 5 });
    }
    expect((await report(owner.token, '2026-11-20', '2026-11-23')).body).toEqual(before);
    const overview = await t.call(
      owner.token,
      'GET',
      `/api/v1/analytics/overview?from=${local('2026-11-20', '00:00:00')}&to=${local('2026-11-23', '00:00:00')}`,
    );
    expect(overview.body.followers).toMatchObject({ subscribed: 2, total: 3 });
    expect(overview.body.messages_in_by_day.map((d: { value: number }) => d.value)).toEqual([0, 1, 0]);
  });

  it('refuses a rebuild past the log’s retention or backwards', async () => {
    const old = await t.call(owner.token, 'POST', '/api/v1/analytics/rollups/rebuild', {
      from: '2026-01-01',
      to: '2026-01-02',
    });
    expect(old.body.error.code).toBe('before_log_retention');
    const backwards = await t.call(owner.token, 'POST', '/api/v1/analytics/rollups/rebuild', {
      from: '2026-11-22',
      to: '2026-11-20',
    });
    expect(backwards.status).toBe(400);
  });

  it('anchors the cumulative series to followers the log never saw', async () => {
    // A fan who followed before the account was connected shows up by messaging (no subscribe push).
    await say(t, account.appid, 'o_old_friend', '还记得我吗');
    await rollupTail(t.deps)();
    await runDaily(t.deps);
    const { body } = await report(owner.token, '2026-11-20', '2026-11-24');
    expect(body.summary).toMatchObject({ start: 1, end: 3 });
  });
});

describe('WeChat’s own figures', () => {
  it('pulls getusersummary and getusercumulate and shows them beside ours', async () => {
    const pulled = await t.call(owner.token, 'POST', '/api/v1/analytics/wechat-users/pull', {
      from: '2026-11-20',
      to: '2026-11-22',
    });
    expect(pulled.status).toBe(200);
    expect(pulled.body.accounts).toEqual([{ account_id: account.id, days: 3 }]);
    const { body } = await report(owner.token, '2026-11-20', '2026-11-23');
    expect(body.wechat).toEqual([
      { period: '2026-11-20', new_user: 1, cancel_user: 0, net: 1, cumulate_user: 1 },
      { period: '2026-11-21', new_user: 1, cancel_user: 1, net: 0, cumulate_user: 1 },
      { period: '2026-11-22', new_user: 1, cancel_user: 0, net: 1, cumulate_user: 2 },
    ]);
  });

  it('asks WeChat for seven days at most per call and nothing from today', async () => {
    const today = await t.call(owner.token, 'POST', '/api/v1/analytics/wechat-users/pull', {
      from: '2026-11-23',
      to: '2026-11-23',
    });
    expect(today.body.error.code).toBe('range_not_closed');
    const fortnight = await t.call(owner.token, 'POST', '/api/v1/analytics/wechat-users/pull', {
      from: '2026-11-08',
      to: '2026-11-22',
    });
    // Three calls of at most seven days each; the simulator refuses longer spans as WeChat does.
    expect(fortnight.status).toBe(200);
    expect(fortnight.body.accounts[0].days).toBe(15);
  });
});

describe('who may see and rebuild', () => {
  it('lets operators and agents read, only operators rebuild and pull, clerks nothing', async () => {
    const agent = await t.merchant('growth-shop-agent', 'agent');
    const clerk = await t.merchant('growth-shop-clerk', 'clerk');
    expect((await report(agent.token, '2026-11-20', '2026-11-23')).status).toBe(200);
    expect((await report(clerk.token, '2026-11-20', '2026-11-23')).status).toBe(403);
    const rebuild = { from: '2026-11-20', to: '2026-11-22' };
    expect((await t.call(agent.token, 'POST', '/api/v1/analytics/rollups/rebuild', rebuild)).status).toBe(
      403,
    );
    expect((await t.call(agent.token, 'POST', '/api/v1/analytics/wechat-users/pull', {})).status).toBe(403);
  });

  it('shows another merchant none of these followers and refuses their account', async () => {
    const other = await t.merchant('rival-shop');
    const { body } = await report(other.token, '2026-11-20', '2026-11-23');
    expect(body.summary).toMatchObject({ new: 0, lost: 0, end: 0 });
    expect(body.by_qrcode).toEqual([]);
    const pull = await t.call(other.token, 'POST', '/api/v1/analytics/wechat-users/pull', {
      account_id: account.id,
    });
    expect(pull.status).toBe(404);
    // Naming A's account in the query is refused as unknown, not answered with zeros.
    const named = await report(other.token, '2026-11-20', '2026-11-23', `&account_id=${account.id}`);
    expect(named.status).toBe(404);
    expect(named.body.error.code).toBe('not_found');
  });
});

describe('heavy actions', () => {
  it('runs one rebuild and one WeChat pull at a time per merchant; another merchant is not held up', async () => {
    const rebuild = { from: '2026-11-20', to: '2026-11-22' };
    const path = '/api/v1/analytics/rollups/rebuild';
    const pull = '/api/v1/analytics/wechat-users/pull';
    // A rebuild and a pull of this merchant are running (in this process or another).
    for (const action of ['rebuild', 'wechat_pull'])
      expect(await t.deps.cache.setIfAbsent(`analytics:${action}:${owner.id}`, '1', 60_000)).toBe(true);
    const refused = await t.call(owner.token, 'POST', path, rebuild);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('already_running');
    expect((await t.call(owner.token, 'POST', pull, {})).status).toBe(409);
    const rival = await t.merchant('heavy-rival');
    expect((await t.call(rival.token, 'POST', path, rebuild)).status).toBe(200);
    // Once they are over, the next ones run, and each run frees the mark when it ends.
    for (const action of ['rebuild', 'wechat_pull'])
      await t.deps.cache.delete(`analytics:${action}:${owner.id}`);
    expect((await t.call(owner.token, 'POST', path, rebuild)).status).toBe(200);
    expect((await t.call(owner.token, 'POST', path, rebuild)).status).toBe(200);
    expect((await t.call(owner.token, 'POST', pull, {})).status).toBe(200);
    expect((await t.call(owner.token, 'POST', pull, {})).status).toBe(200);
  });
});

describe('range checks', () => {
  it('refuses backwards ranges', async () => {
    expect((await t.call(owner.token, 'GET', '/api/v1/analytics/followers?from=10&to=5')).status).toBe(400);
  });

  it('answers 400, not 500, for times and days no calendar has', async () => {
    // Past JavaScript's last date a time has no local day: refused by the schema.
    const far = 9_000_000_000_000_000;
    const followers = await t.call(
      owner.token,
      'GET',
      `/api/v1/analytics/followers?from=${far}&to=${far + 1}`,
    );
    expect(followers.status).toBe(400);
    expect(followers.body.error.code).toBeTruthy();
    for (const path of ['/api/v1/analytics/overview', '/api/v1/orders/funnel'])
      expect((await t.call(owner.token, 'GET', `${path}?from=${far}&to=${far + 1}`)).status, path).toBe(400);
    for (const body of [
      { from: '0000-00-00', to: '2026-11-20' },
      { from: '2026-11-20', to: '2026-11-31' },
    ]) {
      const pull = await t.call(owner.token, 'POST', '/api/v1/analytics/wechat-users/pull', body);
      expect(pull.status, JSON.stringify(body)).toBe(400);
      expect(pull.body.error.code).toBe('invalid_day');
    }
    // 2026-11-31 would roll over to December 1st: a rebuild refuses it rather than guessing.
    const rebuild = await t.call(owner.token, 'POST', '/api/v1/analytics/rollups/rebuild', {
      from: '2026-11-20',
      to: '2026-11-31',
    });
    expect(rebuild.status).toBe(400);
  });
});
