import type { FastifyInstance, FastifyReply } from 'fastify';
import { merchantCtx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { html, mobilePage } from '../../platform/http/html.ts';
import { formatFen } from '../../platform/money.ts';
import { accountForCallback } from '../accounts/index.ts';
import { dealsInCity, getStore, searchProducts } from '../catalog/index.ts';

const page = (reply: FastifyReply, title: string, body: string, status = 200) =>
  mobilePage(reply, title, body, { status });

const rating = (r: number | null, count: number) =>
  r === null ? '暂无评价' : `${r.toFixed(1)}分 · ${count}条评价`;

/**
 * The fan-facing pages the chat links to: search results, a product, a city's deals, a store.
 * Server-rendered and small, so a link from a WeChat message opens instantly.
 */
export function catalogPageRoutes(app: FastifyInstance, deps: AppDeps): void {
  const merchantFor = async (appid: string) =>
    (await accountForCallback(deps, appid, deps.clock.now()))?.account.merchant_id ?? null;
  const ctxFor = (merchantId: string) => merchantCtx(deps, merchantId);
  const notFoundPage = (reply: FastifyReply) =>
    page(reply, '页面不存在', '<div class="card">没有找到这个页面。</div>', 404);

  app.get<{ Params: { appid: string }; Querystring: { q?: string } }>(
    '/shop/:appid/search',
    async (request, reply) => {
      const merchantId = await merchantFor(request.params.appid);
      if (!merchantId) return notFoundPage(reply);
      const q = String(request.query.q ?? '').slice(0, 50);
      const hits = q ? await searchProducts(ctxFor(merchantId), q, { limit: 20 }) : [];
      const items = hits
        .map(
          (h) =>
            `<div class="card"><a href="products/${html(h.id)}">${html(h.title)}</a><div><span class="price">${formatFen(h.price)}</span>${h.original_price > h.price ? `<del>${formatFen(h.original_price)}</del>` : ''}</div><div class="muted">${html(rating(h.rating, h.rating_count))} · 已售 ${h.sales}${h.in_stock ? '' : ' · 已售罄'}</div></div>`,
        )
        .join('');
      return page(reply, `搜索「${q}」`, items || '<div class="card">没有找到相关商品，换个词试试。</div>');
    },
  );

  app.get<{ Params: { appid: string }; Querystring: { city?: string } }>(
    '/shop/:appid/deals',
    async (request, reply) => {
      const merchantId = await merchantFor(request.params.appid);
      if (!merchantId) return notFoundPage(reply);
      const city = String(request.query.city ?? '').slice(0, 20);
      const deals = await dealsInCity(ctxFor(merchantId), city, 20);
      const items = deals
        .map(
          (d) =>
            `<div class="card"><a href="products/${html(d.id)}">${html(d.title)}</a><div><span class="price">${formatFen(d.price)}</span><del>${formatFen(d.original_price)}</del></div><div class="muted">已售 ${d.sales} · 凭券到店核销</div></div>`,
        )
        .join('');
      return page(reply, `${city}团购`, items || '<div class="card">这个城市暂时没有团购。</div>');
    },
  );

  app.get<{ Params: { appid: string; id: string } }>('/shop/:appid/stores/:id', async (request, reply) => {
    const merchantId = await merchantFor(request.params.appid);
    if (!merchantId) return notFoundPage(reply);
    const store = await getStore(ctxFor(merchantId), request.params.id).catch(() => null);
    if (!store) return notFoundPage(reply);
    const geo = `geo:${store.latitude},${store.longitude}?q=${encodeURIComponent(store.address)}`;
    return page(
      reply,
      store.name,
      `<div class="card"><div>${html(store.address)}</div><div class="muted">营业时间 ${html(store.opens_at)}–${html(store.closes_at)}</div>
${store.phone ? `<div><a href="tel:${html(store.phone)}">☎ ${html(store.phone)}</a></div>` : ''}<div><a href="${html(geo)}">导航到门店</a></div></div>`,
    );
  });
}
