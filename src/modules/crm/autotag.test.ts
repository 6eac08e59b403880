import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/test-app.ts';
import { connectAccount, fan, say } from '../../../test/support/wechat-fan.ts';
import { merchantCtx } from '../../context.ts';
import { apiClientFor, getAccount } from '../accounts/index.ts';
import { markPaid, placeOrder, saveOrderSettings } from '../orders/index.ts';
import { logTail } from './index.ts';

let t: TestApp;
let token: string;
let merchantId: string;
let account: { id: string; appid: string };
let skuId = '';
const DAY = 86_400_000;

const settle = async () => {
  await t.worker.drain();
  await logTail(t.deps)();
  await t.worker.drain();
};
const memberByOpenid = async (openid: string) => {
  const page = (await t.call(token, 'GET', '/api/v1/crm/members?limit=200')).body;
  for (const m of page.items) {
    const full = (await t.call(token, 'GET', `/api/v1/crm/members/${m.id}`)).body;
    if (full.identities.some((i: { value: string }) => i.value === `${account.id}:${openid}`)) return full;
  }
  throw new Error(`no member for ${openid}`);
};
const tagsOf = async (memberId: string) =>
  ((await t.call(token, 'GET', `/api/v1/crm/members/${memberId}`)).body.tags as Array<{ name: string }>).map(
    (x) => x.name,
  );
const buy = async (openid: string) => {
  const ctx = merchantCtx(t.deps, merchantId, { kind: 'fan', accountId: account.id, openid });
  const order = await placeOrder(ctx, {
    items: [{ sku_id: skuId, quantity: 4 }],
    address: { name: '买家', phone: '13800138000', region: '上海', detail: '南京路 1 号' },
    payment_method: 'wechat',
  });
  await markPaid(merchantCtx(t.deps, merchantId), order.id);
  await settle();
  return order;
};

beforeAll(async () => {
  t = await createTestApp();
  const m = await t.merchant('autotag-shop');
  token = m.token;
  merchantId = m.id;
  account = await connectAccount(t, token);
  const product = await t.call(token, 'POST', '/api/v1/products', {
    title: '补水面膜',
    category: '美妆/面膜',
    status: 'on_sale',
    skus: [{ spec: {}, price: 9900, stock: 100 }],
  });
  skuId = product.body.skus[0].id;
  await saveOrderSettings(merchantCtx(t.deps, merchantId), { cod_enabled: true });
});
afterAll(() => t.close());

describe('auto-tagging by segment', () => {
  it('tags members who enter the segment on their events, untags when the window closes', async () => {
    await say(t, account.appid, 'o_early', '你好');
    await buy('o_early');
    const early = await memberByOpenid('o_early');
    const tag = (await t.call(token, 'POST', '/api/v1/crm/tags', { name: '高消费' })).body;
    const rules = { op: 'and', rules: [{ type: 'spent', min_fen: 30_000, days: 90 }] };
    const loop = await t.call(token, 'POST', '/api/v1/crm/segments', {
      name: '近 90 天高消费',
      rules: { op: 'and', rules: [...rules.rules, { type: 'tag', tag_id: tag.id }] },
      auto_tag_id: tag.id,
    });
    expect(loop.status).toBe(400);
    expect(loop.body.error.code).toBe('autotag_loop');
    const saved = await t.call(token, 'POST', '/api/v1/crm/segments', {
      name: '近 90 天高消费',
      rules,
      auto_tag_id: tag.id,
    });
    expect(saved.status).toBe(201);
    expect(saved.body.auto_tag_id).toBe(tag.id);
    // A member who was in the segment before it was set gets the tag from the one-off pass.
    await settle();
    expect(await tagsOf(early.id)).toContain('高消费');

    await say(t, account.appid, 'o_late', '在吗');
    await settle();
    const late = await memberByOpenid('o_late');
    expect(await tagsOf(late.id)).not.toContain('高消费');
    await buy('o_late');
    expect(await tagsOf(late.id)).toContain('高消费');
    const timeline = (await t.call(token, 'GET', `/api/v1/crm/members/${late.id}/timeline`)).body;
    expect(
      timeline.items.some(
        (i: { kind: string; body: { segment_id?: string } }) =>
          i.kind === 'tag_added' && i.body?.segment_id === saved.body.id,
      ),
    ).toBe(true);

    // 91 days on, nothing happened: the re-check queued at the order falls due and removes the tag.
    t.clock.advance(91 * DAY);
    await settle();
    expect(await tagsOf(early.id)).not.toContain('高消费');
    // The tag went to WeChat and came off again.
    const wechat = (await t.call(token, 'GET', '/api/v1/crm/tags')).body.find(
      (x: { id: string }) => x.id === tag.id,
    );
    const wechatId = wechat.wechat[0].wechat_tag_id;
    expect(t.simulator!.sim.fan(account.appid, 'o_early').tagIds).not.toContain(wechatId);
  });

  it('RFM bands filter on the kept-current figures and show on the profile', async () => {
    await buy('o_rfm');
    const member = await memberByOpenid('o_rfm');
    expect(member.rfm).toEqual({ r: 5, f: 1, m: 2 });
    const count = async (rule: unknown) =>
      (
        await t.call(token, 'POST', '/api/v1/crm/members/query', {
          rules: { op: 'and', rules: [rule] },
          limit: 50,
        })
      ).body;
    const recent = await count({ type: 'rfm', dimension: 'r', min: 5 });
    expect(recent.items.map((m: { id: string }) => m.id)).toContain(member.id);
    const big = await count({ type: 'rfm', dimension: 'm', min: 3 });
    expect(big.items.map((m: { id: string }) => m.id)).not.toContain(member.id);
    const bad = await t.call(token, 'POST', '/api/v1/crm/members/query', {
      rules: { op: 'and', rules: [{ type: 'rfm', dimension: 'm', min: 4, max: 2 }] },
    });
    expect(bad.status).toBe(400);
    // Bands are the merchant's: lower the monetary edges and the same member scores higher.
    const saved = await t.call(token, 'PUT', '/api/v1/crm/rfm', {
      recency_days: [30, 90, 180, 365],
      frequency: [2, 3, 5, 10],
      monetary_fen: [1000, 2000, 3000, 4000],
    });
    expect(saved.status).toBe(200);
    expect(
      (await count({ type: 'rfm', dimension: 'm', min: 5 })).items.map((m: { id: string }) => m.id),
    ).toContain(member.id);
    const unordered = await t.call(token, 'PUT', '/api/v1/crm/rfm', {
      recency_days: [90, 30, 180, 365],
      frequency: [2, 3, 5, 10],
      monetary_fen: [1000, 2000, 3000, 4000],
    });
    expect(unordered.status).toBe(400);
  });
});

