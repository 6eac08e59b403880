import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Ctx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { html, mobilePage } from '../../platform/http/html.ts';
import { formatFen } from '../../platform/money.ts';
import { jsSdkSignature } from '../../wechat/api-client.ts';
import { accountForCallback, apiClientFor } from '../accounts/index.ts';
import { getProduct } from '../catalog/index.ts';
import { describeCampaign, getCampaign } from '../marketing/index.ts';
import { FAN_COOKIE, fanCtx, resolveFan } from '../orders/index.ts';
import { fanPoints } from './draw-points.ts';
import { fanResults } from './draw-results.ts';
import { drawView } from './draws.service.ts';
import { prizesPath } from './growth-notices.ts';
import { fanPackets, getRedPacketCampaign } from './redpackets.service.ts';
import { fanShares, myShare, recordOpen, shareByToken, shareCampaign } from './share.service.ts';
import { fanTrialEntries } from './trials.jobs.ts';

const SCRIPT = readFileSync(new URL('./assets/growth.js', import.meta.url), 'utf8');
const REAL_JS_SDK = 'https://res.wx.qq.com/open/js/jweixin-1.6.0.js';
const day = (ms: number) => new Date(ms).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai' });

type Req = FastifyRequest<{ Params: { appid: string } }>;

const addressForm = (
  url: string,
) => `<form class="card" data-claim="${html(url)}"><b>填写收货地址，免费寄出</b>
<label class="field">收货人<input name="name" required maxlength="40"></label>
<label class="field">手机号<input name="phone" required maxlength="20" inputmode="tel"></label>
<label class="field">地区<input name="region" required maxlength="80"></label>
<label class="field">详细地址<input name="detail" required maxlength="200"></label>
<p class="error"></p><button class="btn">提交地址</button></form>`;

const TRIAL_STATUS: Record<string, string> = { entered: '等待开奖', won: '中奖', lost: '未中奖' };
const DRAW_OUTCOME: Record<string, string> = { won: '中奖', nothing: '未中奖', out_of_stock: '奖品已发完' };
const PACKET_STATUS: Record<string, string> = { paying: '发放中', paid: '已到零钱', failed: '发放失败' };

