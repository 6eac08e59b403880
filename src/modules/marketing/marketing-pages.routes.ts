import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { renderSVG } from 'uqr';
import type { AppDeps } from '../../deps.ts';
import { html, mobilePage } from '../../platform/http/html.ts';
import { formatFen } from '../../platform/money.ts';
import { accountForCallback } from '../accounts/index.ts';
import { FAN_COOKIE, fanCtx, resolveFan } from '../orders/index.ts';
import { adminAuthHook } from '../tenants/index.ts';
import type { CampaignView } from './coupons.service.ts';
import { fanCoupons, getCampaign } from './coupons.service.ts';
import { flashPageRoutes } from './flash-pages.ts';

const script = (name: string) => readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');

/** A voucher code as a QR image (inline SVG: no extra request, sharp on any screen). */
export const voucherQr = (code: string) => renderSVG(code, { border: 2 });

export function describeCampaign(c: Pick<CampaignView, 'kind' | 'value' | 'min_spend' | 'max_off'>): string {
  switch (c.kind) {
    case 'fixed':
      return `立减 ${formatFen(c.value)}`;
    case 'threshold':
      return `满 ${formatFen(c.min_spend)} 减 ${formatFen(c.value)}`;
    case 'percent':
      return `${c.value / 10} 折${c.max_off ? `，最高减 ${formatFen(c.max_off)}` : ''}`;
    case 'first_order':
      return `首单 ${formatFen(c.value)}`;
    case 'free_shipping':
      return '包邮';
  }
}

/** The fan's coupon pages and the clerk's redeem page, server-rendered and mobile-first. */
export function marketingPageRoutes(app: FastifyInstance, deps: AppDeps): void {
  flashPageRoutes(app, deps);
  const assets = {
    'marketing.js': script('marketing.js'),
    'clerk.js': script('clerk.js'),
    'flash.js': script('flash.js'),
  };
  app.get<{ Params: { name: string } }>('/marketing/assets/:name', async (request, reply) => {
    const body = assets[request.params.name as keyof typeof assets];
    if (!body) return reply.status(404).send();
    return reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .send(body);
  });

  const fanOrRedirect = async (
    request: FastifyRequest<{ Params: { appid: string } }>,
    reply: FastifyReply,
  ) => {
    const fan = await resolveFan(deps, request.params.appid, request.cookies[FAN_COOKIE], deps.clock.now());
    if (!fan)
      await reply.redirect(`/shop/${request.params.appid}/oauth?next=${encodeURIComponent(request.url)}`);
    return fan;
  };
  const missing = (reply: FastifyReply) =>
    mobilePage(reply, '页面不存在', '<div class="card">没有找到这个页面。</div>', { status: 404 });

  app.get<{ Params: { appid: string; id: string } }>('/shop/:appid/coupons/:id', async (request, reply) => {
    if (!(await accountForCallback(deps, request.params.appid, deps.clock.now()))) return missing(reply);
    const fan = await fanOrRedirect(request, reply);
    if (!fan) return reply;
    const ctx = fanCtx(deps, fan);
    const campaign = await getCampaign(ctx, request.params.id).catch(() => null);
    if (!campaign) return missing(reply);
    const mine = (await fanCoupons(ctx)).filter((c) => c.campaign_id === campaign.id);
    const left = Math.max(0, campaign.total_limit - campaign.claimed);
    const until = campaign.valid_days
      ? `领取后 ${campaign.valid_days} 天内有效`
      : `有效期至 ${new Date(campaign.valid_until ?? 0).toLocaleDateString('zh-CN', { timeZone: 'Asia/Shanghai' })}`;
    const claimable = mine.length < campaign.per_fan_limit && left > 0 && campaign.status === 'active';
    return mobilePage(
      reply,
      campaign.name,
      `<div class="card coupon"><div class="price" style="font-size:26px">${html(describeCampaign(campaign))}</div>
<div><b>${html(campaign.name)}</b></div><div class="muted">${html(until)} · ${campaign.scope === 'all' ? '全场通用' : '指定商品可用'}</div>
<div class="muted">剩余 ${left} 张</div></div>
<p class="error" id="error" role="alert"></p><p class="ok" id="claimed">${mine.length ? '已领取，下单时自动使用最优券' : ''}</p>
<div class="card"><a href="/shop/${html(request.params.appid)}/">去逛逛</a> · <a href="/shop/${html(request.params.appid)}/coupons">我的优惠券</a></div>
<div class="bar"><button class="btn" id="claim" data-appid="${html(request.params.appid)}" data-campaign="${html(campaign.id)}" ${claimable ? '' : 'disabled'}>${claimable ? '立即领取' : mine.length ? '已领取' : '已领完'}</button></div>`,
      { scripts: ['/marketing/assets/marketing.js'] },
    );
  });

  app.get<{ Params: { appid: string } }>('/shop/:appid/coupons', async (request, reply) => {
    const fan = await fanOrRedirect(request, reply);
    if (!fan) return reply;
    const now = deps.clock.now();
    const rows = (await fanCoupons(fanCtx(deps, fan)))
      .map((c) => {
        const state =
          c.status === 'used'
            ? '已使用'
            : c.status === 'void'
              ? '已失效'
              : c.valid_until <= now
                ? '已过期'
                : '可用';
        return `<div class="card"><span class="price">${html(describeCampaign(c.campaign))}</span> <b>${html(c.campaign.name)}</b><div class="muted">${state} · 至 ${html(new Date(c.valid_until).toLocaleDateString('zh-CN', { timeZone: 'Asia/Shanghai' }))}</div></div>`;
      })
      .join('');
    return mobilePage(reply, '我的优惠券', rows || '<div class="card">还没有优惠券。</div>');
  });

  // The clerk's page: a console login (clerk role), then type or scan a code and redeem with one tap.
  const signedIn = adminAuthHook(deps);
  app.get('/clerk', async (request, reply) => {
    // Known on the server, so the page never probes the API just to learn it must show the login.
    const known = await signedIn(request).then(
      () => true,
      () => false,
    );
    return mobilePage(
      reply,
      '团购券核销',
      `<div id="login" class="card" data-signed-in="${known ? 1 : 0}" hidden><b>店员登录</b>
<label class="field">邮箱<input name="email" type="email" autocomplete="username"></label>
<label class="field">密码<input name="password" type="password" autocomplete="current-password"></label>
<button class="btn" id="sign-in" type="button">登录</button></div>
<div id="desk" hidden><div class="card">门店：<b id="store"></b> · <a href="/clerk/card">会员卡收款</a></div>
<form class="card" id="lookup"><label class="field">券码 / 提货码<input name="code" id="code" inputmode="numeric" autocomplete="off" placeholder="输入或扫描 12 位券码或 10 位提货码" maxlength="20"></label>
<div style="display:flex;gap:8px"><button class="btn secondary" type="button" id="scan" hidden>扫码</button><button class="btn secondary">查询</button></div></form>
<video id="camera" playsinline muted hidden style="width:100%"></video>
<div class="card" id="result" hidden></div></div>
<p class="error" id="error" role="alert"></p>
<div class="bar" id="redeem-bar" style="display:none"><button class="btn" id="redeem" type="button">确认核销</button></div>`,
      // Inside WeChat the page loads WeChat's JS-SDK itself, to scan with WeChat's own scanner.
      { scripts: ['/marketing/assets/clerk.js'], scriptOrigins: ['https://res.wx.qq.com'] },
    );
  });
}
