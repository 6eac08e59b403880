import { Readable } from 'node:stream';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/test-app.ts';
import { connectAccount, fan, say } from '../../../test/support/wechat-fan.ts';
import { merchantCtx } from '../../context.ts';
import { markPaid, placeOrder, saveOrderSettings } from '../orders/index.ts';
import { importNextChunk, startImport } from './import.service.ts';
import { logTail } from './index.ts';

let t: TestApp;
let token: string;
let merchantId: string;
let app1: { id: string; appid: string };
let app2: { id: string; appid: string };
let skuId = '';

/** Channel's log reaches CRM through the in-process tail; tests wait for it explicitly. */
const settle = async () => {
  await t.worker.drain();
  await logTail(t.deps)();
  await t.worker.drain();
};
const members = async (tk = token, query = '') =>
  (await t.call(tk, 'GET', `/api/v1/crm/members${query}`)).body;
const memberOf = async (accountId: string, openid: string) => {
  const page = await members();
  return (
    page.items.find((m: { id: string }) => m.id) &&
    (
      await Promise.all(
        page.items.map(
          async (m: { id: string }) => (await t.call(token, 'GET', `/api/v1/crm/members/${m.id}`)).body,
        ),
      )
    ).find((m: { identities: Array<{ kind: string; value: string }> }) =>
      m.identities.some((i) => i.kind === 'openid' && i.value === `${accountId}:${openid}`),
    )
  );
};

