import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/test-app.ts';
import { connectAccount } from '../../../test/support/wechat-fan.ts';
import { merchantCtx } from '../../context.ts';
import { resolveFan } from '../crm/index.ts';

let t: TestApp;
let token: string;
let account: { id: string; appid: string };
let members: string[];

beforeAll(async () => {
  t = await createTestApp();
  const m = await t.merchant('sub-shop');
  token = m.token;
  account = await connectAccount(t, token, { mode: 'plain', type: 'subscription', verified: true });
  const ctx = merchantCtx(t.deps, m.id);
  members = [];
  for (let i = 0; i < 6; i++) {
    t.simulator!.sim.ensureFan(account.appid, `o_s${i}`, undefined, true);
    members.push(await resolveFan(ctx, { accountId: account.id, openid: `o_s${i}` }));
  }
});
afterAll(() => t.close());

const massTo = (openid: string) =>
  t.simulator!.sim.fan(account.appid, openid).transcript.filter((e) => e.via === 'mass');

describe('a subscription account', () => {
  it('sends to a tag mirrored to WeChat in one call, reaching only the tagged fans', async () => {
    const local = (await t.call(token, 'POST', '/api/v1/crm/tags', { name: '只在本地', sync: false })).body;
    const refused = await t.call(token, 'POST', '/api/v1/broadcasts', {
      account_id: account.id,
      kind: 'text',
      text: '你好',
      audience: { kind: 'tag', ref: local.id },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('tag_not_synced');

    const tag = (await t.call(token, 'POST', '/api/v1/crm/tags', { name: '周末活动', sync: true })).body;
    await t.call(token, 'POST', `/api/v1/crm/tags/${tag.id}/members`, { member_ids: members.slice(0, 4) });
    await t.worker.drain();
    const draft = await t.call(token, 'POST', '/api/v1/broadcasts', {
      account_id: account.id,
      kind: 'text',
      text: '周末活动开始啦',
      audience: { kind: 'tag', ref: tag.id },
    });
    expect(draft.status).toBe(201);
    await t.call(token, 'POST', `/api/v1/broadcasts/${draft.body.id}/schedule`, { preset: 'now' });
    await t.worker.drain();
    expect((await t.call(token, 'GET', `/api/v1/broadcasts/${draft.body.id}`)).body).toMatchObject({
      status: 'sent',
      batches_done: 1,
    });
    expect([0, 1, 2, 3, 4, 5].map((i) => massTo(`o_s${i}`).length)).toEqual([1, 1, 1, 1, 0, 0]);
  });

  it('refuses a segment: WeChat gives subscription accounts no send by list', async () => {
    const segment = await t.call(token, 'POST', '/api/v1/crm/segments', {
      name: '全部',
      rules: { op: 'and', rules: [] },
    });
    const refused = await t.call(token, 'POST', '/api/v1/broadcasts', {
      account_id: account.id,
      kind: 'text',
      text: '你好',
      audience: { kind: 'segment', ref: segment.body.id },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('subscription_audience');
  });
});