describe('tags both ways with WeChat', () => {
  it('reads tags created and assigned on WeChat back into CRM, follows renames, and pushes renames and deletions', async () => {
    await say(t, account.appid, 'o_wx1', '你好');
    await fan(t, account.appid, 'o_wx_unknown', { type: 'subscribe' });
    await settle();
    const ctx = merchantCtx(t.deps, merchantId);
    const client = apiClientFor(t.deps, await getAccount(ctx, account.id));
    // The merchant tags fans in WeChat's own back office.
    const made = (await client.createTag('公众号后台标签')).tag;
    await client.tagFans(made.id, ['o_wx1', 'o_wx_unknown']);
    const pulled = await t.call(token, 'POST', '/api/v1/crm/tags/pull');
    expect(pulled.status).toBe(202);
    await settle();
    const tags = (await t.call(token, 'GET', '/api/v1/crm/tags')).body;
    const local = tags.find((x: { name: string }) => x.name === '公众号后台标签');
    expect(local).toMatchObject({ sync: true, members: 2 });
    expect(local.wechat[0]).toMatchObject({ wechat_tag_id: made.id, state: 'synced' });
    expect(await tagsOf((await memberByOpenid('o_wx1')).id)).toContain('公众号后台标签');
    expect(await tagsOf((await memberByOpenid('o_wx_unknown')).id)).toContain('公众号后台标签');

    // Renamed on WeChat: the next pull follows.
    await client.renameTag(made.id, '后台改名');
    t.clock.advance(61_000);
    await t.call(token, 'POST', '/api/v1/crm/tags/pull');
    await settle();
    const renamed = (await t.call(token, 'GET', '/api/v1/crm/tags')).body.find(
      (x: { id: string }) => x.id === local.id,
    );
    expect(renamed.name).toBe('后台改名');

    // Renamed and deleted here: WeChat follows.
    expect((await t.call(token, 'PATCH', `/api/v1/crm/tags/${local.id}`, { name: '本地改名' })).status).toBe(
      200,
    );
    await settle();
    expect((await client.listTags()).tags.find((x) => x.id === made.id)?.name).toBe('本地改名');
    expect((await t.call(token, 'DELETE', `/api/v1/crm/tags/${local.id}`)).status).toBe(200);
    await settle();
    expect((await client.listTags()).tags.find((x) => x.id === made.id)).toBeUndefined();
    expect(t.simulator!.sim.fan(account.appid, 'o_wx1').tagIds).not.toContain(made.id);
  });

  it('pulls every account on its own every six hours, spread over the interval, once per round', async () => {
    await say(t, account.appid, 'o_wx_sched', '你好');
    await settle();
    const ctx = merchantCtx(t.deps, merchantId);
    const client = apiClientFor(t.deps, await getAccount(ctx, account.id));
    const made = (await client.createTag('定时拉取')).tag;
    await client.tagFans(made.id, ['o_wx_sched']);
    // Two processes starting at once schedule one sweep.
    await t.scheduleMaintenance();
    await t.scheduleMaintenance();
    const sweeps = () =>
      t.deps.db
        .selectFrom('jobs')
        .select(['run_at', 'status'])
        .where('type', '=', 'crm.tag_pull_sweep')
        .execute();
    expect((await sweeps()).filter((j) => j.status === 'queued')).toHaveLength(1);
    // The sweep queues the account's pull at its own offset inside the round, which may still be
    // ahead of the clock; one round later it has run, with nobody asking.
    t.clock.advance(6 * 3_600_000);
    await settle();
    t.clock.advance(6 * 3_600_000);
    await settle();
    expect(await tagsOf((await memberByOpenid('o_wx_sched')).id)).toContain('定时拉取');
    const pulls = await t.deps.db
      .selectFrom('jobs')
      .select(['payload', 'run_at'])
      .where('type', '=', 'crm.tag_pull')
      .where('idempotency_key', 'like', `crm.tag_pull:${account.id}:%`)
      .execute();
    expect(pulls.length).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(pulls[0]!.payload)).toEqual({ account_id: account.id });
    // The next sweep waits for the next round.
    const next = (await sweeps()).filter((j) => j.status === 'queued');
    expect(next).toHaveLength(1);
    expect(next[0]!.run_at).toBeGreaterThan(t.clock.now());
  });

  it("keeps WeChat's 100 tags per account and agents out of the pull", async () => {
    const existing = (await t.call(token, 'GET', '/api/v1/crm/tags')).body.filter(
      (x: { sync: boolean }) => x.sync,
    ).length;
    for (let i = existing; i < 100; i++)
      expect((await t.call(token, 'POST', '/api/v1/crm/tags', { name: `上限${i}` })).status).toBe(201);
    const over = await t.call(token, 'POST', '/api/v1/crm/tags', { name: '第101个' });
    expect(over.status).toBe(409);
    expect(over.body.error.code).toBe('wechat_tag_limit');
    const agent = (await t.call(token, 'POST', '/api/v1/tokens', { name: 'a', role: 'agent' })).body.token;
    expect((await t.call(agent, 'POST', '/api/v1/crm/tags/pull')).status).toBe(403);
    expect(
      (
        await t.call(agent, 'PUT', '/api/v1/crm/rfm', {
          recency_days: [1, 2, 3, 4],
          frequency: [1, 2, 3, 4],
          monetary_fen: [1, 2, 3, 4],
        })
      ).status,
    ).toBe(403);
    expect((await t.call(agent, 'GET', '/api/v1/crm/rfm')).status).toBe(200);
  });
});

