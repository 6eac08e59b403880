import { readFileSync } from 'node:fs';
import { Type } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Ctx } from '../../context.ts';
import type { Api, AppDeps } from '../../deps.ts';
import { html, mobilePage } from '../../platform/http/html.ts';
import { withErrors } from '../../platform/http/schemas.ts';
import { formatFen } from '../../platform/money.ts';
import { accountForCallback } from '../accounts/index.ts';
import { FAN_COOKIE, fanCtx, requireFan, resolveFan } from '../orders/index.ts';
import { statement } from './commissions.service.ts';
import { Distributor, Statement, Withdrawal } from './distribution.schemas.ts';
import { distSettings } from './distribution.settings.ts';
import {
  becomeDistributor,
  bindBuyer,
  checkJoinNote,
  distributorByCode,
  distributorOfFan,
  requireFanActor,
} from './distributors.service.ts';
import { fanWithdrawals, requestWithdrawal } from './withdrawals.service.ts';

const SCRIPT = '/shop/assets/distribution.js';

const linkOf = (deps: AppDeps, appid: string, code: string) =>
  `${deps.config.publicUrl}/shop/${appid}/d/${code}`;

async function joinAsFan(fan: Ctx, note?: string) {
  checkJoinNote(note);
  const settings = await distSettings(fan);
  // Joining by package happens when the package is paid for; asking here is refused as `join_mode`.
  const via = settings.join_mode === 'package' ? 'apply' : settings.join_mode;
  return becomeDistributor(fan, requireFanActor(fan), via, note ?? '');
}

async function centre(fan: Ctx, appid: string) {
  const me = requireFanActor(fan);
  const settings = await distSettings(fan);
  const distributor = await distributorOfFan(fan, me.accountId, me.openid);
  if (distributor?.status !== 'active') return { settings, distributor, statement: null, withdrawals: [] };
  return {
    settings,
    distributor,
    link: linkOf(fan.deps, appid, distributor.code),
    statement: await statement(fan, distributor.id),
    withdrawals: await fanWithdrawals(fan, distributor.id),
  };
}

/** The fan's JSON API: my distributor status and statement, join, withdraw. */
export function distributionShopApi(app: Api, deps: AppDeps): void {
  const tags = ['shop'];
  const Params = Type.Object({ appid: Type.String({ maxLength: 32 }) });
  app.get(
    '/shop/:appid/api/distribution/me',
    {
      schema: {
        tags,
        params: Params,
        response: withErrors({
          200: Type.Object({
            enabled: Type.Boolean(),
            join_mode: Type.String(),
            distributor: Type.Union([Distributor, Type.Null()]),
            link: Type.Union([Type.String(), Type.Null()]),
            statement: Type.Union([Statement, Type.Null()]),
          }),
        }),
      },
    },
    async (request) => {
      const fan = await requireFan(deps, request);
      const view = await centre(fan, request.params.appid);
      return {
        enabled: view.settings.enabled,
        join_mode: view.settings.join_mode,
        distributor: view.distributor ?? null,
        link: 'link' in view ? (view.link ?? null) : null,
        statement: view.statement,
      };
    },
  );
  app.post(
    '/shop/:appid/api/distribution/join',
    {
      schema: {
        tags,
        summary: '成为分销员 / Become a distributor',
        params: Params,
        body: Type.Optional(Type.Object({ note: Type.Optional(Type.String({ maxLength: 200 })) })),
        response: withErrors({ 201: Distributor }),
      },
    },
    async (request, reply) =>
      reply.status(201).send(await joinAsFan(await requireFan(deps, request), request.body?.note)),
  );
  app.post(
    '/shop/:appid/api/distribution/withdrawals',
    {
      schema: {
        tags,
        summary: '申请提现 / Ask to withdraw',
        params: Params,
        body: Type.Object({ amount: Type.Integer({ minimum: 1, maximum: 100_000_000 }) }),
        response: withErrors({ 201: Withdrawal }),
      },
    },
    async (request, reply) => {
      const fan = await requireFan(deps, request);
      return reply.status(201).send(await requestWithdrawal(fan, requireFanActor(fan), request.body.amount));
    },
  );
}

const STATUS_TEXT: Record<string, string> = {
  pending: '审核中',
  rejected: '未通过',
  suspended: '已停用',
  requested: '待审核',
  paying: '打款中',
  paid: '已到账',
  failed: '打款失败',
};

