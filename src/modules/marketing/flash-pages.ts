import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../deps.ts';
import { html, mobilePage } from '../../platform/http/html.ts';
import { formatFen } from '../../platform/money.ts';
import { accountForCallback } from '../accounts/index.ts';
import { getProduct } from '../catalog/index.ts';
import { FAN_COOKIE, fanCtx, listAddresses, resolveFan } from '../orders/index.ts';
import { getSale } from './flash-sales.service.ts';

/**
 * The sale's waiting page: counts down on the phone's own clock corrected by the server's (one
 * request, not a poll), opens with a little random jitter so a crowd does not arrive in the same
 * millisecond, and keeps the fan on a "queue" message while the gate says busy.
 */
export function flashPageRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get<{ Params: { appid: string; id: string } }>('/shop/:appid/flash/:id', async (request, reply) => {
    const { appid, id } = request.params;
    const missing = () =>
      mobilePage(reply, '页面不存在', '<div class="card">没有找到这个活动。</div>', { status: 404 });
    if (!(await accountForCallback(deps, appid, deps.clock.now()))) return missing();
    const fan = await resolveFan(deps, appid, request.cookies[FAN_COOKIE], deps.clock.now());
    if (!fan) return reply.redirect(`/shop/${appid}/oauth?next=${encodeURIComponent(request.url)}`);
    const ctx = fanCtx(deps, fan);
    const sale = await getSale(ctx, id).catch(() => null);
    if (!sale) return missing();
    const product = await getProduct(ctx, sale.product_id);
    const reserved = await ctx.db
      .selectFrom('flash_reservations')
      .select('openid')
      .where('sale_id', '=', sale.id)
      .where('openid', '=', fan.openid)
      .executeTakeFirst();
    // The tap must be one tap: the address is settled before the sale opens.
    const [saved] = await listAddresses(ctx);
    const addressBlock = saved
      ? `<div class="card" id="address" data-address-id="${html(saved.id)}">送至：${html(saved.name)} ${html(saved.phone)}<div class="muted">${html(saved.region)} ${html(saved.detail)}</div></div>`
      : `<div class="card" id="address"><b>收货地址（开抢前填好）</b>
<label class="field">收货人<input name="name" required maxlength="30"></label>
<label class="field">手机号<input name="phone" type="tel" required maxlength="20"></label>
<label class="field">所在地区<input name="region" required maxlength="60"></label>
<label class="field">详细地址<input name="detail" required maxlength="120"></label></div>`;
    const opensAt = new Date(sale.opens_at).toLocaleString('zh-CN', {
      timeZone: 'Asia/Shanghai',
      hour12: false,
    });
    return mobilePage(
      reply,
      sale.title,
      `<div class="card"><div class="price" style="font-size:26px">秒杀价 ${formatFen(sale.price)}<del>${formatFen(product.price)}</del></div>
<div><b>${html(product.title)}</b></div><div class="muted">限量 ${sale.stock} 件 · 每人限购 ${sale.per_buyer_limit} 件</div>
<div class="muted">${html(opensAt)} 开抢</div></div>
<div class="card" style="text-align:center"><div class="muted">距开抢</div><div id="countdown" style="font-size:28px;font-variant-numeric:tabular-nums">--:--:--</div></div>
${addressBlock}<p class="ok" id="message"></p><p class="error" id="error" role="alert"></p>
<div class="bar" id="flash" data-appid="${html(appid)}" data-sale="${html(sale.id)}" data-opens="${sale.opens_at}" data-closes="${sale.closes_at}" data-now="${deps.clock.now()}" data-requires="${sale.requires_reservation}" data-reserved="${reserved ? 1 : 0}">
<button class="btn secondary" id="reserve" type="button" ${reserved || !sale.requires_reservation ? 'hidden' : ''}>预约</button>
<button class="btn" id="buy" type="button" disabled>即将开抢</button></div>`,
      { scripts: ['/marketing/assets/flash.js'] },
    );
  });
}
