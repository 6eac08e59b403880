import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Ctx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { html, mobilePage } from '../../platform/http/html.ts';
import { formatFen } from '../../platform/money.ts';
import { accountForCallback } from '../accounts/index.ts';
import { getProduct, getStore, listStores, specText } from '../catalog/index.ts';
import { followInvite } from '../channel/index.ts';
import { couponOptions, orderVouchers, priceItems, voucherQr } from '../marketing/index.ts';
import { recordVisit } from '../messaging/index.ts';
import {
  FAN_COOKIE,
  type FanSession,
  fanCtx,
  getOrder,
  listAddresses,
  listOrders,
  type OrderView,
  orderPolicy,
  productReviews,
  quoteCheckout,
  resolveFan,
  reviewedProducts,
} from '../orders/index.ts';
import { checkoutParts } from './checkout-api.routes.ts';
import { memberBlock } from './member-block.ts';

const STATUS_TEXT: Record<string, string> = {
  pending_payment: '待支付',
  paid: '支付成功，等待发货',
  shipped: '已发货',
  completed: '已完成',
  cancelled: '已取消',
  refunding: '退款中',
  refunded: '已退款',
};

/** A paid order waits for shipping only when it has an address: deals and memberships have none. */
function orderStatusText(order: Pick<OrderView, 'status' | 'pickup_store_id' | 'address'>): string {
  if (order.status !== 'paid') return STATUS_TEXT[order.status] ?? order.status;
  if (order.pickup_store_id) return '支付成功，待到店提货';
  return order.address ? '支付成功，等待发货' : '支付成功';
}

/**
 * The buyer's pages: product with one-tap checkout, order result, order list. The fan is signed in
 * silently through WeChat OAuth (snsapi_base) on first visit; a returning buyer's address is
 * already there, so card → product → pay → confirm takes three taps.
 */
