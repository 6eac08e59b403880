import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, engine, type TestApp } from '../../../test/support/test-app.ts';
import type { DB } from '../../database.ts';
import { openDatabase } from '../../platform/db/database.ts';
import { cityIn } from './cities.ts';
import { distanceMetres, isOpen } from './geo.ts';
import { OutOfStockError, takeStock } from './inventory.service.ts';

let t: TestApp;
let token: string;
let merchantId: string;
beforeAll(async () => {
  t = await createTestApp();
  const m = await t.merchant('catalog-shop');
  token = m.token;
  merchantId = m.id;
});
afterAll(() => t.close());

const product = (body: Record<string, unknown>) =>
  t.call(token, 'POST', '/api/v1/products', {
    status: 'on_sale',
    skus: [{ spec: {}, price: 9900, stock: 10 }],
    ...body,
  });

describe('products and SKUs', () => {
  it('keeps prices in fen, rolls SKUs up to the product, and refuses bad input', async () => {
    const created = await product({
      title: '法式碎花连衣裙',
      category: '女装/连衣裙',
      skus: [
        { spec: { 颜色: '红', 尺码: 'M' }, price: 19900, original_price: 29900, stock: 3 },
        { spec: { 颜色: '红', 尺码: 'L' }, price: 18900, stock: 4 },
      ],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ price: 18900, original_price: 18900, stock: 7, kind: 'goods' });
    const float = await product({ title: 'x', skus: [{ spec: {}, price: 19.9, stock: 1 }] });
    expect(float.status).toBe(400);
    const dup = await product({
      title: 'x',
      skus: [
        { spec: { a: '1' }, price: 1, stock: 1 },
        { spec: { a: '1' }, price: 2, stock: 1 },
      ],
    });
    expect(dup.body.error.code).toBe('duplicate_sku');
    const deal = await product({ title: '团购', kind: 'deal' });
    expect(deal.body.error.code).toBe('city_required');
  });

  it('keeps SKU ids when a SKU list is edited', async () => {
    const created = (await product({ title: '衬衫', skus: [{ spec: { 尺码: 'S' }, price: 100, stock: 1 }] }))
      .body;
    const skuId = created.skus[0].id;
    const updated = await t.call(token, 'PATCH', `/api/v1/products/${created.id}`, {
      skus: [
        { id: skuId, spec: { 尺码: 'S' }, price: 120, stock: 2 },
        { spec: { 尺码: 'M' }, price: 130, stock: 3 },
      ],
    });
    const small = updated.body.skus.find((s: { spec: { 尺码: string } }) => s.spec.尺码 === 'S');
    expect(small.id).toBe(skuId);
    expect(updated.body.skus).toHaveLength(2);
    expect(updated.body).toMatchObject({ price: 120, stock: 5 });
  });
});

describe(`stock on ${engine}`, () => {
  it('never goes below zero with many concurrent buyers', async () => {
    const created = (await product({ title: '限量款', skus: [{ spec: {}, price: 100, stock: 25 }] })).body;
    const skuId = created.skus[0].id as string;
    // Separate connections, as separate app processes would have.
    const handles = [0, 1, 2].map(() => openDatabase<DB>(t.deps.config.database));
    try {
      const attempts = Array.from({ length: 60 }, (_, i) =>
        takeStock(handles[i % 3]!.db, merchantId, skuId, 1, t.clock.now()).then(
          () => 'ok',
          (e) => (e instanceof OutOfStockError ? 'sold out' : Promise.reject(e)),
        ),
      );
      const results = await Promise.all(attempts);
      expect(results.filter((r) => r === 'ok')).toHaveLength(25);
      expect(results.filter((r) => r === 'sold out')).toHaveLength(35);
      const after = (await t.call(token, 'GET', `/api/v1/products/${created.id}`)).body;
      expect(after.skus[0].stock).toBe(0);
      expect(after.stock).toBe(0);
    } finally {
      await Promise.all(handles.map((h) => h.close()));
    }
  });

  it('refuses to take more than there is in one go', async () => {
    const created = (await product({ title: '库存 2', skus: [{ spec: {}, price: 100, stock: 2 }] })).body;
    await expect(
      takeStock(t.deps.db, merchantId, created.skus[0].id, 3, t.clock.now()),
    ).rejects.toBeInstanceOf(OutOfStockError);
    await expect(
      takeStock(t.deps.db, 'mch_other', created.skus[0].id, 1, t.clock.now()),
    ).rejects.toBeInstanceOf(OutOfStockError);
  });
});

