import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fanSession } from './support/shopper.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { connectAccount, fan, say } from './support/wechat-fan.ts';

let t: TestApp;
let token: string;
let appid: string;
let accountId: string;

beforeAll(async () => {
  t = await createTestApp();
  token = (await t.merchant('guang-shop')).token;
  const account = await connectAccount(t, token);
  appid = account.appid;
  accountId = account.id;
  const product = (body: Record<string, unknown>) =>
    t.call(token, 'POST', '/api/v1/products', {
      status: 'on_sale',
      skus: [{ spec: {}, price: 19900, stock: 9 }],
      ...body,
    });
  await product({ title: '法式碎花连衣裙', category: '女装/连衣裙' });
  await product({
    title: '红色针织连衣裙',
    category: '女装/连衣裙',
    skus: [{ spec: {}, price: 25900, stock: 3 }],
  });
  await product({
    title: '家用空气净化器',
    guide_install: '取出滤网，撕掉塑料膜，装回后开机。',
    guide_maintenance: '每两周清理初效滤网。',
  });
  const store = async (name: string, city: string, latitude: number, longitude: number) =>
    (
      await t.call(token, 'POST', '/api/v1/stores', {
        name,
        address: `${city}${name}`,
        city,
        latitude,
        longitude,
        opens_at: '00:00',
        closes_at: '00:00',
      })
    ).body.id;
  const xinjiekou = await store('新街口店', '南京', 32.0417, 118.7843);
  await store('夫子庙店', '南京', 32.0208, 118.7888);
  await store('静安店', '上海', 31.2254, 121.449);
  for (const [title, sales] of [
    ['双人下午茶', 10],
    ['火锅四人餐', 30],
    ['手冲咖啡两杯', 20],
    ['烘焙课', 5],
    ['夜游船票', 8],
    ['已过期的券', 99],
  ] as const) {
    await product({
      kind: 'deal',
      title,
      city: '南京',
      store_ids: [xinjiekou],
      valid_until: title === '已过期的券' ? t.clock.now() - 1 : t.clock.now() + 86_400_000,
    }).then((r) => t.deps.db.updateTable('products').set({ sales }).where('id', '=', r.body.id).execute());
  }
  await t.call(token, 'POST', '/api/v1/replies', {
    account_id: accountId,
    kind: 'default',
    reply: { type: 'text', content: '默认回复' },
  });
});
afterAll(() => t.close());

async function followups(openid: string) {
  await t.worker.drain();
  return t
    .simulator!.sim.fan(appid, openid)
    .transcript.filter((e) => e.via === 'custom')
    .map((e) => e.message);
}

describe('guang: a product word answers with products', () => {
  it('sends a news card to the result list, then the top items with price, rating and links', async () => {
    const reply = (await say(t, appid, 'o_guang', '我想买一条红色连衣裙')) as {
      type: string;
      articles: Array<{ title: string; url: string }>;
    };
    expect(reply.type).toBe('news');
    expect(reply.articles).toHaveLength(1);
    expect(reply.articles[0]!.url).toBe(
      `${t.deps.config.publicUrl}/shop/${appid}/search?q=${encodeURIComponent('我想买一条红色连衣裙')}`,
    );
    const [list] = await followups('o_guang');
    const content = String(list?.content);
    expect(content.indexOf('红色针织连衣裙')).toBeLessThan(content.indexOf('法式碎花连衣裙'));
    expect(content).toContain('¥259.00');
    expect(content).toContain('暂无评价');
    expect(content).toMatch(
      /<a href="http:\/\/127\.0\.0\.1:\d+\/shop\/wx\w+\/products\/prd_\w+">红色针织连衣裙<\/a>/,
    );
  });

  it('opens the H5 result list and the product page from those links', async () => {
    const results = await t.app.inject({ url: `/shop/${appid}/search?q=${encodeURIComponent('连衣裙')}` });
    expect(results.statusCode).toBe(200);
    expect(results.body).toContain('红色针织连衣裙');
    const id = /href="products\/(prd_\w+)"/.exec(results.body)?.[1];
    const anonymous = await t.app.inject({ url: `/shop/${appid}/products/${id}` });
    expect(anonymous.statusCode).toBe(302);
    expect(anonymous.headers.location).toContain(`/shop/${appid}/oauth?next=`);
    const cookie = await fanSession(t, appid, 'o_guang');
    const page = await t.app.inject({ url: `/shop/${appid}/products/${id}`, headers: { cookie } });
    expect(page.body).toContain('微信支付 ¥');
    const injected = await t.app.inject({
      url: `/shop/${appid}/search?q=${encodeURIComponent('<script>alert(1)</script>')}`,
    });
    expect(injected.body).not.toContain('<script>alert');
  });

  it('lets an operator’s keyword rule win over search, and falls back to the default reply', async () => {
    await t.call(token, 'POST', '/api/v1/replies', {
      account_id: accountId,
      kind: 'keyword',
      keyword: '连衣裙',
      reply: { type: 'text', content: '规则优先' },
    });
    expect(await say(t, appid, 'o_rule', '连衣裙')).toEqual({ type: 'text', content: '规则优先' });
    expect(await say(t, appid, 'o_rule', '完全无关的一句话')).toEqual({ type: 'text', content: '默认回复' });
  });
});

describe('micro group-buy: a city name answers with its deals', () => {
  it('lists the city’s five best current deals, best sellers first, none expired', async () => {
    const reply = (await say(t, appid, 'o_city', '南京')) as {
      type: string;
      articles: Array<{ title: string }>;
    };
    expect(reply.articles[0]!.title).toBe('南京本地精选团购 5 个');
    const [list] = await followups('o_city');
    const titles = [...String(list?.content).matchAll(/>([^<]+)<\/a>/g)].map((m) => m[1]);
    expect(titles).toEqual(['火锅四人餐', '手冲咖啡两杯', '双人下午茶', '夜游船票', '烘焙课']);
  });
});

describe('hotel butler: a location answers with the nearest stores', () => {
  it('replies with distances and links, nearest first', async () => {
    const { reply } = await fan(t, appid, 'o_loc', {
      type: 'location',
      latitude: 32.04,
      longitude: 118.784,
      label: '新街口',
    });
    const content = String((reply as { content: string }).content);
    expect(content.indexOf('新街口店')).toBeLessThan(content.indexOf('夫子庙店'));
    expect(content).toMatch(/新街口店<\/a> \d+米/);
    expect(content).toContain(`/shop/${appid}/stores/sto_`);
  });
});

describe('after-sale self-service', () => {
  it('answers "how do I install …" with the product’s guide', async () => {
    const install = (await say(t, appid, 'o_guide', '空气净化器怎么安装')) as { content: string };
    expect(install.content).toContain('安装指南');
    expect(install.content).toContain('撕掉塑料膜');
    const care = (await say(t, appid, 'o_guide', '净化器如何保养')) as { content: string };
    expect(care.content).toContain('每两周清理初效滤网');
  });
});
