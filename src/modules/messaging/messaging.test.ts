import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/test-app.ts';
import { connectAccount } from '../../../test/support/wechat-fan.ts';
import { merchantCtx } from '../../context.ts';
import { massDeliveryCounts } from '../../simulator/mass-send.routes.ts';
import { resolveFan } from '../crm/index.ts';
import { nextLocalTime } from './broadcasts.service.ts';
import { runSend } from './send.service.ts';

let t: TestApp;
let token: string;
let merchantId: string;
let account: { id: string; appid: string };
let tagId: string;
const FANS = 30;
const TAGGED = 25;

const news = (audience: Record<string, unknown>) => ({
  account_id: account.id,
  kind: 'news',
  articles: [
    { title: '本周新品', digest: '三款春装上新', body: '正文', link: 'https://shop.example/p/1' },
    { title: '会员专享', body: '正文二', link: 'https://shop.example/' },
  ],
  audience,
});

beforeAll(async () => {
  // Three batches of ten show batching without ten thousand fans.
  t = await createTestApp({ massSendBatch: 10 });
  const m = await t.merchant('msg-shop');
  token = m.token;
  merchantId = m.id;
  account = await connectAccount(t, token, { mode: 'plain' });
  const sim = t.simulator!.sim;
  const ctx = merchantCtx(t.deps, merchantId);
  const memberIds: string[] = [];
  for (let i = 0; i < FANS; i++) {
    sim.ensureFan(account.appid, `o_fan_${i}`, `粉丝${i}`, true);
    memberIds.push(await resolveFan(ctx, { accountId: account.id, openid: `o_fan_${i}` }));
  }
  tagId = (await t.call(token, 'POST', '/api/v1/crm/tags', { name: '新品关注', sync: false })).body.id;
  const tagged = await t.call(token, 'POST', `/api/v1/crm/tags/${tagId}/members`, {
    member_ids: memberIds.slice(0, TAGGED),
  });
  expect(tagged.status).toBeLessThan(300);
});
afterAll(() => t.close());