/** The fan's pages for growth: prizes, a red packet to open, a share to send, a lucky draw. */
export function growthPageRoutes(app: FastifyInstance, deps: AppDeps): void {
  const jsSdk =
    deps.config.wechatApiBase === 'https://api.weixin.qq.com'
      ? REAL_JS_SDK
      : `${deps.config.wechatApiBase}/assets/jweixin.js`;
  const jsSdkOrigin = new URL(jsSdk).origin;
  const scriptOrigins = jsSdkOrigin === new URL(deps.config.publicUrl).origin ? [] : [jsSdkOrigin];

  app.get('/growth/assets/growth.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=300').send(SCRIPT),
  );

  const missing = (reply: FastifyReply) =>
    mobilePage(reply, '页面不存在', '<div class="card">没有找到这个页面。</div>', { status: 404 });

  /** The signed-in fan of this account's shop, or a redirect through WeChat OAuth (null). */
  const fanOrSignIn = async (request: Req, reply: FastifyReply, next = request.url): Promise<Ctx | null> => {
    const fan = await resolveFan(deps, request.params.appid, request.cookies[FAN_COOKIE], deps.clock.now());
    if (fan) return fanCtx(deps, fan);
    await reply.redirect(`/shop/${request.params.appid}/oauth?next=${encodeURIComponent(next)}`);
    return null;
  };

  app.get<{ Params: { appid: string } }>('/shop/:appid/prizes', async (request, reply) => {
    if (!(await accountForCallback(deps, request.params.appid, deps.clock.now()))) return missing(reply);
    const fan = await fanOrSignIn(request, reply);
    if (fan?.actor.kind !== 'fan') return reply;
    const base = `/shop/${request.params.appid}`;
    const trials = (await fanTrialEntries(fan))
      .map(
        (e) => `<div class="card trial"><b>${html(e.title)}</b> · ${html(TRIAL_STATUS[e.status] ?? e.status)}
<div class="muted">${html(e.reason)}</div>${
          e.order_id
            ? `<a href="${base}/orders/${html(e.order_id)}">查看奖品订单</a>`
            : e.status === 'won' && e.prize === 'awaiting_address'
              ? addressForm(`${base}/api/trial-entries/${e.id}/claim`)
              : ''
        }</div>`,
      )
      .join('');
    const packets = (await fanPackets(fan, fan.actor.accountId, fan.actor.openid))
      .map(
        (p) =>
          `<div class="card packet"><span class="price">${formatFen(Number(p.amount))}</span> <b>${html(p.name)}</b><div class="muted">${html(PACKET_STATUS[p.status] ?? p.status)} · ${html(day(p.created_at))}</div></div>`,
      )
      .join('');
    const draws = (await fanResults(fan))
      .map(
        (r) =>
          `<div class="card draw"><b>${html(r.draw_name)}</b> · ${html(DRAW_OUTCOME[r.outcome] ?? r.outcome)}${
            r.prize_name && r.outcome === 'won' ? `「${html(r.prize_name)}」` : ''
          }${r.points_spent > 0 ? ` <span class="muted">消耗 ${r.points_spent} 积分</span>` : ''}${
            r.points_awarded > 0 ? ` <span class="ok">${r.points_awarded} 积分已到账</span>` : ''
          }${
            r.order_id
              ? ` <a href="${base}/orders/${html(r.order_id)}">查看奖品订单</a>`
              : r.outcome === 'won' && r.prize_kind === 'goods'
                ? addressForm(`${base}/api/draw-results/${r.id}/claim`)
                : ''
          }</div>`,
      )
      .join('');
    const shares = (await fanShares(fan))
      .map(
        (s) =>
          `<div class="card share"><b>${html(s.name)}</b> · ${s.opens}/${s.required_opens} 位好友打开 · ${s.unlocked_at ? (s.coupon_id ? '优惠券已到账' : '已解锁') : `<a href="${base}/share/${html(s.campaign_id)}">继续分享</a>`}</div>`,
      )
      .join('');
    const none = '<div class="card muted">暂无</div>';
    return mobilePage(
      reply,
      '我的奖品',
      `<h3>试用</h3>${trials || none}<h3>红包</h3>${packets || none}<h3>抽奖</h3>${draws || none}<h3>分享有礼</h3>${shares || none}
<div class="card"><a href="${base}/coupons">我的优惠券</a> · <a href="${base}/orders">我的订单</a></div>`,
      { scripts: ['/growth/assets/growth.js'] },
    );
  });

  app.get<{ Params: { appid: string; id: string } }>(
    '/shop/:appid/red-packets/:id',
    async (request, reply) => {
      if (!(await accountForCallback(deps, request.params.appid, deps.clock.now()))) return missing(reply);
      const fan = await fanOrSignIn(request, reply);
      if (fan?.actor.kind !== 'fan') return reply;
      const campaign = await getRedPacketCampaign(fan, request.params.id).catch(() => null);
      if (campaign?.trigger !== 'link' || campaign.account_id !== fan.actor.accountId) return missing(reply);
      const mine = (await fanPackets(fan, fan.actor.accountId, fan.actor.openid)).find(
        (p) => p.campaign_id === campaign.id,
      );
      const url = `/shop/${request.params.appid}/api/red-packets/${campaign.id}/claim`;
      return mobilePage(
        reply,
        campaign.name,
        `<div class="card" style="text-align:center;background:#fa5151;color:#fff"><div style="font-size:20px">${html(campaign.name)}</div>
<div>${Number(campaign.amount_min) === Number(campaign.amount_max) ? formatFen(Number(campaign.amount_min)) : `${formatFen(Number(campaign.amount_min))} – ${formatFen(Number(campaign.amount_max))}`} 随机红包，每人一个</div></div>
<p id="result" class="${mine ? 'ok' : ''}">${mine ? `你已领到 ${formatFen(Number(mine.amount))}` : ''}</p>
<div class="card"><a href="${prizesPath(request.params.appid)}">我的奖品</a></div>
<div class="bar"><button class="btn" id="open-packet" data-url="${html(url)}" ${mine || campaign.status !== 'active' ? 'disabled' : ''}>${mine ? '已领取' : campaign.status === 'active' ? '拆红包' : '已抢完'}</button></div>`,
        { scripts: ['/growth/assets/growth.js'] },
      );
    },
  );

  // The sharer's page: the product, the progress, and the share card handed to WeChat's JS-SDK.
  app.get<{ Params: { appid: string; id: string } }>('/shop/:appid/share/:id', async (request, reply) => {
    const found = await accountForCallback(deps, request.params.appid, deps.clock.now());
    if (!found) return missing(reply);
    const fan = await fanOrSignIn(request, reply);
    if (!fan) return reply;
    const campaign = await shareCampaign(fan, request.params.id).catch(() => null);
    if (!campaign || campaign.account_id !== found.account.id) return missing(reply);
    const share = await myShare(fan, campaign.id).catch(() => null);
    const coupon = await getCampaign(fan, campaign.coupon_campaign_id).catch(() => null);
    const product = campaign.product_id ? await getProduct(fan, campaign.product_id).catch(() => null) : null;
    const pageUrl = `${deps.config.publicUrl}${request.url}`;
    const ticket = await apiClientFor(deps, found.account).jsapiTicket();
    const signed = jsSdkSignature(ticket, pageUrl, undefined, Math.floor(deps.clock.now() / 1000));
    const link = share ? `${deps.config.publicUrl}/shop/${request.params.appid}/s/${share.token}` : '';
    const reward = coupon ? describeCampaign(coupon) : '优惠券';
    const progress = share
      ? share.unlocked_at
        ? `<p class="ok" id="unlocked">已解锁：${html(reward)}${share.coupon_id ? '，已放入你的卡包' : '，正在发放'}</p>`
        : `<p id="progress">已有 <b>${share.opens}</b> / ${campaign.required_opens} 位好友打开</p>`
      : '<p class="error">活动已结束</p>';
    return mobilePage(
      reply,
      campaign.name,
      `${product ? `<div class="card"><b>${html(product.title)}</b> <span class="price">${formatFen(Math.min(...product.skus.map((s) => s.price)))}</span> <a href="/shop/${html(request.params.appid)}/products/${html(product.id)}">查看商品</a></div>` : ''}
<div class="card" id="share" data-appid="${html(found.account.appid)}" data-timestamp="${signed.timestamp}" data-nonce="${html(signed.nonceStr)}" data-signature="${html(signed.signature)}" data-title="${html(campaign.share_title)}" data-desc="${html(campaign.share_desc)}" data-link="${html(link)}">
<b>分享给 ${campaign.required_opens} 位好友，好友打开即得 ${html(reward)}</b>
<div class="muted">点右上角「…」发送给朋友；同一位好友只算一次，自己打开不算。</div>${progress}
<p class="muted" id="share-ready" hidden>分享卡片已准备好</p></div>
<p id="result"></p><div class="card"><a href="${prizesPath(request.params.appid)}">我的奖品</a></div>`,
      { scripts: [jsSdk, '/growth/assets/growth.js'], scriptOrigins },
    );
  });

  // A friend opens a share link: always through WeChat OAuth, so the openid counted is WeChat's.
  app.get<{ Params: { appid: string; token: string } }>('/shop/:appid/s/:token', async (request, reply) => {
    if (!/^[A-Za-z0-9]{8,40}$/.test(request.params.token)) return missing(reply);
    const next = `/shop/${request.params.appid}/s/${request.params.token}/open`;
    return reply.redirect(`/shop/${request.params.appid}/oauth?next=${encodeURIComponent(next)}`);
  });
  app.get<{ Params: { appid: string; token: string } }>(
    '/shop/:appid/s/:token/open',
    async (request, reply) => {
      const fan = await fanOrSignIn(
        request,
        reply,
        `/shop/${request.params.appid}/s/${request.params.token}/open`,
      );
      if (!fan) return reply;
      const share = await shareByToken(fan, request.params.token);
      if (!share || fan.actor.kind !== 'fan' || share.account_id !== fan.actor.accountId)
        return missing(reply);
      const { outcome } = await recordOpen(fan, share);
      const campaign = await shareCampaign(fan, share.campaign_id);
      const product = campaign.product_id
        ? await getProduct(fan, campaign.product_id).catch(() => null)
        : null;
      const said = {
        counted: '你已帮好友助力成功！',
        already_counted: '你已经帮这位好友助力过了',
        own_link: '这是你自己的分享，请发给好友打开',
        closed: '活动已结束',
      }[outcome];
      const base = `/shop/${request.params.appid}`;
      return mobilePage(
        reply,
        campaign.share_title,
        `<div class="card"><p class="${outcome === 'counted' ? 'ok' : 'muted'}" id="open-outcome">${html(said)}</p></div>
${product ? `<div class="card"><b>${html(product.title)}</b> <a href="${base}/products/${html(product.id)}">去看看</a></div>` : ''}
<div class="card"><a id="own-share" href="${base}/share/${html(campaign.id)}">我也要分享领券</a></div>`,
      );
    },
  );

  app.get<{ Params: { appid: string; id: string }; Querystring: { order?: string } }>(
    '/shop/:appid/draws/:id',
    async (request, reply) => {
      const found = await accountForCallback(deps, request.params.appid, deps.clock.now());
      if (!found) return missing(reply);
      const fan = await fanOrSignIn(request, reply);
      if (!fan) return reply;
      const draw = await drawView(fan, request.params.id).catch(() => null);
      if (!draw || draw.account_id !== found.account.id) return missing(reply);
      const rule = {
        daily: '每天可抽一次',
        order: '每笔支付订单可抽一次',
        once: '每人限抽一次',
        points: `每次消耗 ${draw.entry_points} 积分`,
      }[draw.entry_rule];
      const prizes = draw.prizes
        .filter((p) => p.kind !== 'nothing')
        .map(
          (p) =>
            `<div class="card prize"><b>${html(p.name)}</b>${p.kind === 'points' ? ` <span class="muted">${p.points} 积分</span>` : ''} <span class="muted">概率 ${(p.odds / 100).toFixed(2)}% · 剩余 ${Math.max(0, p.stock - p.won)}</span></div>`,
        )
        .join('');
      // A draw by points shows its cost against what the fan's card holds (or how to get a card).
      let wallet = '';
      if (draw.entry_rule === 'points') {
        const points = await fanPoints(fan);
        wallet =
          points === null
            ? `<div class="card" id="draw-wallet">每次抽奖消耗 <b>${draw.entry_points}</b> 积分 · 你还没有会员卡，<a href="/shop/${html(request.params.appid)}/card">去领卡</a></div>`
            : `<div class="card" id="draw-wallet">每次抽奖消耗 <b>${draw.entry_points}</b> 积分 · 我的积分 <b id="draw-balance">${points}</b></div>`;
      }
      const url = `/shop/${request.params.appid}/api/draws/${draw.id}/play`;
      const order = typeof request.query.order === 'string' ? request.query.order.slice(0, 64) : '';
      return mobilePage(
        reply,
        draw.name,
        `<div class="card"><b>${html(draw.name)}</b><div class="muted">${html(rule ?? '')} · 截止 ${html(day(draw.ends_at))}</div>
<div class="muted" style="word-break:break-all">公证种子哈希：${html(draw.seed_hash)}${draw.seed ? `<br>种子：${html(draw.seed)}` : ''}</div></div>
${wallet}${prizes}<p id="result"></p><div class="card"><a href="${prizesPath(request.params.appid)}">我的奖品</a></div>
<div class="bar"><button class="btn" id="play-draw" data-url="${html(url)}" data-order="${html(order)}" data-again="${draw.entry_rule === 'points' ? '1' : ''}" ${draw.status === 'active' ? '' : 'disabled'}>${draw.status === 'active' ? '立即抽奖' : '已结束'}</button></div>`,
        { scripts: ['/growth/assets/growth.js'] },
      );
    },
  );
}