export function checkoutPageRoutes(app: FastifyInstance, deps: AppDeps): void {
  const checkoutJs = readFileSync(new URL('../../../web/shop/checkout.js', import.meta.url), 'utf8');
  app.get('/shop/assets/checkout.js', async (_request, reply) =>
    reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .send(checkoutJs),
  );

  /** The signed-in fan, or a redirect through OAuth back to this very page. */
  async function fanOrRedirect(
    request: FastifyRequest<{ Params: { appid: string } }>,
    reply: FastifyReply,
  ): Promise<FanSession | null> {
    const fan = await resolveFan(deps, request.params.appid, request.cookies[FAN_COOKIE], deps.clock.now());
    if (fan) {
      // Arrived through a send's tracked link: the send gets the visit, and the orders that follow.
      const token = (request.query as { wl_bc?: unknown }).wl_bc;
      if (typeof token === 'string' && token)
        await recordVisit(fanCtx(deps, fan), { accountId: fan.accountId, openid: fan.openid, token });
      return fan;
    }
    await reply.redirect(`/shop/${request.params.appid}/oauth?next=${encodeURIComponent(request.url)}`);
    return null;
  }
  const notFound = (reply: FastifyReply) =>
    mobilePage(reply, '页面不存在', '<div class="card">没有找到这个页面。</div>', { status: 404 });
  const ctxOf = (fan: FanSession) => ({ ...fanCtx(deps, fan), openid: fan.openid });

  app.get<{ Params: { appid: string; id: string } }>('/shop/:appid/products/:id', async (request, reply) => {
    if (!(await accountForCallback(deps, request.params.appid, deps.clock.now()))) return notFound(reply);
    const fan = await fanOrRedirect(request, reply);
    if (!fan) return reply;
    const product = await getProduct(ctxOf(fan), request.params.id).catch(() => null);
    if (product?.status !== 'on_sale') return notFound(reply);
    const [addresses, policy, reviews, stores] = await Promise.all([
      listAddresses(ctxOf(fan)),
      orderPolicy(ctxOf(fan)),
      productReviews(ctxOf(fan), product.id, 5),
      product.kind === 'goods' ? listStores(ctxOf(fan), { limit: 20 }) : { items: [] },
    ]);
    const firstInStock = product.skus.find((s) => s.stock > 0);
    // The best of the fan's coupons for this item, already applied: the server recomputes it at checkout.
    const lines = firstInStock
      ? await priceItems(fanCtx(deps, fan), [{ sku_id: firstInStock.id, quantity: 1 }])
      : [];
    const [best] = firstInStock ? await couponOptions(fanCtx(deps, fan), lines) : [];
    const member = firstInStock ? await memberBlock(fanCtx(deps, fan), fan.accountId, fan.openid) : '';
    // With a coupon or a card the total is the server's quote (coupon, then the level's discount).
    const quoted =
      firstInStock && (best || member)
        ? await quoteCheckout(
            fanCtx(deps, fan),
            { items_total: firstInStock.price, shipping_fee: 0, lines },
            await checkoutParts(fanCtx(deps, fan), { coupon_id: best?.coupon_id }),
          )
        : null;
    const couponAttrs =
      quoted && firstInStock
        ? `${best ? ` data-coupon="${html(best.coupon_id)}"` : ''}${member ? ' data-member="1"' : ''} data-coupon-sku="${html(firstInStock.id)}" data-total="${quoted.total}"`
        : '';
    const memberOff = (quoted?.adjustments ?? []).filter((a) => a.kind === 'member_discount');
    const couponCard = best
      ? `<div class="card" id="coupon">优惠券：${html(best.name)} <span class="price">-${formatFen(best.off)}</span></div>`
      : '';
    const skus = product.skus
      .map(
        (s) =>
          `<label class="sku${s.stock > 0 ? '' : ' out'}"><input type="radio" name="sku" value="${html(s.id)}" data-price="${s.price}" ${s.id === firstInStock?.id ? 'checked' : ''} ${s.stock > 0 ? '' : 'disabled'}>${html(specText(s.spec) || '默认')} ${formatFen(s.price)}</label>`,
      )
      .join('');
    const saved = addresses[0];
    const shipped = product.kind === 'goods';
    const addressBlock = !shipped
      ? '<div class="card muted">团购券：付款后凭二维码到店核销</div>'
      : saved
        ? `<div class="card" id="address" data-address-id="${html(saved.id)}">送至：${html(saved.name)} ${html(saved.phone)}<div class="muted">${html(saved.region)} ${html(saved.detail)}</div></div>`
        : `<div class="card" id="address"><b>收货地址</b>
<label class="field">收货人<input name="name" autocomplete="name" required maxlength="30"></label>
<label class="field">手机号<input name="phone" type="tel" autocomplete="tel" required maxlength="20"></label>
<label class="field">所在地区<input name="region" required maxlength="60" placeholder="省 市 区"></label>
<label class="field">详细地址<input name="detail" autocomplete="street-address" required maxlength="120"></label></div>`;
    // Goods may be collected at one of the merchant's stores instead of shipped.
    const delivery =
      shipped && stores.items.length > 0
        ? `<div class="card" id="delivery"><b>配送方式</b><label class="field"><input type="radio" name="delivery" value="" checked> 快递配送</label>${stores.items
            .map(
              (s) =>
                `<label class="field"><input type="radio" name="delivery" value="${html(s.id)}"> 到店自提：${html(s.name)} <span class="muted">${html(s.address)}</span></label>`,
            )
            .join('')}</div>`
        : '';
    const cod =
      policy.codEnabled && shipped
        ? '<button class="btn secondary" name="method" value="cod">货到付款</button>'
        : '';
    const reviewsBlock = `<div class="card"><b>评价（${product.rating_count}）</b>${
      reviews
        .map((r) => `<div>${'★'.repeat(r.rating)}${'☆'.repeat(5 - r.rating)} ${html(r.text)}</div>`)
        .join('') || '<div class="muted">还没有评价</div>'
    }</div>`;
    const cart = shipped
      ? '<button class="btn secondary" type="button" id="add-to-cart">加入购物车</button>'
      : '';
    return mobilePage(
      reply,
      product.title,
      `<form id="checkout"${couponAttrs} data-appid="${html(request.params.appid)}" data-product="${html(product.id)}" data-simulator="${deps.config.simulator ? `${html(deps.config.wechatApiBase)}` : ''}">
<div class="card"><div class="price" style="font-size:22px">${formatFen(product.price)}${product.original_price > product.price ? `<del>${formatFen(product.original_price)}</del>` : ''}</div>
<div><b>${html(product.title)}</b></div><div class="muted">${html(product.subtitle)}</div>
<div class="muted">${product.rating === null ? '暂无评价' : `${product.rating.toFixed(1)}分 · ${product.rating_count}条评价`} · 已售 ${product.sales}</div></div>
<div class="card"><b>规格</b><div>${skus}</div></div>
${couponCard}${memberOff.map((a) => `<div class="card" id="member-discount">${html(a.label)} <span class="price">-${formatFen(a.amount)}</span></div>`).join('')}${member}${delivery}${addressBlock}
<div class="card">${html(product.description).replaceAll('\n', '<br>') || '<span class="muted">暂无详情</span>'}</div>
${reviewsBlock}
<p class="error" id="error" role="alert"></p>
<div class="bar">${cart}${cod}<button class="btn" name="method" value="wechat" id="pay" ${firstInStock ? '' : 'disabled'}>${firstInStock ? `微信支付 ${formatFen(quoted ? quoted.total : firstInStock.price)}` : '已售罄'}</button></div>
</form>`,
      { scripts: ['/shop/assets/checkout.js'] },
    );
  });

  app.get<{ Params: { appid: string; id: string } }>('/shop/:appid/orders/:id', async (request, reply) => {
    const fan = await fanOrRedirect(request, reply);
    if (!fan) return reply;
    const order = await getOrder(ctxOf(fan), request.params.id).catch(() => null);
    if (!order) return notFound(reply);
    const items = order.items
      .map(
        (i) =>
          `<div>${html(i.title)} <span class="muted">${html(i.spec_text)} ×${i.quantity}</span> ${formatFen(i.subtotal)}</div>`,
      )
      .join('');
    const invite = order.status === 'paid' ? await followInviteCard(deps, fan) : '';
    const vouchers = await voucherCards(deps, fan, order.id);
    const pickup = await pickupCard(fanCtx(deps, fan), order);
    const reviewed = await reviewedProducts(ctxOf(fan), order.id);
    const canReview = order.status === 'shipped' || order.status === 'completed';
    const reviewForms = canReview
      ? order.items
          // One review per product, even when the order has several of its SKUs.
          .filter(
            (i, index, all) =>
              !reviewed.has(i.product_id) && all.findIndex((x) => x.product_id === i.product_id) === index,
          )
          .map(
            (i) =>
              `<form class="card review" data-product="${html(i.product_id)}"><b>评价：${html(i.title)}</b><label class="field">评分（1–5）<input name="rating" type="number" min="1" max="5" value="5" required></label><label class="field">说说感受<input name="text" maxlength="500" required></label><button class="btn">提交评价</button></form>`,
          )
          .join('')
      : '';
    const actions = `<div id="order-actions" data-appid="${html(request.params.appid)}" data-order="${html(order.id)}">${
      order.status === 'pending_payment'
        ? '<button class="btn secondary" type="button" data-action="cancel">取消订单</button>'
        : ''
    }${order.status === 'shipped' ? '<button class="btn" type="button" data-action="receive">确认收货</button>' : ''}<p class="error" id="action-error" role="alert"></p></div>${reviewForms}`;
    const pay =
      order.status === 'pending_payment' && order.payment_method === 'wechat'
        ? `<form id="checkout" data-appid="${html(request.params.appid)}" data-order="${html(order.id)}" data-simulator="${deps.config.simulator ? html(deps.config.wechatApiBase) : ''}"><p class="error" id="error" role="alert"></p><div class="bar"><button class="btn" name="method" value="wechat" id="pay">微信支付 ${formatFen(order.total)}</button></div></form>`
        : '';
    const statusText = orderStatusText(order);
    return mobilePage(
      reply,
      statusText,
      `<div class="card"><div class="${order.status === 'paid' ? 'ok' : ''}" id="status">${html(statusText)}</div><div class="muted">订单号 ${html(order.id)}</div></div>
<div class="card">${items}${order.discount > 0 ? `<div>优惠 -${formatFen(order.discount)}${(order.adjustments ?? []).map((a) => ` <span class="muted">${html(a.label)}</span>`).join('')}</div>` : ''}<div>合计 <span class="price">${formatFen(order.total)}</span>（${order.payment_method === 'cod' ? '货到付款' : '微信支付'}）</div></div>
${order.address ? `<div class="card">${html(order.address.name)} ${html(order.address.phone)}<div class="muted">${html(order.address.region)} ${html(order.address.detail)}</div></div>` : ''}
${order.tracking_no ? `<div class="card">物流：${html(order.carrier)} ${html(order.tracking_no)}</div>` : ''}
${pickup}${vouchers}${invite}${actions}<div class="card"><a href="/shop/${html(request.params.appid)}/orders">我的订单</a> · <a href="/shop/${html(request.params.appid)}/cart">购物车</a></div>${pay}`,
      { scripts: ['/shop/assets/checkout.js'] },
    );
  });

  app.get<{ Params: { appid: string } }>('/shop/:appid/cart', async (request, reply) => {
    const fan = await fanOrRedirect(request, reply);
    if (!fan) return reply;
    const [addresses, member] = await Promise.all([
      listAddresses(ctxOf(fan)),
      memberBlock(fanCtx(deps, fan), fan.accountId, fan.openid),
    ]);
    const saved = addresses[0];
    const addressBlock = saved
      ? `<div class="card" id="address" data-address-id="${html(saved.id)}">送至：${html(saved.name)} ${html(saved.phone)}<div class="muted">${html(saved.region)} ${html(saved.detail)}</div></div>`
      : `<div class="card" id="address"><b>收货地址</b><label class="field">收货人<input name="name" required maxlength="30"></label><label class="field">手机号<input name="phone" type="tel" required maxlength="20"></label><label class="field">所在地区<input name="region" required maxlength="60"></label><label class="field">详细地址<input name="detail" required maxlength="120"></label></div>`;
    return mobilePage(
      reply,
      '购物车',
      `<form id="checkout" data-appid="${html(request.params.appid)}" data-cart="1" data-simulator="${deps.config.simulator ? html(deps.config.wechatApiBase) : ''}">
<div class="card" id="cart-items"><span class="muted">购物车是空的</span></div><div class="card" id="coupon" hidden></div>${member}${addressBlock}<p class="error" id="error" role="alert"></p>
<div class="bar"><button class="btn" name="method" value="wechat" id="pay" disabled>微信支付</button></div></form>`,
      { scripts: ['/shop/assets/checkout.js'] },
    );
  });

  app.get<{ Params: { appid: string } }>('/shop/:appid/orders', async (request, reply) => {
    const fan = await fanOrRedirect(request, reply);
    if (!fan) return reply;
    const { items } = await listOrders(ctxOf(fan), { openid: fan.openid, limit: 50 });
    const rows = items
      .map(
        (o) =>
          `<div class="card"><a href="orders/${html(o.id)}">${html(o.items[0]?.title ?? o.id)}</a><div class="muted">${html(orderStatusText(o))} · ${formatFen(o.total)}</div></div>`,
      )
      .join('');
    return mobilePage(reply, '我的订单', rows || '<div class="card">还没有订单。</div>');
  });
}

