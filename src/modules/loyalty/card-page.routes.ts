import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { renderSVG } from 'uqr';
import type { AppDeps } from '../../deps.ts';
import { html, mobilePage } from '../../platform/http/html.ts';
import { formatFen } from '../../platform/money.ts';
import { accountForCallback } from '../accounts/index.ts';
import { FAN_COOKIE, fanCtx, resolveFan } from '../orders/index.ts';
import { cardOfFan, issueCard } from './cards.service.ts';
import { CODE_TTL_MS, newCardCode } from './codes.service.ts';
import { checkIn } from './earn.service.ts';
import type { LevelRule } from './loyalty.schema.ts';
import { getProgram, levelRule } from './program.service.ts';
import { cardDetail } from './report.service.ts';
import { cardRedemptions, listRewards } from './rewards.service.ts';

const REASONS: Record<string, string> = {
  order_earn: '购物得积分',
  order_reverse: '退款冲回',
  checkout_spend: '积分抵现',
  checkout_return: '订单取消退回',
  checkin: '每日签到',
  review: '评价奖励',
  expiry: '积分过期',
  store_redeem: '门店兑换',
  store_charge: '门店消费',
  checkout_pay: '储值支付',
  topup: '充值',
  topup_bonus: '充值赠送',
  reward: '积分兑换礼品',
  reward_return: '兑换取消退回',
  birthday: '生日赠送',
  topup_refund: '充值退款',
  adjustment: '人工调整',
  draw_entry: '抽奖消耗',
  draw_prize: '抽奖中奖',
};

function benefits(level: LevelRule): string[] {
  const list: string[] = [];
  if (level.discount_pct > 0) list.push(`购物 ${(100 - level.discount_pct) / 10} 折`);
  list.push(`每消费 ¥1 得 ${level.earn_rate} 积分`);
  if (level.free_shipping) list.push('全场包邮');
  if (level.birthday_gift) list.push(`生日礼：${level.birthday_gift}`);
  for (const perk of Object.values(level.store_perks)) list.push(perk);
  return list;
}

