import { Type } from '@fastify/type-provider-typebox';
import type { Api } from '../../deps.ts';
import { IdParams, Ok, withErrors } from '../../platform/http/schemas.ts';
import { exportProductsCsv, importProductsCsv } from './catalog-csv.ts';
import { dealsInCity } from './deals.service.ts';
import { setStock } from './inventory.service.ts';
import { createProduct, getProduct, listProducts, updateProduct } from './products.service.ts';
import {
  addSynonyms,
  deleteSynonyms,
  listSynonyms,
  searchProducts,
  segmentPreview,
} from './search.service.ts';
import {
  createStore,
  deleteStore,
  getStore,
  listStores,
  nearestStores,
  updateStore,
} from './stores.service.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);
const Fen = Type.Integer({ minimum: 0, maximum: 100_000_000_00, description: '金额（分）/ amount in fen' });
const Kind = Type.Union([Type.Literal('goods'), Type.Literal('deal'), Type.Literal('service')]);
const Status = Type.Union([Type.Literal('draft'), Type.Literal('on_sale'), Type.Literal('off_shelf')]);
const Spec = Type.Record(Type.String({ maxLength: 20 }), Type.String({ maxLength: 40 }));
const Sku = Type.Object({
  id: Type.String(),
  spec: Spec,
  price: Fen,
  original_price: Fen,
  stock: Type.Integer(),
});
const SkuInput = Type.Object({
  id: Type.Optional(Type.String({ maxLength: 64 })),
  spec: Spec,
  price: Fen,
  original_price: Type.Optional(Fen),
  stock: Type.Integer({ minimum: 0, maximum: 100_000_000 }),
});
const Product = Type.Object({
  id: Type.String(),
  merchant_id: Type.String(),
  kind: Kind,
  title: Type.String(),
  subtitle: Type.String(),
  description: Type.String(),
  category: Type.String(),
  tags: Type.Array(Type.String()),
  images: Type.Array(Type.String()),
  status: Status,
  price: Type.Integer(),
  original_price: Type.Integer(),
  stock: Type.Integer(),
  sales: Type.Integer(),
  rating: Nullable(Type.Number()),
  rating_count: Type.Integer(),
  guide_install: Nullable(Type.String()),
  guide_maintenance: Nullable(Type.String()),
  city: Nullable(Type.String()),
  valid_from: Nullable(Type.Integer()),
  valid_until: Nullable(Type.Integer()),
  store_ids: Type.Array(Type.String()),
  skus: Type.Array(Sku),
  created_at: Type.Integer(),
  updated_at: Type.Integer(),
});
const productFields = {
  kind: Type.Optional(Kind),
  title: Type.String({ minLength: 1, maxLength: 100 }),
  subtitle: Type.Optional(Type.String({ maxLength: 200 })),
  description: Type.Optional(Type.String({ maxLength: 20_000 })),
  category: Type.Optional(Type.String({ maxLength: 100 })),
  tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 30 }), { maxItems: 30 })),
  images: Type.Optional(Type.Array(Type.String({ maxLength: 1024 }), { maxItems: 20 })),
  status: Type.Optional(Status),
  guide_install: Type.Optional(Nullable(Type.String({ maxLength: 5000 }))),
  guide_maintenance: Type.Optional(Nullable(Type.String({ maxLength: 5000 }))),
  city: Type.Optional(Nullable(Type.String({ maxLength: 20 }))),
  valid_from: Type.Optional(Nullable(Type.Integer({ minimum: 0 }))),
  valid_until: Type.Optional(Nullable(Type.Integer({ minimum: 0 }))),
  store_ids: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 1000 })),
  skus: Type.Array(SkuInput, { minItems: 1, maxItems: 200 }),
};
const Store = Type.Object({
  id: Type.String(),
  name: Type.String(),
  address: Type.String(),
  city: Type.String(),
  latitude: Type.Number(),
  longitude: Type.Number(),
  phone: Type.String(),
  opens_at: Type.String(),
  closes_at: Type.String(),
  created_at: Type.Integer(),
});
const storeFields = {
  name: Type.String({ minLength: 1, maxLength: 60 }),
  address: Type.String({ minLength: 1, maxLength: 200 }),
  city: Type.String({ minLength: 1, maxLength: 20 }),
  latitude: Type.Number({ minimum: -90, maximum: 90 }),
  longitude: Type.Number({ minimum: -180, maximum: 180 }),
  phone: Type.Optional(Type.String({ maxLength: 30 })),
  opens_at: Type.Optional(Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$' })),
  closes_at: Type.Optional(Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$' })),
};
const page = (item: Parameters<typeof Type.Array>[0]) =>
  Type.Object({ items: Type.Array(item), next_cursor: Nullable(Type.String()) });
const Cursor = {
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  cursor: Type.Optional(Type.String({ maxLength: 64 })),
};

export function catalogRoutes(app: Api): void {
  app.addContentTypeParser(
    'text/csv',
    { parseAs: 'string', bodyLimit: 10 * 1024 * 1024 },
    (_request, body, done) => done(null, body),
  );
  const tags = ['catalog'];
  app.get(
    '/products',
    {
      schema: {
        tags,
        summary: '商品列表 / Products',
        querystring: Type.Object({
          status: Type.Optional(Status),
          kind: Type.Optional(Kind),
          category: Type.Optional(Type.String({ maxLength: 100 })),
          city: Type.Optional(Type.String({ maxLength: 20 })),
          q: Type.Optional(Type.String({ maxLength: 100 })),
          ...Cursor,
        }),
        response: withErrors({ 200: page(Product) }),
      },
    },
    (request) => listProducts(request.ctx, request.query),
  );
  app.post(
    '/products',
    {
      schema: {
        tags,
        summary: '新建商品（含规格）/ Create a product with SKUs',
        body: Type.Object(productFields),
        response: withErrors({ 201: Product }),
      },
    },
    async (request, reply) => {
      reply.status(201);
      return createProduct(request.ctx, request.body);
    },
  );
  app.get(
    '/products/export',
    {
      schema: {
        tags,
        summary: '导出商品 CSV / Export products as CSV',
        response: withErrors({ 200: Type.String() }),
      },
    },
    async (request, reply) => {
      reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="products.csv"');
      return exportProductsCsv(request.ctx);
    },
  );
  app.post(
    '/products/import',
    {
      schema: {
        tags,
        summary: '导入商品 CSV（有错则整批不写入）/ Import products from CSV (all or nothing)',
        consumes: ['text/csv'],
        body: Type.String({ maxLength: 10_000_000 }),
        response: withErrors({
          200: Type.Object({
            created: Type.Integer(),
            updated: Type.Integer(),
            errors: Type.Array(Type.Object({ line: Type.Integer(), message: Type.String() })),
          }),
        }),
      },
      bodyLimit: 10 * 1024 * 1024,
    },
    (request) => importProductsCsv(request.ctx, request.body),
  );
  app.get(
    '/products/:id',
    { schema: { tags, params: IdParams, response: withErrors({ 200: Product }) } },
    (request) => getProduct(request.ctx, request.params.id),
  );
  app.patch(
    '/products/:id',
    {
      schema: {
        tags,
        summary: '修改商品（上下架用 status）/ Update a product (status to put on or take off sale)',
        params: IdParams,
        body: Type.Partial(Type.Object(productFields)),
        response: withErrors({ 200: Product }),
      },
    },
    (request) => updateProduct(request.ctx, request.params.id, request.body),
  );
  app.put(
    '/skus/:id/stock',
    {
      schema: {
        tags,
        summary: '设置库存 / Set a SKU’s stock',
        params: IdParams,
        body: Type.Object({ stock: Type.Integer({ minimum: 0, maximum: 100_000_000 }) }),
        response: withErrors({ 200: Sku }),
      },
    },
    (request) => setStock(request.ctx, request.params.id, request.body.stock),
  );

  const Hit = Type.Object({
    id: Type.String(),
    kind: Kind,
    title: Type.String(),
    subtitle: Type.String(),
    price: Type.Integer(),
    original_price: Type.Integer(),
    in_stock: Type.Boolean(),
    sales: Type.Integer(),
    rating: Nullable(Type.Number()),
    rating_count: Type.Integer(),
    score: Type.Number(),
  });
  app.get(
    '/search',
    {
      schema: {
        tags: ['search'],
        summary: '测试搜索：粉丝发这句话能找到什么 / What a fan finds for this text',
        querystring: Type.Object({
          q: Type.String({ minLength: 1, maxLength: 100 }),
          limit: Type.Integer({ minimum: 1, maximum: 50, default: 8 }),
        }),
        response: withErrors({
          200: Type.Object({ terms: Type.Array(Type.String()), items: Type.Array(Hit) }),
        }),
      },
    },
    async (request) => ({
      terms: await segmentPreview(request.query.q),
      items: await searchProducts(request.ctx, request.query.q, { limit: request.query.limit }),
    }),
  );
  const Synonyms = Type.Object({
    id: Type.String(),
    words: Type.Array(Type.String()),
    created_at: Type.Integer(),
  });
  app.get(
    '/search/synonyms',
    {
      schema: {
        tags: ['search'],
        summary: '同义词 / Synonyms',
        response: withErrors({ 200: Type.Array(Synonyms) }),
      },
    },
    (request) => listSynonyms(request.ctx),
  );
  app.post(
    '/search/synonyms',
    {
      schema: {
        tags: ['search'],
        summary: '新增同义词组（如 连衣裙 = 裙子）/ Add a synonym group',
        body: Type.Object({
          words: Type.Array(Type.String({ minLength: 1, maxLength: 20 }), { minItems: 2, maxItems: 20 }),
        }),
        response: withErrors({ 201: Synonyms }),
      },
    },
    async (request, reply) => {
      reply.status(201);
      return addSynonyms(request.ctx, request.body.words);
    },
  );
  app.delete(
    '/search/synonyms/:id',
    { schema: { tags: ['search'], params: IdParams, response: withErrors({ 200: Ok }) } },
    async (request) => {
      await deleteSynonyms(request.ctx, request.params.id);
      return { ok: true };
    },
  );

  const stores = ['stores'];
  app.get(
    '/stores',
    {
      schema: {
        tags: stores,
        summary: '门店 / Stores',
        querystring: Type.Object({ city: Type.Optional(Type.String({ maxLength: 20 })), ...Cursor }),
        response: withErrors({ 200: page(Store) }),
      },
    },
    (request) => listStores(request.ctx, request.query),
  );
  app.post(
    '/stores',
    { schema: { tags: stores, body: Type.Object(storeFields), response: withErrors({ 201: Store }) } },
    async (request, reply) => {
      reply.status(201);
      return createStore(request.ctx, request.body);
    },
  );
  app.get(
    '/stores/nearest',
    {
      schema: {
        tags: stores,
        summary: '最近门店（不依赖地图的距离检查）/ Nearest stores, a map-free distance check',
        querystring: Type.Object({
          lat: Type.Number({ minimum: -90, maximum: 90 }),
          lng: Type.Number({ minimum: -180, maximum: 180 }),
          limit: Type.Integer({ minimum: 1, maximum: 50, default: 5 }),
          open_only: Type.Optional(Type.Boolean()),
        }),
        response: withErrors({
          200: Type.Array(
            Type.Intersect([Store, Type.Object({ distance_m: Type.Integer(), open_now: Type.Boolean() })]),
          ),
        }),
      },
    },
    (request) =>
      nearestStores(
        request.ctx,
        { latitude: request.query.lat, longitude: request.query.lng },
        { limit: request.query.limit, openOnly: request.query.open_only },
      ),
  );
  app.get(
    '/stores/:id',
    { schema: { tags: stores, params: IdParams, response: withErrors({ 200: Store }) } },
    (request) => getStore(request.ctx, request.params.id),
  );
  app.patch(
    '/stores/:id',
    {
      schema: {
        tags: stores,
        params: IdParams,
        body: Type.Partial(Type.Object(storeFields)),
        response: withErrors({ 200: Store }),
      },
    },
    (request) => updateStore(request.ctx, request.params.id, request.body),
  );
  app.delete(
    '/stores/:id',
    { schema: { tags: stores, params: IdParams, response: withErrors({ 200: Ok }) } },
    async (request) => {
      await deleteStore(request.ctx, request.params.id);
      return { ok: true };
    },
  );

  app.get(
    '/deals',
    {
      schema: {
        tags: ['catalog'],
        summary: '某城市当前最佳团购 / A city’s best current deals',
        querystring: Type.Object({
          city: Type.String({ minLength: 1, maxLength: 20 }),
          limit: Type.Integer({ minimum: 1, maximum: 20, default: 5 }),
        }),
        response: withErrors({
          200: Type.Array(
            Type.Object({
              id: Type.String(),
              title: Type.String(),
              subtitle: Type.String(),
              price: Type.Integer(),
              original_price: Type.Integer(),
              sales: Type.Integer(),
              rating: Nullable(Type.Number()),
              valid_until: Nullable(Type.Integer()),
            }),
          ),
        }),
      },
    },
    (request) => dealsInCity(request.ctx, request.query.city.replace(/市$/, ''), request.query.limit),
  );
}
