import type { Ctx } from '../../context.ts';
import { searchProducts } from './search.service.ts';

export interface DealView {
  id: string;
  title: string;
  subtitle: string;
  price: number;
  original_price: number;
  sales: number;
  rating: number | null;
  valid_until: number | null;
}

/** Cities where this merchant sells deals or has stores: recognised as city names in chat. */
export async function merchantCities(ctx: Pick<Ctx, 'db' | 'merchantId'>): Promise<string[]> {
  const [dealCities, storeCities] = await Promise.all([
    ctx.db
      .selectFrom('products')
      .select('city')
      .distinct()
      .where('merchant_id', '=', ctx.merchantId)
      .where('city', 'is not', null)
      .execute(),
    ctx.db.selectFrom('stores').select('city').distinct().where('merchant_id', '=', ctx.merchantId).execute(),
  ]);
  return [
    ...new Set([...dealCities.map((c) => c.city ?? ''), ...storeCities.map((c) => c.city)].filter(Boolean)),
  ];
}

/**
 * A city's best current deals: on sale, in stock, valid now, best-selling and best-rated first.
 * The seeds' micro group-buy answers a city name with four or five of these.
 */
export async function dealsInCity(
  ctx: Pick<Ctx, 'db' | 'merchantId' | 'now'>,
  city: string,
  limit = 5,
): Promise<DealView[]> {
  const rows = await ctx.db
    .selectFrom('products')
    .select([
      'id',
      'title',
      'subtitle',
      'price',
      'original_price',
      'sales',
      'rating_sum',
      'rating_count',
      'valid_until',
    ])
    .where('merchant_id', '=', ctx.merchantId)
    .where('kind', '=', 'deal')
    .where('status', '=', 'on_sale')
    .where('city', '=', city)
    .where('stock', '>', 0)
    .where((eb) => eb.or([eb('valid_from', 'is', null), eb('valid_from', '<=', ctx.now)]))
    .where((eb) => eb.or([eb('valid_until', 'is', null), eb('valid_until', '>', ctx.now)]))
    .orderBy('sales', 'desc')
    .orderBy('rating_sum', 'desc')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map(({ rating_sum, rating_count, ...deal }) => ({
    ...deal,
    rating: rating_count ? Math.round((rating_sum / rating_count) * 10) / 10 : null,
  }));
}

const GUIDE_WORDS = { install: /安装|怎么装|组装/u, maintenance: /保养|维护|清洗|清洁|护理/u } as const;

/**
 * "空气净化器 怎么安装": the guide of the product the fan names, if the message asks for one.
 * (Orders narrow this to what the fan bought once they exist.)
 */
export async function findGuide(
  ctx: Pick<Ctx, 'db' | 'merchantId' | 'now'>,
  text: string,
): Promise<{ product_id: string; title: string; kind: 'install' | 'maintenance'; guide: string } | null> {
  const kind = GUIDE_WORDS.install.test(text)
    ? 'install'
    : GUIDE_WORDS.maintenance.test(text)
      ? 'maintenance'
      : null;
  if (!kind) return null;
  const [hit] = await searchProducts(ctx, text.replace(GUIDE_WORDS[kind], ' '), {
    limit: 1,
    kind: 'goods',
    chat: true,
  });
  if (!hit) return null;
  const row = await ctx.db
    .selectFrom('products')
    .select(['guide_install', 'guide_maintenance'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', hit.id)
    .executeTakeFirst();
  const guide = kind === 'install' ? row?.guide_install : row?.guide_maintenance;
  return guide ? { product_id: hit.id, title: hit.title, kind, guide } : null;
}
