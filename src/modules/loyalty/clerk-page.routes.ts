import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { mobilePage } from '../../platform/http/html.ts';

/**
 * The clerk's member-card till, beside marketing's voucher page at /clerk (each links to the
 * other; they share only the console sign-in and the public API). Type or scan the fan's card QR
 * (18 digits, good for 60 s, once), see the card, charge stored value and/or points with one tap;
 * a 10-digit reward code hands a reward over.
 */
export function clerkCardPageRoutes(app: FastifyInstance): void {
  const script = readFileSync(new URL('./assets/clerk-card.js', import.meta.url), 'utf8');
  app.get('/loyalty/assets/clerk-card.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=300').send(script),
  );
  app.get('/clerk/card', async (_request, reply) =>
    mobilePage(
      reply,
      '会员卡收款',
      `<div id="login" class="card" hidden><b>店员登录</b>
<label class="field">邮箱<input name="email" type="email" autocomplete="username"></label>
<label class="field">密码<input name="password" type="password" autocomplete="current-password"></label>
<button class="btn" id="sign-in" type="button">登录</button></div>
<div id="desk" hidden><div class="card">门店：<b id="store">—</b> · <a href="/clerk">团购券核销</a></div>
<form class="card" id="lookup"><label class="field">会员码 / 兑换码<input name="code" id="code" inputmode="numeric" autocomplete="off" placeholder="扫描顾客的会员码，或输入兑换码" maxlength="24"></label>
<div style="display:flex;gap:8px"><button class="btn secondary" type="button" id="scan" hidden>扫码</button><button class="btn secondary">查询</button></div></form>
<video id="camera" playsinline muted hidden style="width:100%"></video>
<div class="card" id="result" hidden></div>
<form class="card" id="charge" hidden><label class="field">扣储值（元）<input name="amount" id="amount" inputmode="decimal" placeholder="0.00"></label>
<label class="field">扣积分<input name="points" id="points" inputmode="numeric" placeholder="0"></label>
<label class="field">备注<input name="note" id="note" maxlength="60" placeholder="如：拿铁一杯"></label>
<button class="btn" id="confirm-charge">确认扣款</button></form>
<div class="card" id="reward" hidden><button class="btn" type="button" id="fulfil">确认发放礼品</button></div></div>
<p class="error" id="error" role="alert"></p>`,
      { scripts: ['/loyalty/assets/clerk-card.js'] },
    ),
  );
}