describe('broadcasts', () => {
  it('counts the audience, and refuses "everyone" unless its count is confirmed', async () => {
    const count = await t.call(token, 'POST', '/api/v1/broadcasts/audience-count', {
      kind: 'tag',
      ref: tagId,
    });
    expect(count.body.count).toBe(TAGGED);
    const all = (await t.call(token, 'POST', '/api/v1/broadcasts', news({ kind: 'all' }))).body;
    const refused = await t.call(token, 'POST', `/api/v1/broadcasts/${all.id}/schedule`, { preset: 'now' });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('confirm_all');
    await t.call(token, 'POST', `/api/v1/broadcasts/${all.id}/cancel`);
  });

  it('previews to a test fan without using quota, schedules at a preset, cancels before it starts', async () => {
    const draft = (await t.call(token, 'POST', '/api/v1/broadcasts', news({ kind: 'tag', ref: tagId }))).body;
    const preview = await t.call(token, 'POST', `/api/v1/broadcasts/${draft.id}/preview`, {
      openids: ['o_fan_29', 'o_nobody'],
    });
    expect(preview.body.map((r: { ok: boolean }) => r.ok)).toEqual([true, false]);
    const seen = t.simulator!.sim.fan(account.appid, 'o_fan_29').transcript.at(-1)!;
    expect(seen.via).toBe('preview');
    const link = (seen.message.articles as Array<{ url: string }>)[0]!.url;
    // "Read more" counts the tap, then lands on the product page carrying the send.
    const tap = await t.app.inject({ method: 'GET', url: new URL(link).pathname });
    expect(tap.statusCode).toBe(302);
    expect(tap.headers.location).toBe(`https://shop.example/p/1?wl_bc=${draft.id}`);
    expect((await t.call(token, 'GET', `/api/v1/broadcasts/${draft.id}/report`)).body.clicks).toBe(1);
    expect((await t.app.inject({ method: 'GET', url: `/m/bc/${draft.id}/7` })).statusCode).toBe(404);

    const scheduled = await t.call(token, 'POST', `/api/v1/broadcasts/${draft.id}/schedule`, {
      preset: 'lunch',
    });
    expect(scheduled.body.status).toBe('scheduled');
    // 12:30 in Shanghai is 04:30 UTC.
    expect(new Date(scheduled.body.scheduled_at).toISOString().slice(11, 16)).toBe('04:30');
    expect(scheduled.body.scheduled_at).toBe(nextLocalTime(t.clock.now(), 'Asia/Shanghai', 12 * 60 + 30));
    const quota = await t.call(token, 'GET', `/api/v1/broadcasts/quota?account_id=${account.id}`);
    expect(quota.body).toMatchObject({ period: 'month', allowance: 4, used: 1, left: 3 });

    expect((await t.call(token, 'POST', `/api/v1/broadcasts/${draft.id}/cancel`)).body.status).toBe(
      'cancelled',
    );
    t.clock.advance(86_400_000);
    await t.worker.drain();
    expect((await t.call(token, 'GET', `/api/v1/broadcasts/${draft.id}`)).body.status).toBe('cancelled');
    expect(massDeliveryCounts(t.simulator!.sim, account.appid, '').size).toBe(0);
    const after = await t.call(token, 'GET', `/api/v1/broadcasts/quota?account_id=${account.id}`);
    expect(after.body.left).toBe(4);
  });

  it('sends to the tag snapshot in batches, each fan once, and resumes a batch sent but not recorded', async () => {
    const draft = (await t.call(token, 'POST', '/api/v1/broadcasts', news({ kind: 'tag', ref: tagId }))).body;
    await t.call(token, 'POST', `/api/v1/broadcasts/${draft.id}/schedule`, { preset: 'now' });
    await t.worker.drain();
    const sent = (await t.call(token, 'GET', `/api/v1/broadcasts/${draft.id}`)).body;
    expect(sent).toMatchObject({
      status: 'sent',
      recipients: TAGGED,
      batches: 3,
      batches_done: 3,
      sent: TAGGED,
    });
    const media = (
      await t.deps.db
        .selectFrom('broadcasts')
        .select('media_id')
        .where('id', '=', draft.id)
        .executeTakeFirstOrThrow()
    ).media_id!;
    const counts = massDeliveryCounts(t.simulator!.sim, account.appid, media);
    expect(counts.size).toBe(TAGGED);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(counts.has(`o_fan_${FANS - 1}`)).toBe(false);

    // A worker that died after WeChat took batch 1 but before recording it: the resumed run is
    // refused by WeChat (same clientmsgid, 45065), records the batch, and sends nothing again.
    await t.deps.db
      .updateTable('broadcast_batches')
      .set({ status: 'pending' })
      .where('broadcast_id', '=', draft.id)
      .where('batch_no', '=', 1)
      .execute();
    const { size } = await t.deps.db
      .selectFrom('broadcast_batches')
      .select('size')
      .where('broadcast_id', '=', draft.id)
      .where('batch_no', '=', 1)
      .executeTakeFirstOrThrow();
    await t.deps.db
      .updateTable('broadcasts')
      .set({ status: 'sending', batches_done: 2, sent: TAGGED - size })
      .where('id', '=', draft.id)
      .execute();
    await runSend(merchantCtx(t.deps, merchantId), draft.id);
    const again = massDeliveryCounts(t.simulator!.sim, account.appid, media);
    expect([...again.values()].every((n) => n === 1)).toBe(true);
    expect((await t.call(token, 'GET', `/api/v1/broadcasts/${draft.id}`)).body).toMatchObject({
      status: 'sent',
      sent: TAGGED,
    });
    const report = (await t.call(token, 'GET', `/api/v1/broadcasts/${draft.id}/report`)).body;
    expect(report).toMatchObject({ audience: TAGGED, sent: TAGGED, reach_rate: 1 });

    // The dashboard draws the seeds' yardsticks from the sends: reach 100% against ≥ 40%.
    await t.app.inject({ method: 'GET', url: `/m/bc/${draft.id}/0` });
    const day = 86_400_000;
    const overview = await t.call(
      token,
      'GET',
      `/api/v1/analytics/overview?from=${t.clock.now() - 30 * day}&to=${t.clock.now() + day}`,
    );
    expect(overview.body.yardsticks).toMatchObject({
      sends: 1,
      reach: { value: 1, target: 0.4 },
      read: { value: null, target: 0.3 },
      open: { value: 0.04, target: 0.1 },
    });
  });

  it("stops at WeChat's quota: four sends a month for a service account, checked when scheduling", async () => {
    const quota = (await t.call(token, 'GET', `/api/v1/broadcasts/quota?account_id=${account.id}`)).body;
    for (let i = 0; i < quota.left; i++) {
      const d = (await t.call(token, 'POST', '/api/v1/broadcasts', news({ kind: 'tag', ref: tagId }))).body;
      expect(
        (await t.call(token, 'POST', `/api/v1/broadcasts/${d.id}/schedule`, { preset: 'evening' })).status,
      ).toBe(200);
    }
    const over = (await t.call(token, 'POST', '/api/v1/broadcasts', news({ kind: 'tag', ref: tagId }))).body;
    const refused = await t.call(token, 'POST', `/api/v1/broadcasts/${over.id}/schedule`, {
      preset: 'evening',
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('mass_send_quota');
  });

  it('is for operators and owners only, and one merchant never sees another', async () => {
    const agent = await t.merchant('msg-agent', 'agent');
    expect((await t.call(agent.token, 'GET', '/api/v1/broadcasts')).status).toBe(403);
    const other = await t.merchant('msg-other');
    expect((await t.call(other.token, 'GET', '/api/v1/broadcasts')).body).toEqual([]);
  });
});
