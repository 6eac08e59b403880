import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from '../../deps.ts';
import { html, mobilePage } from '../../platform/http/html.ts';
import { formatFen } from '../../platform/money.ts';
import { accountForCallback } from '../accounts/index.ts';
import { getProduct } from '../catalog/index.ts';
import { FAN_COOKIE, type FanSession, fanCtx, resolveFan } from '../orders/index.ts';
import { publishedArticle, publishedArticles } from './articles.service.ts';
import { boardFor } from './board.service.ts';
import { memberPrice } from './member-price.ts';
import { isActive, membershipOf } from './membership.service.ts';
import { activePlans, planRow } from './plans.service.ts';
import { productIdsIn } from './sanitize.ts';

const dateText = (ms: number) =>
  new Date(ms).toLocaleDateString('zh-CN', {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  });
const who = (openid: string) => `会员 ·${openid.slice(-4)}`;

/** The fan's pages: the article list and an article (members-only behind a paywall), joining, the board. */
export function communityPageRoutes(app: FastifyInstance, deps: AppDeps): void {
  const script = readFileSync(new URL('../../../web/shop/community.js', import.meta.url), 'utf8');
  app.get('/shop/assets/community.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=300').send(script),
  );

  type Req = FastifyRequest<{ Params: { appid: string } }>;
  const fanOf = async (request: Req, reply: FastifyReply): Promise<FanSession | null> => {
    if (!(await accountForCallback(deps, request.params.appid, deps.clock.now()))) {
      await mobilePage(reply, '页面不存在', '<div class="card">没有找到这个页面。</div>', { status: 404 });
      return null;
    }
    const fan = await resolveFan(deps, request.params.appid, request.cookies[FAN_COOKIE], deps.clock.now());
    if (!fan)
      await reply.redirect(`/shop/${request.params.appid}/oauth?next=${encodeURIComponent(request.url)}`);
    return fan;
  };
  const member = async (fan: FanSession) => {
    const ctx = fanCtx(deps, fan);
    return isActive(await membershipOf(ctx, fan.accountId, fan.openid), ctx.now);
  };

  app.get<{ Params: { appid: string }; Querystring: { column?: string } }>(
    '/shop/:appid/articles',
    async (request, reply) => {
      const fan = await fanOf(request, reply);
      if (!fan) return reply;
      const column = typeof request.query.column === 'string' ? request.query.column.slice(0, 20) : '';
      const base = `/shop/${html(request.params.appid)}`;
      const items = await publishedArticles(fanCtx(deps, fan), column || undefined);
      const list = items
        .map(
          (a) =>
            `<a class="card article" href="${base}/articles/${html(a.id)}" style="display:block;color:inherit">${a.cover_url ? `<img src="${html(a.cover_url)}" alt="" style="width:100%;border-radius:6px">` : ''}<b>${a.access === 'members' ? '<span class="price">【会员】</span>' : ''}${html(a.title)}</b><div class="muted">${html(a.summary)}</div><div class="muted">${a.published_at ? dateText(a.published_at) : ''}</div></a>`,
        )
        .join('');
      return mobilePage(
        reply,
        column || '文章',
        `<div id="articles">${list || '<div class="card muted">暂无文章</div>'}</div>
<div class="card"><a href="${base}/board">会员社区</a> · <a href="${base}/membership">付费会员</a></div>`,
      );
    },
  );

  app.get<{ Params: { appid: string; id: string } }>('/shop/:appid/articles/:id', async (request, reply) => {
    const fan = await fanOf(request, reply);
    if (!fan) return reply;
    const ctx = fanCtx(deps, fan);
    const base = `/shop/${html(request.params.appid)}`;
    const article = await publishedArticle(ctx, request.params.id).catch(() => null);
    if (!article)
      return mobilePage(reply, '文章不存在', '<div class="card">文章不存在或已下线。</div>', { status: 404 });
    const head = `<div class="card"><h2 style="margin:4px 0" id="title">${html(article.title)}</h2><div class="muted">${article.published_at ? dateText(article.published_at) : ''}${article.access === 'members' ? ' · 会员专享' : ''}</div></div>`;
    if (article.access === 'members' && !(await member(fan))) {
      const next = encodeURIComponent(`/shop/${request.params.appid}/articles/${article.id}`);
      return mobilePage(
        reply,
        article.title,
        `${head}<div class="card" id="paywall"><p>${html(article.summary)}</p><p><b>本文仅限付费会员阅读</b></p>
<a class="btn" id="join" style="display:block;text-align:center" href="${base}/membership?next=${next}">加入会员，阅读全文</a></div>`,
      );
    }
    // Product cards were checked on write; their price and title are read now, from the catalog.
    const cards = new Map<string, string>();
    const membership = await membershipOf(ctx, fan.accountId, fan.openid);
    const pct = isActive(membership, ctx.now)
      ? (await planRow(ctx, membership!.plan_id)).member_discount_pct
      : 0;
    const memberLine = (price: number) =>
      pct > 0
        ? ` <span class="muted member-price">会员价 ${html(formatFen(memberPrice(price, pct)))}</span>`
        : '';
    for (const id of productIdsIn(article.body)) {
      const product = await getProduct(ctx, id).catch(() => null);
      cards.set(
        id,
        product && product.status === 'on_sale'
          ? `<a class="card product-card" href="${base}/products/${html(product.id)}" style="display:flex;gap:8px;color:inherit;border:1px solid #eee">${product.images[0] ? `<img src="${html(product.images[0])}" alt="" style="width:64px;height:64px;object-fit:cover">` : ''}<span><b>${html(product.title)}</b><br><span class="price">${html(formatFen(product.price))}</span>${memberLine(product.price)}</span></a>`
          : '',
      );
    }
    const body = article.body.replace(
      /<product-card data-product-id="([A-Za-z0-9_]{1,64})"><\/product-card>/g,
      (_m, id: string) => cards.get(id) ?? '',
    );
    return mobilePage(
      reply,
      article.title,
      `${head}<div class="card" id="article-body">${body}</div>
<div class="card"><a href="${base}/articles">更多文章</a> · <a href="${base}/board">会员社区</a></div>`,
    );
  });

  app.get<{ Params: { appid: string }; Querystring: { next?: string } }>(
    '/shop/:appid/membership',
    async (request, reply) => {
      const fan = await fanOf(request, reply);
      if (!fan) return reply;
      const ctx = fanCtx(deps, fan);
      const base = `/shop/${html(request.params.appid)}`;
      const m = await membershipOf(ctx, fan.accountId, fan.openid);
      const active = isActive(m, ctx.now);
      const plans = await activePlans(ctx);
      // Where the fan came from (an article behind the paywall): only a page of this shop.
      const next = request.query.next?.startsWith(`/shop/${request.params.appid}/`)
        ? request.query.next
        : null;
      const status = active
        ? `<div class="card ok" id="member-status">会员有效期至 ${html(dateText(m!.expires_at))}</div>${next ? `<a class="btn" id="continue" style="display:block;text-align:center" href="${html(next)}">继续阅读</a>` : ''}`
        : `<div class="card" id="member-status">您还不是付费会员</div>`;
      const list = plans
        .map((p) => {
          const canBuy = p.open_round !== null ? p.seats_left > 0 || active : active;
          const state =
            p.open_round !== null
              ? `剩余名额 ${p.seats_left} / ${p.seat_cap}`
              : p.next_opening
                ? `下一期招募 ${dateText(p.next_opening)} 开始`
                : '招募已结束';
          return `<div class="card plan"><b>${html(p.name)}</b> <span class="price">${html(formatFen(p.price))}</span> / ${p.period_days} 天
<div class="muted">${html(p.description)}</div><div class="muted">${html(state)}</div>
${canBuy ? `<button class="btn" data-plan="${html(p.id)}">${active ? '续费' : '加入会员'}</button>` : ''}</div>`;
        })
        .join('');
      return mobilePage(
        reply,
        '付费会员',
        `${status}<div id="plans" data-appid="${html(request.params.appid)}">${list || '<div class="card muted">暂无会员方案</div>'}</div><p class="error" id="error" role="alert"></p>
<div class="card"><a href="${base}/articles">会员文章</a> · <a href="${base}/board">会员社区</a></div>`,
        { scripts: ['/shop/assets/community.js'] },
      );
    },
  );

  app.get<{ Params: { appid: string } }>('/shop/:appid/board', async (request, reply) => {
    const fan = await fanOf(request, reply);
    if (!fan) return reply;
    const base = `/shop/${html(request.params.appid)}`;
    if (!(await member(fan)))
      return mobilePage(
        reply,
        '会员社区',
        `<div class="card" id="paywall">会员社区仅对付费会员开放。</div><a class="btn" id="join" style="display:block;text-align:center" href="${base}/membership?next=${encodeURIComponent(`/shop/${request.params.appid}/board`)}">加入会员</a>`,
      );
    const threads = await boardFor(fanCtx(deps, fan));
    const images = (urls: string[]) =>
      urls.map((u) => `<img src="${html(u)}" alt="" style="max-width:30%;margin:4px 4px 0 0">`).join('');
    const list = threads
      .map(
        (
          p,
        ) => `<div class="card post" data-id="${html(p.id)}">${p.pinned ? '<span class="price">[置顶]</span> ' : ''}<span class="muted">${html(who(p.openid))}</span>
<div class="text">${html(p.text)}</div>${images(p.images)}
${p.replies.map((r) => `<div class="reply muted" style="border-left:2px solid #eee;padding-left:8px;margin-top:4px">${html(who(r.openid))}：<span class="text">${html(r.text)}</span></div>`).join('')}
<form class="reply-form" data-parent="${html(p.id)}" style="display:flex;gap:6px;margin-top:6px"><input name="text" maxlength="2000" placeholder="回复" style="flex:1;padding:6px"><button class="btn secondary" style="flex:0 0 auto;padding:6px 10px">回复</button></form>
<div style="text-align:right"><button class="report" data-report="${html(p.id)}" style="border:0;background:none;color:#888">举报</button></div></div>`,
      )
      .join('');
    return mobilePage(
      reply,
      '会员社区',
      `<form id="post-form" class="card" data-appid="${html(request.params.appid)}"><textarea name="text" maxlength="2000" rows="3" placeholder="分享你的想法" style="width:100%;box-sizing:border-box" required></textarea>
<input name="images" placeholder="图片地址（可选，多个用空格分隔）" style="width:100%;box-sizing:border-box;margin:6px 0">
<button class="btn" id="post">发布</button><p class="error" id="error" role="alert"></p></form>
<div id="board">${list || '<div class="card muted">还没有帖子，来发第一帖吧</div>'}</div>`,
      { scripts: ['/shop/assets/community.js'] },
    );
  });
}
