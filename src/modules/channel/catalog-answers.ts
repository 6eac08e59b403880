import type { Ctx } from '../../context.ts';
import { expiringMap } from '../../platform/cache/cache.ts';
import { formatFen } from '../../platform/money.ts';
import type { PassiveReply } from '../../wechat/messages.ts';
import {
  cityIn,
  dealsInCity,
  findGuide,
  merchantCities,
  nearestStores,
  searchProducts,
} from '../catalog/index.ts';
import type { Routed } from './routed.ts';

/** Where the H5 shop pages of an account live. */
export function shopLinks(publicUrl: string, appid: string) {
  const base = `${publicUrl}/shop/${appid}`;
  return {
    search: (q: string) => `${base}/search?q=${encodeURIComponent(q)}`,
    product: (id: string) => `${base}/products/${id}`,
    deals: (city: string) => `${base}/deals?city=${encodeURIComponent(city)}`,
    store: (id: string) => `${base}/stores/${id}`,
  };
}
type Links = ReturnType<typeof shopLinks>;

const link = (url: string, text: string) => `<a href="${url}">${text.replace(/[<>"]/g, '')}</a>`;
const answer = (reply: PassiveReply, followup: PassiveReply | null = null): Routed => ({
  rule: null,
  reply,
  followup,
});

function ratingText(rating: number | null, count: number): string {
  return rating === null ? '暂无评价' : `${rating.toFixed(1)}分（${count}条评价）`;
}

function distanceText(metres: number): string {
  return metres < 1000 ? `${metres}米` : `${(metres / 1000).toFixed(1)}公里`;
}

// City names other than the built-in list come from the merchant's stores and deals; cached in the app.
async function knownCities(ctx: Ctx): Promise<string[]> {
  const citiesCache = ctx.deps.local.slot('channel.cities', () => expiringMap<string[]>(30_000));
  const hit = citiesCache.get(ctx.merchantId, ctx.now);
  if (hit) return hit;
  const cities = await merchantCities(ctx);
  citiesCache.set(ctx.merchantId, cities, ctx.now);
  return cities;
}

/** A guide, a city's deals, or matching products, in that order; null when the catalog has nothing. */
export async function answerFromCatalog(ctx: Ctx, links: Links, text: string): Promise<Routed | null> {
  const guide = await findGuide(ctx, text);
  if (guide) {
    const heading = guide.kind === 'install' ? '安装指南' : '保养指南';
    return answer({
      type: 'text',
      content: `【${guide.title}】${heading}\n${guide.guide}\n${link(links.product(guide.product_id), '查看商品')}`,
    });
  }
  const short = text.trim().length <= 8;
  const city = short ? (cityIn(text) ?? cityIn(text, await knownCities(ctx))) : null;
  if (city) {
    const deals = await dealsInCity(ctx, city, 5);
    if (deals.length > 0) {
      const lines = deals.map(
        (d, i) =>
          `${i + 1}. ${link(links.product(d.id), d.title)} ${formatFen(d.price)}（原价${formatFen(d.original_price)}）已售${d.sales}`,
      );
      return answer(
        {
          type: 'news',
          articles: [
            {
              title: `${city}本地精选团购 ${deals.length} 个`,
              description: deals
                .slice(0, 3)
                .map((d) => `${d.title} ${formatFen(d.price)}`)
                .join('；'),
              url: links.deals(city),
            },
          ],
        },
        { type: 'text', content: `${city}正在进行的团购：\n${lines.join('\n')}\n付款后凭二维码到店核销。` },
      );
    }
  }
  const hits = await searchProducts(ctx, text, { limit: 5, chat: true });
  if (hits.length === 0) return null;
  const query = text.trim().slice(0, 20);
  const lines = hits.map(
    (h, i) =>
      `${i + 1}. ${link(links.product(h.id), h.title)} ${formatFen(h.price)} · ${ratingText(h.rating, h.rating_count)}${h.in_stock ? '' : ' · 已售罄'}`,
  );
  const top = hits[0]!;
  return answer(
    {
      type: 'news',
      articles: [
        {
          title: `为您找到「${query}」相关商品`,
          description: hits
            .slice(0, 3)
            .map((h) => `${h.title} ${formatFen(h.price)}`)
            .join('；'),
          url: links.search(query),
          picUrl: '',
        },
      ],
    },
    {
      type: 'text',
      content: `${lines.join('\n')}\n\n最受欢迎：${top.title}，${ratingText(top.rating, top.rating_count)}。点击商品名直接下单。`,
    },
  );
}

/** The nearest stores to where the fan is, open ones first, with distance and links. */
export async function answerNearestStores(
  ctx: Ctx,
  links: Links,
  latitude: number,
  longitude: number,
): Promise<Routed | null> {
  const stores = await nearestStores(ctx, { latitude, longitude }, { limit: 5 });
  if (stores.length === 0) return null;
  const lines = stores.map(
    (s, i) =>
      `${i + 1}. ${link(links.store(s.id), s.name)} ${distanceText(s.distance_m)} ${s.open_now ? '营业中' : `已打烊（${s.opens_at} 开门）`}\n   ${s.address}${s.phone ? ` ☎${s.phone}` : ''}`,
  );
  return answer({
    type: 'text',
    content: `离您最近的门店：\n${lines.join('\n')}\n点击门店名查看地址、导航或预订。`,
  });
}