describe('care list per operator', () => {
  it('gives each operator their own bounded list for the day, never the same member twice', async () => {
    const ctx = merchantCtx(t.deps, merchantId);
    const day = new Date(ctx.now + 8 * 3_600_000).toISOString().slice(5, 10);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      await say(t, account.appid, `o_bday${i}`, '你好');
      await settle();
      const m = await memberByOpenid(`o_bday${i}`);
      await t.call(token, 'PATCH', `/api/v1/crm/members/${m.id}`, {
        birthday: `1990-${day}`,
        name: `寿星${i}`,
      });
      ids.push(m.id);
    }
    const second = (await t.call(token, 'POST', '/api/v1/tokens', { name: 'op2', role: 'operator' })).body
      .token;
    const mine = (await t.call(token, 'GET', '/api/v1/crm/care?limit=3')).body;
    const theirs = (await t.call(second, 'GET', '/api/v1/crm/care?limit=3')).body;
    const a = mine.items.map((i: { member: { id: string } }) => i.member.id);
    const b = theirs.items.map((i: { member: { id: string } }) => i.member.id);
    expect(a).toHaveLength(3);
    expect(b.length).toBeGreaterThanOrEqual(2);
    expect(a.filter((id: string) => b.includes(id))).toEqual([]);
    expect(mine.items[0].suggestion).toContain('生日快乐');
    // Done drops it; the list is not refilled the same day, and another's member cannot be ticked.
    expect((await t.call(token, 'POST', `/api/v1/crm/care/${a[0]}/done`, {})).status).toBe(200);
    const after = (await t.call(token, 'GET', '/api/v1/crm/care?limit=3')).body;
    expect(after.done).toBe(1);
    expect(after.items.map((i: { member: { id: string } }) => i.member.id)).toEqual(a.slice(1));
    expect((await t.call(token, 'POST', `/api/v1/crm/care/${b[0]}/done`, {})).status).toBe(404);
    // The next day brings a fresh list.
    t.clock.advance(DAY);
    const tomorrow = (await t.call(token, 'GET', '/api/v1/crm/care?limit=3')).body;
    expect(tomorrow.done).toBe(0);
  });
});