/** The card in the fan's phone: level, points, balance, benefits, a QR that changes every minute, history. */
export function cardPageRoutes(app: FastifyInstance, deps: AppDeps): void {
  const cardJs = readFileSync(new URL('../../../web/shop/card.js', import.meta.url), 'utf8');
  app.get('/shop/assets/card.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=300').send(cardJs),
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
    return fan;
  };

  app.get<{ Params: { appid: string } }>('/shop/:appid/card', async (request, reply) => {
    const fan = await fanOf(request, reply);
    if (!fan) return reply;
    const ctx = fanCtx(deps, fan);
    const base = `/shop/${html(request.params.appid)}`;
    const [program, card] = await Promise.all([getProgram(ctx), cardOfFan(ctx, fan.accountId, fan.openid)]);
    if (!card) {
      const open = program.configured && program.status === 'active';
      return mobilePage(
        reply,
        program.name,
        `<div class="card" style="background:${html(program.color)};color:#fff;min-height:120px"><b style="font-size:20px">${html(program.name)}</b></div>
<div class="card">${open ? '领取会员卡，购物得积分、享会员价。' : '会员卡暂未开放。'}</div>
${open ? `<div class="bar"><button class="btn" id="join" data-post="${base}/card/join">免费领取会员卡</button></div><p class="error" id="post-error" role="alert"></p>` : ''}`,
        { scripts: ['/shop/assets/card.js'] },
      );
    }
    const level = levelRule(program, card.level);
    const { code } = await newCardCode(ctx, card.id);
    const [detail, rewards, redemptions] = await Promise.all([
      cardDetail(ctx, card.id),
      listRewards(ctx, true),
      cardRedemptions(ctx, card.id),
    ]);
    const rank = (key: string) => program.levels.findIndex((l) => l.key === key);
    const rewardRows = rewards
      .map((r) => {
        const blocked =
          r.points > card.points
            ? '积分不足'
            : r.stock === 0
              ? '已兑完'
              : r.min_level && rank(card.level) < rank(r.min_level)
                ? `${levelRule(program, r.min_level).name}及以上`
                : '';
        return `<div class="history-row reward"><b>${html(r.name)}</b> <span class="price">${r.points} 积分</span><div class="muted">${html(r.description)}</div>${
          blocked
            ? `<span class="muted">${html(blocked)}</span>`
            : `<button class="btn secondary" type="button" data-reward="${html(r.id)}">兑换</button>`
        }</div>`;
      })
      .join('');
    const codes = redemptions
      .filter((r) => r.status === 'issued')
      .map(
        (r) =>
          `<div class="history-row">${html(r.reward_name)} <b class="redeem-code" style="letter-spacing:2px">${html(r.code)}</b><div class="muted">向店员出示兑换码领取</div></div>`,
      )
      .join('');
    const birthday = card.birthday
      ? `<div class="muted">生日：${html(card.birthday.replace('-', '月'))}日</div>`
      : `<form id="birthday-form"><label class="field">填写生日，领取生日礼<input type="date" name="birthday" required></label><button class="btn secondary">保存生日</button></form>`;
    const history = [
      ...detail.points.map((e) => ({ ...e, unit: '积分' })),
      ...detail.value.map((e) => ({ ...e, unit: '元' })),
    ]
      .sort((a, b) => b.created_at - a.created_at)
      .slice(0, 20)
      .map((e) => {
        const amount = e.unit === '元' ? formatFen(e.delta) : `${e.delta > 0 ? '+' : ''}${e.delta} 积分`;
        const when = new Date(e.created_at).toLocaleString('zh-CN', {
          timeZone: 'Asia/Shanghai',
          hour12: false,
        });
        return `<div class="history-row"><span>${html(REASONS[e.reason] ?? e.reason)}</span> <b>${html(amount)}</b><div class="muted">${html(when)}</div></div>`;
      })
      .join('');
    return mobilePage(
      reply,
      program.name,
      // The page reloads within the code's life: a new single-use code each minute, no script needed.
      `<meta http-equiv="refresh" content="${CODE_TTL_MS / 1000}">
<div class="card" id="member-card" data-appid="${html(request.params.appid)}" style="background:${html(program.color)};color:#fff">
<div style="display:flex;justify-content:space-between"><b style="font-size:18px">${html(program.name)}</b><span id="level">${html(level.name)}</span></div>
<div class="muted" style="color:#eee">No. ${html(card.number.replace(/(\d{4})(?=\d)/g, '$1 '))}</div>
<div style="display:flex;gap:24px;margin-top:12px"><div>积分<div style="font-size:22px" id="points">${card.points}</div></div>
<div>储值余额<div style="font-size:22px" id="balance">${html(formatFen(card.balance))}</div></div></div></div>
<div class="card" style="text-align:center"><div style="max-width:200px;margin:auto" id="qr">${renderSVG(code, { border: 2 })}</div>
<div id="code" style="letter-spacing:2px">${html(code.replace(/(\d{6})(?=\d)/g, '$1 '))}</div><div class="muted">向店员出示，每分钟刷新，仅可使用一次</div></div>
<div class="card"><b>${html(level.name)}权益</b><ul id="benefits">${benefits(level)
        .map((b) => `<li>${html(b)}</li>`)
        .join('')}</ul></div>
<div class="card" id="rewards"><b>积分兑换</b>${rewardRows || '<div class="muted">暂无礼品</div>'}${codes ? `<div id="redeem-codes">${codes}</div>` : ''}</div>
<div class="card">${birthday}<p class="error" id="card-error" role="alert"></p></div>
<div class="card"><button class="btn secondary" id="checkin" data-post="${base}/card/checkin">签到领 ${program.checkin_points} 积分</button><p class="error" id="post-error" role="alert"></p></div>
<div class="card" id="history"><b>明细</b>${history || '<div class="muted">暂无</div>'}</div>
${program.terms ? `<div class="card muted">${html(program.terms)}</div>` : ''}`,
      { scripts: ['/shop/assets/card.js'] },
    );
  });

  app.post<{ Params: { appid: string } }>('/shop/:appid/card/join', async (request, reply) => {
    const fan = await fanOf(request, reply);
    if (!fan) return reply;
    await issueCard(fanCtx(deps, fan), { accountId: fan.accountId, openid: fan.openid, source: 'shop' });
    return reply.redirect(`/shop/${request.params.appid}/card`, 303);
  });

  app.post<{ Params: { appid: string } }>('/shop/:appid/card/checkin', async (request, reply) => {
    const fan = await fanOf(request, reply);
    if (!fan) return reply;
    await checkIn(fanCtx(deps, fan), fan.accountId, fan.openid);
    return reply.redirect(`/shop/${request.params.appid}/card`, 303);
  });
}