const VOUCHER_TEXT: Record<string, string> = {
  valid: '待使用',
  redeemed: '已核销',
  expired: '已过期',
  refunded: '已退款',
};

/** A paid deal's vouchers: code and QR code to show the clerk, and whether each was used. */
/** A pickup order: the store, the code and its QR for the counter, or when it was collected. */
async function pickupCard(ctx: Ctx, order: OrderView): Promise<string> {
  if (!order.pickup_store_id || !order.pickup_code) return '';
  const store = await getStore(ctx, order.pickup_store_id).catch(() => null);
  const code = order.pickup_code.replace(/(\d{4})(?=\d)/g, '$1 ');
  const state = order.collected_at
    ? `<span class="muted">已提货 ${html(new Date(order.collected_at).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false }))}</span>`
    : order.status === 'paid'
      ? '<span class="ok">待提货</span>'
      : '<span class="muted">付款后可提货</span>';
  const showCode = order.status === 'paid' && !order.collected_at;
  return `<div class="card pickup" data-collected="${order.collected_at ? 1 : 0}"><b>到店自提</b> ${state}
<div>${html(store?.name ?? '')} <span class="muted">${html(store?.address ?? '')}</span></div>
${showCode ? `<div class="muted">提货码</div><div style="font-size:22px;letter-spacing:2px" class="code" id="pickup-code">${html(code)}</div><div style="width:180px">${voucherQr(order.pickup_code)}</div>` : ''}</div>`;
}