/** The fan's pages: the distributor centre, and the referral link that binds and forwards. */
export function distributionPageRoutes(app: FastifyInstance, deps: AppDeps): void {
  const script = readFileSync(new URL('../../../web/shop/distribution.js', import.meta.url), 'utf8');
  app.get(SCRIPT, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=300').send(script),
  );
  type Req = FastifyRequest<{ Params: { appid: string } }>;
  const fanOf = async (request: Req, reply: FastifyReply) => {
    if (!(await accountForCallback(deps, request.params.appid, deps.clock.now()))) {
      await mobilePage(reply, '页面不存在', '<div class="card">没有找到这个页面。</div>', { status: 404 });
      return null;
    }
    const fan = await resolveFan(deps, request.params.appid, request.cookies[FAN_COOKIE], deps.clock.now());
    if (!fan)
      await reply.redirect(`/shop/${request.params.appid}/oauth?next=${encodeURIComponent(request.url)}`);
    return fan ? fanCtx(deps, fan) : null;
  };

  app.get<{ Params: { appid: string } }>('/shop/:appid/distribution', async (request, reply) => {
    const fan = await fanOf(request, reply);
    if (!fan) return reply;
    const api = `/shop/${html(request.params.appid)}/api/distribution`;
    const view = await centre(fan, request.params.appid);
    const { distributor, settings } = view;
    if (distributor?.status !== 'active') {
      const state = distributor ? STATUS_TEXT[distributor.status] : null;
      const canJoin =
        settings.enabled &&
        settings.join_mode !== 'package' &&
        (!distributor || distributor.status === 'rejected');
      const how =
        settings.join_mode === 'package'
          ? '购买指定礼包即可成为分销员。'
          : settings.join_mode === 'apply'
            ? '提交申请，店主审核通过后即可分享赚佣金。'
            : '一键加入，分享商品给好友，好友购买你得佣金。';
      return mobilePage(
        reply,
        '分销中心',
        `<div class="card">${settings.enabled ? html(how) : '分销暂未开放。'}</div>
${state ? `<div class="card" id="dist-status">申请状态：${html(state)}</div>` : ''}
<div class="error" id="error"></div>
${canJoin ? `<div class="bar"><button class="btn" id="join" data-api="${api}/join">${settings.join_mode === 'apply' ? '申请成为分销员' : '成为分销员'}</button></div>` : ''}`,
        { scripts: [SCRIPT] },
      );
    }
    const s = view.statement!;
    const rows = s.ledger
      .slice(0, 20)
      .map(
        (l) =>
          `<div class="history-row"><span>${{ commission: '佣金结算', withdrawal: '提现', withdrawal_return: '提现退回' }[l.kind] ?? html(l.kind)}</span> <b>${html(formatFen(l.amount))}</b></div>`,
      )
      .join('');
    const withdrawals = view.withdrawals
      .map(
        (w) =>
          `<div>${html(formatFen(Number(w.amount)))} · <span class="w-status">${html(STATUS_TEXT[w.status] ?? w.status)}</span></div>`,
      )
      .join('');
    const link = 'link' in view ? String(view.link) : '';
    return mobilePage(
      reply,
      '分销中心',
      `<div class="card"><div class="muted">可提现（已结算）</div><div style="font-size:26px" id="balance">${html(formatFen(s.balance))}</div>
<div style="display:flex;gap:24px;margin-top:8px"><div>待结算<div id="pending">${html(formatFen(s.pending))}</div></div><div>累计结算<div id="settled">${html(formatFen(s.settled))}</div></div></div></div>
<div class="card"><b>我的推广链接</b><div id="link" style="word-break:break-all">${html(link)}</div><div class="muted">好友通过链接或二维码进入并购买，你得佣金（${settings.refund_window_days} 天退款期后结算）。</div>
${distributor.qr_url ? `<img id="qr" alt="推广二维码" src="${html(distributor.qr_url)}" style="width:160px;display:block;margin:8px auto">` : ''}</div>
<div class="card" id="withdrawals"><b>提现记录</b>${withdrawals || '<div class="muted">暂无</div>'}</div>
<div class="card" id="ledger"><b>明细</b>${rows || '<div class="muted">暂无</div>'}</div>
<div class="error" id="error"></div>
${s.balance >= Math.max(10, settings.min_withdrawal) ? `<div class="bar"><button class="btn" id="withdraw" data-api="${api}/withdrawals" data-body='{"amount":${s.balance}}'>提现全部 ${html(formatFen(s.balance))}</button></div>` : ''}`,
      { scripts: [SCRIPT] },
    );
  });

  // A referral link: bind the visitor to the distributor (by the rules), then go where it points.
  app.get<{ Params: { appid: string; code: string }; Querystring: { p?: string } }>(
    '/shop/:appid/d/:code',
    async (request, reply) => {
      const fan = await fanOf(request, reply);
      if (!fan) return reply;
      const code = String(request.params.code).slice(0, 32);
      const product = /^[A-Za-z0-9_]{1,64}$/.test(String(request.query.p ?? ''))
        ? String(request.query.p)
        : null;
      const referrer = await distributorByCode(fan, code);
      if (referrer)
        await bindBuyer(fan, { ...requireFanActor(fan), distributorId: referrer.id, source: 'link' });
      const appid = encodeURIComponent(request.params.appid);
      return reply.redirect(product ? `/shop/${appid}/products/${product}` : `/shop/${appid}/search`, 302);
    },
  );
}
