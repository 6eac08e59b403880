import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, engine, type TestApp, testDatabase } from '../../../test/support/test-app.ts';
import { merchantCtx } from '../../context.ts';
import type { DB } from '../../database.ts';
import { migrations } from '../../migrations.ts';
import { openDatabase } from '../../platform/db/database.ts';
import { migrateToLatest } from '../../platform/db/migrate.ts';
import { takeStock } from './inventory.service.ts';
import { addSynonyms, searchProducts } from './search.service.ts';

let t: TestApp;
let m: { id: string; token: string };
beforeAll(async () => {
  t = await createTestApp();
  m = await t.merchant('search-engine-shop');
});
afterAll(() => t.close());

const add = async (title: string, extra: Record<string, unknown> = {}) =>
  (
    await t.call(m.token, 'POST', '/api/v1/products', {
      title,
      status: 'on_sale',
      skus: [{ spec: {}, price: 100, stock: 5 }],
      ...extra,
    })
  ).body as { id: string; skus: Array<{ id: string }> };
const titles = async (q: string, merchantId = m.id) =>
  (await searchProducts({ db: t.deps.db, merchantId }, q)).map((h) => h.title);

describe(`search in the database on ${engine}`, () => {
  it('puts products holding every word first, and ignores words no product has', async () => {
    await add('黑色羊毛大衣');
    const both = await add('黑色风衣 春秋款');
    await add('卡其风衣');
    await t.deps.db.updateTable('products').set({ sales: 999 }).where('title', '=', '卡其风衣').execute();
    const found = await titles('有没有黑色的风衣');
    expect(found[0]).toBe('黑色风衣 春秋款');
    expect(found).toContain('卡其风衣');
    expect((await searchProducts({ db: t.deps.db, merchantId: m.id }, '黑色风衣'))[0]).toMatchObject({
      id: both.id,
      score: 3,
    });
  });

  it('finds for a chat message (unknown words dropped first) what the search box finds', async () => {
    const ctx = { db: t.deps.db, merchantId: m.id };
    for (const q of ['有没有黑色的风衣', '黑色风衣', '风衣怎么洗？', '卡其 大衣', '你好呀']) {
      const chat = await searchProducts(ctx, q, { chat: true });
      expect(chat).toEqual(await searchProducts(ctx, q));
    }
    expect((await searchProducts(ctx, '有没有黑色的风衣', { chat: true }))[0]?.title).toBe('黑色风衣 春秋款');
  });

  it('reads synonyms once in a while, yet shows this app’s own synonym edit at once', async () => {
    const ctx = merchantCtx(t.deps, m.id);
    await add('小香风外套');
    expect(await searchProducts(ctx, '夹克')).toEqual([]);
    await addSynonyms(ctx, ['外套', '夹克']);
    expect((await searchProducts(ctx, '夹克')).map((h) => h.title)).toEqual(['小香风外套']);
  });

  it('shows an edit to a search on another connection at once, as another process would see it', async () => {
    const other = openDatabase<DB>(t.deps.config.database);
    try {
      const created = await add('真丝眼罩');
      expect(await searchProducts({ db: other.db, merchantId: m.id }, '眼罩')).toHaveLength(1);
      await t.call(m.token, 'PATCH', `/api/v1/products/${created.id}`, { title: '真丝发圈' });
      expect(await searchProducts({ db: other.db, merchantId: m.id }, '眼罩')).toHaveLength(0);
      expect(await searchProducts({ db: other.db, merchantId: m.id }, '发圈')).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('moves a product behind in-stock ones when it sells out, and back when restocked', async () => {
    const first = await add('手冲咖啡壶', { skus: [{ spec: {}, price: 100, stock: 1 }] });
    await add('咖啡壶 玻璃款');
    await t.deps.db.updateTable('products').set({ sales: 50 }).where('id', '=', first.id).execute();
    await t.call(m.token, 'PATCH', `/api/v1/products/${first.id}`, { subtitle: '热销' });
    expect((await titles('咖啡壶'))[0]).toBe('手冲咖啡壶');
    await takeStock(t.deps.db, m.id, first.skus[0]!.id, 1, t.clock.now());
    expect(await titles('咖啡壶')).toEqual(['咖啡壶 玻璃款', '手冲咖啡壶']);
    await t.call(m.token, 'PUT', `/api/v1/skus/${first.skus[0]!.id}/stock`, { stock: 3 });
    expect((await titles('咖啡壶'))[0]).toBe('手冲咖啡壶');
  });

  it('never shows one merchant’s products to another', async () => {
    await add('独家定制香薰');
    const other = await t.merchant('search-engine-other');
    expect(await titles('香薰', other.id)).toEqual([]);
    expect(await titles('香薰')).toEqual(['独家定制香薰']);
  });
});

describe(`the search migration on ${engine}`, () => {
  it('indexes the products that were there before it', async () => {
    const { database, cleanup } = await testDatabase();
    const { db, close } = openDatabase<DB>(database);
    try {
      await migrateToLatest(db as Kysely<unknown>, migrations, { target: '0011_inbox' });
      await db
        .insertInto('merchants')
        .values({ id: 'mch_old', slug: 'old', name: 'old', timezone: 'Asia/Shanghai', created_at: 1 })
        .execute();
      const product = (id: string, title: string, status: 'on_sale' | 'draft') => ({
        id,
        merchant_id: 'mch_old',
        kind: 'goods' as const,
        title,
        subtitle: '',
        description: '',
        category: '女装/连衣裙',
        tags: '[]',
        images: '[]',
        status,
        price: 100,
        original_price: 100,
        stock: 1,
        sales: 0,
        rating_sum: 0,
        rating_count: 0,
        guide_install: null,
        guide_maintenance: null,
        city: null,
        valid_from: null,
        valid_until: null,
        created_at: 1,
        updated_at: 1,
      });
      await db
        .insertInto('products')
        .values([product('prd_a', '旧款碎花连衣裙', 'on_sale'), product('prd_b', '草稿连衣裙', 'draft')])
        .execute();
      await migrateToLatest(db as Kysely<unknown>, migrations);
      const hits = await searchProducts({ db, merchantId: 'mch_old' }, '连衣裙');
      expect(hits.map((h) => h.id)).toEqual(['prd_a']);
    } finally {
      await close();
      await cleanup();
    }
  });
});