async function voucherCards(deps: AppDeps, fan: FanSession, orderId: string): Promise<string> {
  const vouchers = await orderVouchers(fanCtx(deps, fan), orderId, fan.openid);
  return vouchers
    .map(
      (v) =>
        `<div class="card voucher" data-status="${html(v.status)}"><b>${html(v.title)}</b> <span class="${v.status === 'valid' ? 'ok' : 'muted'}">${html(VOUCHER_TEXT[v.status] ?? v.status)}</span>
<div style="font-size:22px;letter-spacing:2px" class="code">${html(v.code.replace(/(\d{4})(?=\d)/g, '$1 '))}</div>${v.status === 'valid' ? `<div style="width:180px">${voucherQr(v.code)}</div>` : ''}
<div class="muted">${v.valid_until ? `有效期至 ${html(new Date(v.valid_until).toLocaleDateString('zh-CN', { timeZone: 'Asia/Shanghai' }))}` : '长期有效'}</div></div>`,
    )
    .join('');
}

/** After paying, a fan who does not follow the merchant's service account is invited to. */
async function followInviteCard(deps: AppDeps, fan: FanSession): Promise<string> {
  const invite = await followInvite(fanCtx(deps, fan), fan.accountId, fan.openid);
  if (!invite) return '';
  const image = invite.ticket
    ? `<img alt="关注二维码" width="160" height="160" src="${html(`${deps.config.wechatApiBase}/cgi-bin/showqrcode?ticket=${encodeURIComponent(invite.ticket)}`)}">`
    : '';
  return `<div class="card" id="follow-invite">关注「${html(invite.serviceName)}」，及时收到发货与物流通知。${image}</div>`;
}