describe('Chinese keyword search', () => {
  let m: { token: string; id: string };
  const search = async (q: string) =>
    (await t.call(m.token, 'GET', `/api/v1/search?q=${encodeURIComponent(q)}`)).body as {
      terms: string[];
      items: Array<{ title: string; in_stock: boolean }>;
    };
  const add = (title: string, extra: Record<string, unknown> = {}) =>
    t.call(m.token, 'POST', '/api/v1/products', {
      title,
      status: 'on_sale',
      skus: [{ spec: {}, price: 100, stock: 5 }],
      ...extra,
    });

  beforeAll(async () => {
    m = await t.merchant('search-shop');
    await add('红色针织连衣裙', { category: '女装/连衣裙' });
    await add('碎花雪纺连衣裙', { category: '女装/连衣裙', skus: [{ spec: {}, price: 100, stock: 0 }] });
    await add('黑色半身裙', { category: '女装/半身裙' });
    await add('南京板鸭 真空礼盒', { category: '食品/特产', tags: ['南京特产'] });
    await add('草稿连衣裙', { status: 'draft' });
  });

  it('segments a fan’s sentence and finds products by its words, in stock first', async () => {
    const result = await search('我想买一条红色连衣裙');
    expect(result.terms).toContain('连衣裙');
    expect(result.terms).not.toContain('我');
    expect(result.items.map((i) => i.title)).toEqual(['红色针织连衣裙', '碎花雪纺连衣裙']);
    const plain = await search('连衣裙');
    expect(plain.items.at(-1)).toMatchObject({ title: '碎花雪纺连衣裙', in_stock: false });
    expect((await search('板鸭')).items.map((i) => i.title)).toEqual(['南京板鸭 真空礼盒']);
    expect((await search('南京特产')).items).toHaveLength(1);
    expect((await search('手机')).items).toEqual([]);
  });

  it('uses the merchant’s synonyms', async () => {
    expect((await search('裙子')).items.map((i) => i.title)).not.toContain('红色针织连衣裙');
    await t.call(m.token, 'POST', '/api/v1/search/synonyms', { words: ['连衣裙', '裙子'] });
    expect((await search('裙子')).items.map((i) => i.title)).toContain('红色针织连衣裙');
  });

  it('keeps the index current as products change, without a rebuild', async () => {
    const created = (await add('真丝睡衣')).body;
    expect((await search('睡衣')).items).toHaveLength(1);
    await t.call(m.token, 'PATCH', `/api/v1/products/${created.id}`, { status: 'off_shelf' });
    expect((await search('睡衣')).items).toHaveLength(0);
    await t.call(m.token, 'PATCH', `/api/v1/products/${created.id}`, {
      status: 'on_sale',
      title: '真丝家居服',
    });
    expect((await search('睡衣')).items).toHaveLength(0);
    expect((await search('家居服')).items).toHaveLength(1);
  });
});

