import type { FastifyInstance } from 'fastify';
import { jsSdkSignature } from '../wechat/api-client.ts';
import type { XmlNode } from '../wechat/xml.ts';
import { deliverToServer } from './delivery.ts';
import { toTranscriptMessage } from './fan-actions.ts';
import { checkClientMsgId, deliverMass, massMessage } from './mass-send.routes.ts';
import { type Body, controlRefused, type Query, type SimulatorDeps, wechatApi } from './sim-http.ts';
import { SimError, type SimFan } from './simulator.ts';
import {
  checkCustomerServiceWindow,
  checkQrCodeAllowed,
  checkTemplateAllowed,
  takeMassSendQuota,
  validateMenu,
} from './wechat-api.ts';

/** WeChat's user-tag limits: tags per account, tags per fan. */
const TAGS_PER_ACCOUNT = 100;
const TAGS_PER_FAN = 20;

/** WeChat's Official Account API: the subset Weiloop uses, with WeChat's rules and error codes. */
export function wechatApiRoutes(app: FastifyInstance, deps: SimulatorDeps): void {
  const { sim } = deps;
  const tokenApp = (query: Query) => sim.appForToken(query.access_token);
  // Event pushes are retried as WeChat retries every push (three tries): a server that misses
  // one TEMPLATESENDJOBFINISH would otherwise lack the only word that a notice went out.
  const pushEvent = (appId: string, fan: SimFan, fields: XmlNode) => {
    const target = sim.app(appId);
    const deliver = () =>
      void deliverToServer(sim, target, fan, fields, {
        transport: deps.transport,
        timeoutMs: deps.replyTimeoutMs,
      }).catch(() => {});
    const delay = target.pushDelayMs;
    if (delay) setTimeout(deliver, delay);
    else deliver();
  };

  app.get('/cgi-bin/token', (request, reply) =>
    wechatApi(reply, () => {
      const q = request.query as Query;
      if (q.grant_type !== 'client_credential') throw new SimError(40002, 'invalid grant_type');
      return sim.issueToken(q.appid ?? '', q.secret ?? '');
    }),
  );

  app.post('/cgi-bin/menu/create', (request, reply) =>
    wechatApi(reply, () => {
      const target = tokenApp(request.query as Query);
      target.menu = validateMenu((request.body as Body | null)?.button);
      sim.changed();
    }),
  );
  app.get('/cgi-bin/menu/get', (request, reply) =>
    wechatApi(reply, () => {
      const target = tokenApp(request.query as Query);
      if (!target.menu) throw new SimError(46003, 'menu no exist');
      return { menu: { button: target.menu } };
    }),
  );
  app.get('/cgi-bin/menu/delete', (request, reply) =>
    wechatApi(reply, () => {
      tokenApp(request.query as Query).menu = null;
      sim.changed();
    }),
  );

  app.get('/cgi-bin/user/info', (request, reply) =>
    wechatApi(reply, () => {
      const q = request.query as Query;
      const fan = sim.fan(tokenApp(q).appId, q.openid ?? '');
      if (!fan.subscribed) return { subscribe: 0, openid: fan.openid };
      return {
        subscribe: 1,
        openid: fan.openid,
        unionid: fan.unionid,
        language: 'zh_CN',
        subscribe_time: Math.floor((fan.subscribeTime ?? 0) / 1000),
        tagid_list: fan.tagIds,
        subscribe_scene: fan.subscribeScene ? 'ADD_SCENE_QR_CODE' : 'ADD_SCENE_SEARCH',
        qr_scene_str: fan.subscribeScene ?? '',
      };
    }),
  );
  app.get('/cgi-bin/user/get', (request, reply) =>
    wechatApi(reply, () => {
      const q = request.query as Query;
      const all = sim
        .fans(tokenApp(q).appId)
        .filter((f) => f.subscribed)
        .map((f) => f.openid)
        .sort();
      const start = q.next_openid ? all.indexOf(q.next_openid) + 1 : 0;
      const page = all.slice(start, start + 10_000);
      return {
        total: all.length,
        count: page.length,
        data: { openid: page },
        next_openid: page.at(-1) ?? '',
      };
    }),
  );

  app.post('/cgi-bin/tags/create', (request, reply) =>
    wechatApi(reply, () => {
      const target = tokenApp(request.query as Query);
      const name = String(((request.body as Body)?.tag as Body | undefined)?.name ?? '');
      if (!name || Buffer.byteLength(name) > 30) throw new SimError(45158, 'tag name too long');
      if (Object.values(target.tags).some((t) => t.name === name))
        throw new SimError(45157, 'invalid tag name');
      if (Object.keys(target.tags).length >= TAGS_PER_ACCOUNT) throw new SimError(45056, 'too many tags now');
      const tag = { id: target.nextTagId++, name };
      target.tags[tag.id] = tag;
      sim.changed();
      return { tag };
    }),
  );
  app.get('/cgi-bin/tags/get', (request, reply) =>
    wechatApi(reply, () => {
      const target = tokenApp(request.query as Query);
      const fans = sim.fans(target.appId);
      return {
        tags: Object.values(target.tags).map((t) => ({
          ...t,
          count: fans.filter((f) => f.tagIds.includes(t.id)).length,
        })),
      };
    }),
  );
  app.post('/cgi-bin/tags/update', (request, reply) =>
    wechatApi(reply, () => {
      const target = tokenApp(request.query as Query);
      const tag = ((request.body as Body)?.tag ?? {}) as { id?: number; name?: string };
      const name = String(tag.name ?? '');
      if (!tag.id || !target.tags[tag.id]) throw new SimError(45058, 'invalid tag id');
      if (!name || Buffer.byteLength(name) > 30) throw new SimError(45158, 'tag name too long');
      if (Object.values(target.tags).some((t) => t.name === name && t.id !== tag.id))
        throw new SimError(45157, 'invalid tag name');
      target.tags[tag.id] = { id: tag.id, name };
      sim.changed();
    }),
  );
  app.post('/cgi-bin/tags/delete', (request, reply) =>
    wechatApi(reply, () => {
      const target = tokenApp(request.query as Query);
      const id = Number((((request.body as Body)?.tag ?? {}) as { id?: number }).id ?? 0);
      if (!id || !target.tags[id]) throw new SimError(45058, 'invalid tag id');
      delete target.tags[id];
      for (const fan of sim.fans(target.appId)) fan.tagIds = fan.tagIds.filter((t) => t !== id);
      sim.changed();
    }),
  );
  app.post('/cgi-bin/user/tag/get', (request, reply) =>
    wechatApi(reply, () => {
      const target = tokenApp(request.query as Query);
      const body = (request.body ?? {}) as { tagid?: number; next_openid?: string };
      if (!body.tagid || !target.tags[body.tagid]) throw new SimError(45159, 'invalid tag id');
      const all = sim
        .fans(target.appId)
        .filter((f) => f.tagIds.includes(body.tagid!))
        .map((f) => f.openid)
        .sort();
      const start = body.next_openid ? all.indexOf(body.next_openid) + 1 : 0;
      const page = all.slice(start, start + 10_000);
      return { count: page.length, data: { openid: page }, next_openid: page.at(-1) ?? '' };
    }),
  );
  app.post('/cgi-bin/tags/getidlist', (request, reply) =>
    wechatApi(reply, () => {
      const target = tokenApp(request.query as Query);
      const openid = String(((request.body ?? {}) as { openid?: string }).openid ?? '');
      return { tagid_list: sim.fan(target.appId, openid).tagIds };
    }),
  );
  app.post('/cgi-bin/tags/members/batchtagging', (request, reply) =>
    wechatApi(reply, () => {
      const target = tokenApp(request.query as Query);
      const body = request.body as { openid_list?: string[]; tagid?: number };
      if (!body.tagid || !target.tags[body.tagid]) throw new SimError(45159, 'invalid tag id');
      const list = body.openid_list ?? [];
      if (list.length === 0 || list.length > 50) throw new SimError(40032, 'invalid openid list size');
      const fans = list.map((openid) => sim.fan(target.appId, openid));
      // WeChat refuses the whole batch when one fan would pass 20 tags.
      if (fans.some((f) => !f.tagIds.includes(body.tagid!) && f.tagIds.length >= TAGS_PER_FAN))
        throw new SimError(45059, 'tag fans too many');
      for (const fan of fans) if (!fan.tagIds.includes(body.tagid)) fan.tagIds.push(body.tagid);
      sim.changed();
    }),
  );
  app.post('/cgi-bin/tags/members/batchuntagging', (request, reply) =>
    wechatApi(reply, () => {
      const target = tokenApp(request.query as Query);
      const body = request.body as { openid_list?: string[]; tagid?: number };
      if (!body.tagid || !target.tags[body.tagid]) throw new SimError(45159, 'invalid tag id');
      const list = body.openid_list ?? [];
      if (list.length === 0 || list.length > 50) throw new SimError(40032, 'invalid openid list size');
      for (const openid of list) {
        const fan = sim.fan(target.appId, openid);
        fan.tagIds = fan.tagIds.filter((id) => id !== body.tagid);
      }
      sim.changed();
    }),
  );

  app.post('/cgi-bin/qrcode/create', (request, reply) =>
    wechatApi(reply, () => {
      const target = tokenApp(request.query as Query);
      checkQrCodeAllowed(target);
      const body = request.body as {
        action_name?: string;
        expire_seconds?: number;
        action_info?: { scene?: { scene_str?: string; scene_id?: number } };
      };
      const permanent = body.action_name === 'QR_LIMIT_STR_SCENE' || body.action_name === 'QR_LIMIT_SCENE';
      const scene = String(body.action_info?.scene?.scene_str ?? body.action_info?.scene?.scene_id ?? '');
      if (!scene || Buffer.byteLength(scene) > 64) throw new SimError(40035, 'invalid scene');
      const expire = permanent ? null : Math.min(Math.max(body.expire_seconds ?? 60, 60), 2_592_000);
      const ticket = sim.createQrCode(target, scene, expire);
      return {
        ticket,
        url: `http://weixin.qq.com/q/${ticket}`,
        ...(expire === null ? {} : { expire_seconds: expire }),
      };
    }),
  );
  app.get('/cgi-bin/showqrcode', (request, reply) => {
    const ticket = (request.query as Query).ticket ?? '';
    const code = sim.qrCode(ticket);
    if (!code) return reply.status(404).send('invalid ticket');
    // Not a scannable QR: a labelled tile the phone page "scans" by ticket.
    const label = code.scene.replace(/[<&>"']/g, '');
    return reply
      .type('image/svg+xml')
      .send(
        `<svg xmlns="http://www.w3.org/2000/svg" width="430" height="430"><rect width="430" height="430" fill="#fff" stroke="#000" stroke-width="20"/><rect x="40" y="40" width="90" height="90"/><rect x="300" y="40" width="90" height="90"/><rect x="40" y="300" width="90" height="90"/><text x="215" y="225" font-size="22" text-anchor="middle">${label}</text><text x="215" y="255" font-size="12" text-anchor="middle">${ticket}</text></svg>`,
      );
  });

  app.post('/cgi-bin/message/custom/send', (request, reply) =>
    wechatApi(reply, () => {
      const target = tokenApp(request.query as Query);
      const body = request.body as Body & { touser?: string };
      const fan = sim.fan(target.appId, body.touser ?? '');
      checkCustomerServiceWindow(sim, target, fan);
      sim.record(fan, { from: 'account', via: 'custom', message: toTranscriptMessage(body) });
    }),
  );
  app.post('/cgi-bin/message/template/send', (request, reply) =>
    wechatApi(reply, async () => {
      const target = tokenApp(request.query as Query);
      const body = request.body as {
        touser?: string;
        template_id?: string;
        url?: string;
        data?: Record<string, { value: string }>;
      };
      if (!body.template_id) throw new SimError(40037, 'invalid template_id');
      const fan = sim.fan(target.appId, body.touser ?? '');
      checkTemplateAllowed(target, fan);
      const msgid = sim.nextSendId(target);
      sim.record(fan, {
        from: 'account',
        via: 'template',
        message: {
          type: 'template',
          templateId: body.template_id,
          url: body.url ?? '',
          data: body.data ?? {},
        },
      });
      pushEvent(target.appId, fan, {
        MsgType: 'event',
        Event: 'TEMPLATESENDJOBFINISH',
        MsgID: msgid,
        Status: 'success',
      });
      if (target.templateSendDelayMs) {
        target.templateSendsInFlight = (target.templateSendsInFlight ?? 0) + 1;
        await new Promise((r) => setTimeout(r, target.templateSendDelayMs));
        target.templateSendsInFlight -= 1;
      }
      return { msgid };
    }),
  );
  app.post('/cgi-bin/message/mass/sendall', (request, reply) =>
    wechatApi(reply, () => {
      const target = tokenApp(request.query as Query);
      const body = request.body as Body & { filter?: { is_to_all?: boolean; tag_id?: number } };
      const tagId = body.filter?.is_to_all ? null : (body.filter?.tag_id ?? null);
      if (!body.filter?.is_to_all && (tagId === null || !target.tags[tagId]))
        throw new SimError(40050, 'invalid tag id');
      const clientMsgId = typeof body.clientmsgid === 'string' ? body.clientmsgid : undefined;
      checkClientMsgId(sim, target, clientMsgId);
      // mpnews and the rest resolve as a mass send by list does; other shapes as a custom message.
      const { key, message } =
        body.msgtype === 'mpnews' || body.msgtype === 'text' || body.msgtype === 'image'
          ? massMessage(target, body)
          : { key: '', message: toTranscriptMessage(body) };
      takeMassSendQuota(sim, target);
      const fans = sim
        .fans(target.appId)
        .filter((f) => f.subscribed && (tagId === null || f.tagIds.includes(tagId)));
      const msgId = sim.nextSendId(target);
      if (clientMsgId)
        target.clientMsgIds = { ...target.clientMsgIds, [clientMsgId]: { msgId, at: sim.now() } };
      deliverMass(sim, target, fans, key || `sendall:${msgId}`, message, msgId);
      const first = fans[0];
      if (first) {
        pushEvent(target.appId, first, {
          MsgType: 'event',
          Event: 'MASSSENDJOBFINISH',
          MsgID: msgId,
          Status: 'send success',
          TotalCount: fans.length,
          FilterCount: fans.length,
          SentCount: fans.length,
          ErrorCount: 0,
        });
      }
      return { msg_id: msgId, msg_data_id: msgId };
    }),
  );
  app.post('/cgi-bin/media/upload', (request, reply) =>
    wechatApi(reply, () => {
      tokenApp(request.query as Query);
      const type = (request.query as Query).type;
      if (!type || !['image', 'voice', 'video', 'thumb'].includes(type))
        throw new SimError(40004, 'invalid media type');
      const size = Buffer.isBuffer(request.body) ? request.body.length : 0;
      if (size === 0) throw new SimError(41005, 'media data missing');
      return { type, media_id: `sim_media_${Date.now()}_${size}`, created_at: Math.floor(sim.now() / 1000) };
    }),
  );
  app.get('/cgi-bin/ticket/getticket', (request, reply) =>
    wechatApi(reply, () => ({
      ticket: sim.jsapiTicket(tokenApp(request.query as Query).appId),
      expires_in: 7200,
    })),
  );

  // The phone's in-app browser checks a page's wx.config as WeChat does: the signature over the
  // account's current jsapi_ticket, the nonce, the timestamp and the page's URL.
  app.post('/jssdk/verify', (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const appId = String(body.appId ?? '');
    if (!sim.app(appId)) return reply.send({ ok: false, errMsg: 'config:invalid appid' });
    const expected = jsSdkSignature(
      sim.jsapiTicket(appId),
      String(body.url ?? ''),
      String(body.nonceStr ?? ''),
      Number(body.timestamp),
    ).signature;
    const ok = typeof body.signature === 'string' && body.signature === expected;
    return reply.send({ ok, errMsg: ok ? 'config:ok' : 'config:invalid signature' });
  });

  // OAuth2 web authorisation. The simulator's "browser" says which fan it is with ?as=<openid>.
  app.get('/connect/oauth2/authorize', async (request, reply) => {
    const q = request.query as Query;
    const target = sim.app(q.appid ?? '');
    if (!q.redirect_uri) return reply.status(400).send('redirect_uri missing');
    // Which fan's WeChat this is: ?as=openid, or the phone page's cookie. Naming a fan is acting
    // as them, so it takes the owning merchant's console; without one, a new visitor signs in.
    const as = q.as ?? (request as { cookies?: Record<string, string | undefined> }).cookies?.sim_fan;
    if (as && deps.guard && !(await deps.guard.mayControl(request, target.appId)))
      return controlRefused(reply);
    const fan = sim.ensureFan(target.appId, as, undefined, true);
    const code = sim.issueOauthCode(target.appId, fan.openid, q.scope ?? 'snsapi_base');
    const target_url = new URL(q.redirect_uri);
    target_url.searchParams.set('code', code);
    target_url.searchParams.set('state', q.state ?? '');
    return reply.redirect(target_url.toString());
  });
  app.get('/sns/oauth2/access_token', (request, reply) =>
    wechatApi(reply, () => {
      const q = request.query as Query;
      const target = sim.app(q.appid ?? '');
      if (target.secret !== q.secret) throw new SimError(40125, 'invalid appsecret');
      const entry = sim.redeemOauthCode(target.appId, q.code ?? '');
      const fan = sim.fan(target.appId, entry.openid);
      return {
        access_token: `sns_${entry.openid}`,
        expires_in: 7200,
        refresh_token: `snsr_${entry.openid}`,
        openid: fan.openid,
        scope: entry.scope,
        unionid: fan.unionid,
      };
    }),
  );
}