beforeAll(async () => {
  t = await createTestApp();
  const m = await t.merchant('crm-shop');
  token = m.token;
  merchantId = m.id;
  app1 = await connectAccount(t, token);
  app2 = await connectAccount(t, token, { type: 'subscription' });
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

describe('members', () => {
  it('makes one member per person across accounts, joined by the unionid WeChat gives', async () => {
    await fan(t, app1.appid, 'o_alice_1', { type: 'subscribe' });
    await fan(t, app2.appid, 'o_alice_2', { type: 'subscribe' });
    // WeChat gives one unionid per person across a merchant's accounts.
    for (const [appid, openid] of [
      [app1.appid, 'o_alice_1'],
      [app2.appid, 'o_alice_2'],
    ] as const) {
      t.simulator!.sim.fan(appid, openid).unionid = 'u_alice';
    }
    await say(t, app1.appid, 'o_alice_1', '你好，想问下面膜');
    await settle();
    const alice = await memberOf(app1.id, 'o_alice_1');
    expect(alice.unionid).toBe('u_alice');
    const openids = alice.identities
      .filter((i: { kind: string }) => i.kind === 'openid')
      .map((i: { value: string }) => i.value);
    expect(openids.sort()).toEqual([`${app1.id}:o_alice_1`, `${app2.id}:o_alice_2`].sort());
    expect(alice.last_contact_at).toBe(t.clock.now());
    const timeline = (await t.call(token, 'GET', `/api/v1/crm/members/${alice.id}/timeline`)).body;
    // Newest first: the merge (made after the message was logged) leads, then the message.
    const message = timeline.items.find(
      (i: { direction: string; kind: string }) => i.direction === 'in' && i.kind === 'text',
    );
    expect(message).toMatchObject({ text: '你好，想问下面膜', account_id: app1.id });
    expect(timeline.items.some((i: { kind: string }) => i.kind === 'merged')).toBe(true);
  });

  it('merges by phone, logs it, and undoes it', async () => {
    await say(t, app1.appid, 'o_bob', '在吗');
    await say(t, app1.appid, 'o_bob_other', '在吗');
    await settle();
    const bob = await memberOf(app1.id, 'o_bob');
    const other = await memberOf(app1.id, 'o_bob_other');
    expect(
      (await t.call(token, 'PATCH', `/api/v1/crm/members/${bob.id}`, { phone: '13900001111', name: '鲍勃' }))
        .status,
    ).toBe(200);
    const merged = await t.call(token, 'PATCH', `/api/v1/crm/members/${other.id}`, { phone: '13900001111' });
    expect(merged.body.id).toBe(bob.id);
    expect(merged.body.identities.map((i: { value: string }) => i.value)).toContain(`${app1.id}:o_bob_other`);
    expect((await t.call(token, 'GET', `/api/v1/crm/members/${other.id}`)).status).toBe(404);

    const merges = (await t.call(token, 'GET', `/api/v1/crm/members/${bob.id}/merges`)).body;
    expect(merges[0]).toMatchObject({ from_member_id: other.id, reason: 'phone' });
    expect((await t.call(token, 'POST', `/api/v1/crm/merges/${merges[0].id}/undo`)).status).toBe(200);
    const back = (await t.call(token, 'GET', `/api/v1/crm/members/${other.id}`)).body;
    expect(back.identities.map((i: { value: string }) => i.value)).toContain(`${app1.id}:o_bob_other`);
    expect((await t.call(token, 'POST', `/api/v1/crm/merges/${merges[0].id}/undo`)).status).toBe(409);
  });

  it('validates merchant-defined attributes and filters segments on them', async () => {
    await t.call(token, 'POST', '/api/v1/crm/attributes', {
      key: 'skin',
      label: '肤质',
      type: 'choice',
      options: ['干性', '油性'],
    });
    await t.call(token, 'POST', '/api/v1/crm/attributes', { key: 'height', label: '身高', type: 'number' });
    const bob = await memberOf(app1.id, 'o_bob');
    const bad = await t.call(token, 'PATCH', `/api/v1/crm/members/${bob.id}`, { attrs: { skin: '中性' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_attribute');
    expect(
      (await t.call(token, 'PATCH', `/api/v1/crm/members/${bob.id}`, { attrs: { unknown: 1 } })).status,
    ).toBe(400);
    const ok = await t.call(token, 'PATCH', `/api/v1/crm/members/${bob.id}`, {
      attrs: { skin: '油性', height: '168' },
      region: '南京',
    });
    expect(ok.body.attrs).toEqual({ skin: '油性', height: 168 });
    const query = await t.call(token, 'POST', '/api/v1/crm/members/query', {
      rules: {
        op: 'and',
        rules: [
          { type: 'attr', key: 'skin', op: 'eq', value: '油性' },
          { type: 'attr', key: 'height', op: 'gte', value: 160 },
          {
            op: 'or',
            rules: [
              { type: 'field', field: 'region', op: 'eq', value: '南京' },
              { type: 'talked', hours: 1 },
            ],
          },
        ],
      },
    });
    expect(query.body.count).toBe(1);
    expect(query.body.items[0].id).toBe(bob.id);
    const invalid = await t.call(token, 'POST', '/api/v1/crm/members/query', {
      rules: { op: 'xor', rules: [] },
    });
    expect(invalid.status).toBe(400);
  });

  it('keeps order figures current from order events, and segments on spend and category', async () => {
    const ctx = merchantCtx(t.deps, merchantId, { kind: 'fan', accountId: app1.id, openid: 'o_alice_1' });
    const order = await placeOrder(ctx, {
      items: [{ sku_id: skuId, quantity: 2 }],
      address: { name: '爱丽丝', phone: '13800138000', region: '上海', detail: '南京路 1 号' },
      payment_method: 'wechat',
    });
    await markPaid(merchantCtx(t.deps, merchantId), order.id);
    await settle();
    const alice = await memberOf(app1.id, 'o_alice_1');
    expect(alice).toMatchObject({ order_count: 1, spend: order.total, average_order_value: order.total });
    const count = async (rules: unknown) =>
      (await t.call(token, 'POST', '/api/v1/crm/members/query', { rules, limit: 0 })).body.count;
    expect(await count({ op: 'and', rules: [{ type: 'spent', min_fen: order.total, days: 90 }] })).toBe(1);
    expect(await count({ op: 'and', rules: [{ type: 'spent', min_fen: order.total + 1, days: 90 }] })).toBe(
      0,
    );
    expect(
      await count({ op: 'and', rules: [{ type: 'bought_category', category: '美妆/面膜', days: 30 }] }),
    ).toBe(1);
    const timeline = (await t.call(token, 'GET', `/api/v1/crm/members/${alice.id}/timeline`)).body;
    expect(timeline.items[0]).toMatchObject({ kind: 'order_paid', direction: 'event' });
  });
});

describe('tags', () => {
  it('mirrors tags to WeChat user tags on every account, 50 openids per call', async () => {
    const tag = (await t.call(token, 'POST', '/api/v1/crm/tags', { name: '老客户' })).body;
    const alice = await memberOf(app1.id, 'o_alice_1');
    const tagged = await t.call(token, 'POST', `/api/v1/crm/tags/${tag.id}/members`, {
      member_ids: [alice.id],
    });
    expect(tagged.body).toEqual({ added: 1, refused: [] });
    // A tag beside "spent": the cheap conditions (a nested group too) narrow first, then the sum.
    const segment = (minFen: number) => ({
      op: 'and',
      rules: [
        { type: 'tag', tag_id: tag.id },
        { type: 'spent', min_fen: minFen, days: 90 },
        {
          op: 'or',
          rules: [
            { type: 'talked', hours: 24 * 365 },
            { type: 'silent', days: 1 },
          ],
        },
      ],
    });
    const narrowed = (await t.call(token, 'POST', '/api/v1/crm/members/query', { rules: segment(1) })).body;
    expect(narrowed.count).toBe(1);
    expect(narrowed.items.map((m: { id: string }) => m.id)).toEqual([alice.id]);
    expect(
      (await t.call(token, 'POST', '/api/v1/crm/members/query', { rules: segment(100_000_000), limit: 0 }))
        .body.count,
    ).toBe(0);
    // A tag and a region beside "spent": the tag's list and the region index meet, then the sum.
    expect((await t.call(token, 'PATCH', `/api/v1/crm/members/${alice.id}`, { region: '上海' })).status).toBe(
      200,
    );
    const inRegion = (region: string, minFen: number) => ({
      op: 'and',
      rules: [
        { type: 'tag', tag_id: tag.id },
        { type: 'field', field: 'region', op: 'eq', value: region },
        { type: 'spent', min_fen: minFen, days: 90 },
      ],
    });
    const shanghai = (
      await t.call(token, 'POST', '/api/v1/crm/members/query', { rules: inRegion('上海', 1) })
    ).body;
    expect(shanghai.count).toBe(1);
    expect(shanghai.items.map((m: { id: string }) => m.id)).toEqual([alice.id]);
    for (const rules of [inRegion('北京', 1), inRegion('上海', 100_000_000)])
      expect((await t.call(token, 'POST', '/api/v1/crm/members/query', { rules, limit: 0 })).body.count).toBe(
        0,
      );
    await settle();
    const tags = (await t.call(token, 'GET', '/api/v1/crm/tags')).body;
    const synced = tags.find((x: { id: string }) => x.id === tag.id);
    expect(synced.pending).toBe(0);
    expect(synced.wechat.map((w: { state: string }) => w.state)).toEqual(['synced', 'synced']);
    for (const [appid, openid] of [
      [app1.appid, 'o_alice_1'],
      [app2.appid, 'o_alice_2'],
    ] as const) {
      const wechatId = synced.wechat.find(
        (w: { account_id: string }) => w.account_id === (appid === app1.appid ? app1.id : app2.id),
      ).wechat_tag_id;
      expect(t.simulator!.sim.fan(appid, openid).tagIds).toContain(wechatId);
    }
    const timeline = (await t.call(token, 'GET', `/api/v1/crm/members/${alice.id}/timeline`)).body;
    expect(timeline.items[0]).toMatchObject({ kind: 'tag_added', body: { name: '老客户' } });
  });

  it("holds WeChat's 20 tags per fan under concurrent tagging", async () => {
    await say(t, app1.appid, 'o_busy', 'hi');
    await settle();
    const busy = await memberOf(app1.id, 'o_busy');
    const tags = [];
    for (let i = 0; i < 22; i++)
      tags.push((await t.call(token, 'POST', '/api/v1/crm/tags', { name: `批量${i}` })).body.id);
    const results = await Promise.all(
      tags.map((id) => t.call(token, 'POST', `/api/v1/crm/tags/${id}/members`, { member_ids: [busy.id] })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(20);
    expect(results.filter((r) => r.status === 409).every((r) => r.body.error.code === 'fan_tag_limit')).toBe(
      true,
    );
    expect((await t.call(token, 'GET', `/api/v1/crm/members/${busy.id}`)).body.tags).toHaveLength(20);
    const local = (await t.call(token, 'POST', '/api/v1/crm/tags', { name: '仅本地', sync: false })).body;
    expect(
      (await t.call(token, 'POST', `/api/v1/crm/tags/${local.id}/members`, { member_ids: [busy.id] })).status,
    ).toBe(200);
  });
});

describe('segments and roles', () => {
  it('saves a segment and freezes its members as of a moment', async () => {
    const saved = await t.call(token, 'POST', '/api/v1/crm/segments', {
      name: '近一小时聊过',
      rules: { op: 'and', rules: [{ type: 'talked', hours: 1 }] },
    });
    expect(saved.status).toBe(201);
    const before = (await t.call(token, 'GET', `/api/v1/crm/segments/${saved.body.id}`)).body.count;
    const snapshot = (await t.call(token, 'POST', `/api/v1/crm/segments/${saved.body.id}/snapshots`)).body;
    expect(snapshot.members).toBe(before);
    await say(t, app1.appid, 'o_newcomer', '你好');
    await settle();
    expect((await t.call(token, 'GET', `/api/v1/crm/segments/${saved.body.id}`)).body.count).toBe(before + 1);
    const audience = (await t.call(token, 'GET', `/api/v1/crm/snapshots/${snapshot.id}/members?limit=1000`))
      .body;
    expect(audience.members).toHaveLength(before);
    expect(audience.members.every((m: { openids: unknown[] }) => m.openids.length > 0)).toBe(true);
  });

  it('lets agents read and tag, but not define fields; clerks see nothing', async () => {
    const agent = (await t.call(token, 'POST', '/api/v1/tokens', { name: 'agent', role: 'agent' })).body
      .token;
    const clerk = (await t.call(token, 'POST', '/api/v1/tokens', { name: 'clerk', role: 'clerk' })).body
      .token;
    expect((await t.call(agent, 'GET', '/api/v1/crm/members')).status).toBe(200);
    expect(
      (await t.call(agent, 'POST', '/api/v1/crm/attributes', { key: 'x', label: 'x', type: 'text' })).status,
    ).toBe(403);
    expect((await t.call(clerk, 'GET', '/api/v1/crm/members')).status).toBe(403);
    const other = await t.merchant('crm-other');
    expect((await members(other.token)).items).toEqual([]);
  });
});

describe('care list', () => {
  it("lists today's birthdays with a suggested greeting, and drops a member once greeted", async () => {
    const bob = await memberOf(app1.id, 'o_bob');
    // The test clock is 2026-11-25 noon in Shanghai.
    await t.call(token, 'PATCH', `/api/v1/crm/members/${bob.id}`, { birthday: '1990-11-25' });
    const care = (await t.call(token, 'GET', '/api/v1/crm/care?limit=5')).body;
    const item = care.items.find((i: { member: { id: string } }) => i.member.id === bob.id);
    expect(item).toMatchObject({ reason: 'birthday' });
    expect(item.suggestion).toContain('生日快乐');
    expect(care.items.length).toBeLessThanOrEqual(5);
    await t.call(token, 'POST', `/api/v1/crm/care/${bob.id}/done`, { reason: 'birthday' });
    const after = (await t.call(token, 'GET', '/api/v1/crm/care?limit=5')).body;
    expect(after.items.map((i: { member: { id: string } }) => i.member.id)).not.toContain(bob.id);
    expect(after.done).toBe(1);
  });
});

describe('CSV import and export', () => {
  const csv = [
    'name,phone,region,gender,tags,attr:skin,ext:taobao,height',
    '王小美,13700000001,杭州,女,面膜控|老客户,油性,tb_wang,165',
    '鲍勃新地址,13900001111,苏州,男,,,,',
    '坏手机,12345,北京,女,,,,',
    '坏肤质,13700000002,北京,女,,中性,,',
    '"李, 四",13700000003,"上海\n浦东",男,面膜控,干性,tb_li,',
    '李四又一行,13700000003,,,老客户,,,180',
  ].join('\n');

  it('imports in resumable chunks with per-line errors, then exports what it holds', async () => {
    const ctx = {
      ...merchantCtx(t.deps, merchantId),
      actor: { kind: 'token' as const, tokenId: 'tk', role: 'owner' as const },
    };
    const started = await startImport(ctx, Readable.from([Buffer.from(csv)]), 60);
    expect(started.status).toBe('queued');
    // One chunk, as a worker that then dies would have done: progress shows, and the rest resumes.
    expect(await importNextChunk(ctx, started.id)).toBe(true);
    const partial = (await t.call(token, 'GET', `/api/v1/crm/imports/${started.id}`)).body;
    expect(partial.progress).toBeGreaterThan(0);
    expect(partial.progress).toBeLessThan(1);
    await t.worker.drain();
    const done = (await t.call(token, 'GET', `/api/v1/crm/imports/${started.id}`)).body;
    expect(done).toMatchObject({ status: 'done', progress: 1, rows_ok: 4, rows_failed: 2 });
    if (t.deps.dialect === 'postgres') {
      // The import leaves PostgreSQL statistics that know the members are there (-1: never analysed).
      const stats = await sql<{ reltuples: number }>`select reltuples from pg_class
        where oid = to_regclass('crm_identities')`.execute(t.deps.db);
      expect(Number(stats.rows[0]!.reltuples)).toBeGreaterThan(0);
    }
    const errors = (await t.call(token, 'GET', `/api/v1/crm/imports/${started.id}/errors.csv`))
      .body as string;
    expect(
      errors
        .split('\n')
        .slice(1, 3)
        .map((l) => l.split(',')[0]),
    ).toEqual(['4', '5']);

    const bob = (await t.call(token, 'GET', '/api/v1/crm/members?q=13900001111')).body.items;
    expect(bob).toHaveLength(1);
    expect(bob[0].region).toBe('苏州');
    const li = (await t.call(token, 'GET', `/api/v1/crm/members?q=${encodeURIComponent('13700000003')}`)).body
      .items;
    expect(li).toHaveLength(1);
    expect(li[0]).toMatchObject({
      name: '李四又一行',
      region: '上海\n浦东',
      attrs: { skin: '干性', height: 180 },
    });
    expect(li[0].tags.map((x: { name: string }) => x.name).sort()).toEqual(['老客户', '面膜控'].sort());

    const exported = await t.app.inject({
      method: 'GET',
      url: '/api/v1/crm/members/export.csv',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(exported.headers['content-type']).toContain('text/csv');
    expect(exported.body).toContain('王小美');
    expect(exported.body).toContain('"上海\n浦东"');
    expect(exported.body.split('\n')[0]).toContain('attr:skin');
  });

  it('takes the upload over HTTP as a stream', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/crm/imports',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      payload: 'name,phone\n赵六,13700000009\n',
    });
    expect(response.statusCode).toBe(202);
    await t.worker.drain();
    expect((await t.call(token, 'GET', `/api/v1/crm/imports/${response.json().id}`)).body.rows_ok).toBe(1);
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/v1/crm/imports',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      payload: 'foo,bar\n1,2\n',
    });
    expect(bad.statusCode).toBe(400);
  });
});