describe('CSV import and export', () => {
  it('round-trips products and refuses a bad file without writing anything', async () => {
    const m = await t.merchant('csv-shop');
    const csv = [
      'title,kind,status,category,tags,city,spec,price,original_price,stock',
      '"连衣裙, 法式",goods,on_sale,女装/连衣裙,新品|碎花,,尺码:S,199.00,299,5',
      '"连衣裙, 法式",goods,on_sale,女装/连衣裙,新品|碎花,,尺码:M,199.00,299,6',
      '南京 双人套餐,deal,on_sale,本地生活,,南京,,68,128,100',
    ].join('\n');
    const imported = await t.app.inject({
      method: 'POST',
      url: '/api/v1/products/import',
      headers: { authorization: `Bearer ${m.token}`, 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(imported.json()).toEqual({ created: 2, updated: 0, errors: [] });
    const exported = await t.app.inject({
      url: '/api/v1/products/export',
      headers: { authorization: `Bearer ${m.token}` },
    });
    expect(exported.headers['content-type']).toContain('text/csv');
    expect(exported.body).toContain('"连衣裙, 法式"');
    expect(exported.body).toContain('199.00');
    expect(exported.body.split('\r\n').filter(Boolean)).toHaveLength(4);

    const bad = ['title,price,stock', '好商品,12.345,1', ',1,1', '另一个,1,-2'].join('\n');
    const refused = await t.app.inject({
      method: 'POST',
      url: '/api/v1/products/import',
      headers: { authorization: `Bearer ${m.token}`, 'content-type': 'text/csv' },
      payload: bad,
    });
    expect(refused.json().errors.map((e: { line: number }) => e.line)).toEqual([2, 3, 4]);
    const list = (await t.call(m.token, 'GET', '/api/v1/products')).body.items;
    expect(list).toHaveLength(2);
  });

  it('rolls back a whole import when one product fails to save', async () => {
    const m = await t.merchant('csv-rollback');
    const csv = ['product_id,title,price,stock', ',新商品,10,1', 'prd_missing,旧商品,10,1'].join('\n');
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/products/import',
      headers: { authorization: `Bearer ${m.token}`, 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(response.json()).toMatchObject({ created: 0, updated: 0, errors: [{ line: 3 }] });
    expect((await t.call(m.token, 'GET', '/api/v1/products')).body.items).toHaveLength(0);
    expect(
      (await t.call(m.token, 'GET', `/api/v1/search?q=${encodeURIComponent('新商品')}`)).body.items,
    ).toHaveLength(0);
  });
});

describe('stores and distance', () => {
  it('measures distance in metres across a city', () => {
    // 新街口 → 夫子庙, about 2.3 km
    expect(distanceMetres(32.0417, 118.7843, 32.0208, 118.7888)).toBeGreaterThan(2200);
    expect(distanceMetres(32.0417, 118.7843, 32.0208, 118.7888)).toBeLessThan(2500);
    // 南京 → 上海, about 270 km
    expect(Math.round(distanceMetres(32.0603, 118.7969, 31.2304, 121.4737) / 1000)).toBeGreaterThan(260);
  });

  it('knows opening hours, including past midnight', () => {
    expect(isOpen('09:00', '21:00', 8 * 60 + 59)).toBe(false);
    expect(isOpen('09:00', '21:00', 9 * 60)).toBe(true);
    expect(isOpen('18:00', '02:00', 60)).toBe(true);
    expect(isOpen('18:00', '02:00', 3 * 60)).toBe(false);
  });

  it('finds the nearest open stores first', async () => {
    const m = await t.merchant('stores-shop');
    const store = (
      name: string,
      latitude: number,
      longitude: number,
      hours: [string, string] = ['00:00', '00:00'],
    ) =>
      t.call(m.token, 'POST', '/api/v1/stores', {
        name,
        address: name,
        city: '南京',
        latitude,
        longitude,
        opens_at: hours[0],
        closes_at: hours[1],
      });
    await store('新街口', 32.0417, 118.7843);
    await store('夫子庙', 32.0208, 118.7888);
    await store('河西', 32.0055, 118.7306);
    await store('深夜关门', 32.042, 118.7845, ['01:00', '01:01']);
    await store('上海', 31.2254, 121.449);
    const nearest = (await t.call(m.token, 'GET', '/api/v1/stores/nearest?lat=32.04&lng=118.784&limit=3'))
      .body;
    expect(nearest.map((s: { name: string }) => s.name)).toEqual(['新街口', '夫子庙', '河西']);
    expect(nearest[0].distance_m).toBeLessThan(300);
    const far = (await t.call(m.token, 'GET', '/api/v1/stores/nearest?lat=31.23&lng=121.47&limit=1')).body;
    expect(far[0].name).toBe('上海');
  });
});

describe('city names', () => {
  it('recognises a city said alone, with or without 市', () => {
    expect(cityIn('南京')).toBe('南京');
    expect(cityIn('上海市')).toBe('上海');
    expect(cityIn('北京！')).toBe('北京');
    expect(cityIn('我在南京')).toBeNull();
    expect(cityIn('昆山', ['昆山'])).toBe('昆山');
  });
});
