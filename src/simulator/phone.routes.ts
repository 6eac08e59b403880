import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

const PHONE_JS = readFileSync(new URL('../../web/phone/phone.js', import.meta.url), 'utf8');
const JS_SDK = readFileSync(new URL('../../web/phone/jweixin.js', import.meta.url), 'utf8');

const PAGE = (simBase: string) => `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>微信模拟器 · 手机</title>
<style>
body{margin:0;font:15px/1.45 -apple-system,"PingFang SC","Microsoft YaHei",sans-serif;background:#2e2e2e;display:flex;justify-content:center}
.phone{width:390px;height:100vh;max-height:844px;background:#ededed;display:flex;flex-direction:column;position:relative;overflow:hidden}
.top{background:#ededed;border-bottom:1px solid #d6d6d6;padding:8px 10px;display:flex;gap:6px;align-items:center;font-size:13px;white-space:nowrap}
.top select,.top input{font-size:13px;max-width:150px;min-width:0}#title{text-align:center;font-weight:600;padding:6px 0;border-bottom:1px solid #d6d6d6}
#chat{flex:1;overflow-y:auto;padding:10px}.msg{display:flex;margin:8px 0}.msg.me{justify-content:flex-end}
.bubble{max-width:75%;padding:8px 10px;border-radius:6px;background:#fff;white-space:pre-wrap;word-break:break-word}.me .bubble{background:#95ec69}
.bubble a{color:#576b95}.news{border:1px solid #eee;border-radius:6px;padding:8px;cursor:pointer;min-width:200px}.muted{color:#888;font-size:13px}
.template{border-left:4px solid #07c160;cursor:pointer}#menu{display:flex;border-top:1px solid #d6d6d6;background:#f7f7f7}
.menu-item{flex:1;position:relative}.menu-item>button{width:100%;padding:10px 0;border:0;border-left:1px solid #e0e0e0;background:none;font-size:14px}
.sub{display:none;position:absolute;bottom:44px;left:4px;right:4px;background:#fff;border:1px solid #ddd;border-radius:6px}.sub.open{display:block}
.sub button{display:block;width:100%;padding:10px 0;border:0;border-bottom:1px solid #eee;background:none}
form#send{display:flex;gap:6px;padding:8px;background:#f7f7f7;border-top:1px solid #d6d6d6}#text{flex:1;min-width:0;padding:8px;border:1px solid #ddd;border-radius:4px;font-size:15px}
.tool{border:0;background:#fff;border-radius:4px;padding:6px 8px;white-space:nowrap}.send{background:#07c160;color:#fff;border:0;border-radius:4px;padding:6px 12px;white-space:nowrap}
#error{color:#fa5151;font-size:12px;margin:0 10px}#browser{position:absolute;inset:0;background:#fff;display:flex;flex-direction:column}
#browser[hidden]{display:none}#browser header{display:flex;justify-content:space-between;align-items:center;background:#ededed;padding:8px 10px}
#browser iframe{flex:1;border:0}
</style><script src="${simBase}/assets/phone.js" defer></script></head>
<body data-sim="${simBase}"><div class="phone">
<div class="top">公众号 <select id="account" aria-label="公众号"></select> 粉丝 <input id="openid" aria-label="粉丝 openid"></div>
<div id="title"></div><div id="chat" aria-live="polite"></div><p id="error" role="alert"></p>
<div id="menu"></div>
<form id="send"><button type="button" class="tool" id="follow">关注</button><button type="button" class="tool" id="scan" hidden>扫码</button><button type="button" class="tool" id="location">位置</button><button type="button" class="tool" id="clerk" title="店员核销页">店员</button><input id="text" placeholder="发消息" autocomplete="off"><button class="send">发送</button></form>
<div id="browser" hidden><header><button class="tool" id="close-browser">✕ 返回聊天</button><span class="muted">微信内置浏览器</span><button class="tool" id="share-friend" hidden>分享给朋友</button></header><iframe id="browser-frame" title="页面"></iframe></div>
</div></body></html>`;

/** The fan's phone: chat with an account, tap menus, scan codes, open links, pay. */
export function phoneRoutes(app: FastifyInstance, simBase: string): void {
  app.get('/phone', async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header(
        'content-security-policy',
        "default-src 'self'; img-src * data:; style-src 'unsafe-inline'; frame-src 'self'",
      )
      .send(PAGE(simBase)),
  );
  app.get('/assets/phone.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').send(PHONE_JS),
  );
  // The JS-SDK pages opened in the phone's browser load (WeChat serves it from res.wx.qq.com).
  app.get('/assets/jweixin.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').send(JS_SDK),
  );
}
