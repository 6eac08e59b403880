import type { FastifyInstance, FastifyReply } from 'fastify';
import type { CustomMessage } from '../wechat/api-client.ts';
import type { MessageMode } from '../wechat/envelope.ts';
import { isEncodingAesKey } from '../wechat/message-crypto.ts';
import type { XmlNode } from '../wechat/xml.ts';
import { type DeliveryResult, deliverToServer, type Transport, verifyServerUrl } from './delivery.ts';
import {
  type AccountType,
  SimError,
  type SimFan,
  type SimulatorState,
  type TranscriptEntry,
} from './simulator.ts';
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
export interface SimulatorDeps {
  sim: SimulatorState;
  transport: Transport;
  /** How long WeChat waits for a reply before retrying (5 s; tests shorten it). */
  replyTimeoutMs?: number;
}

type Query = Record<string, string | undefined>;
type Body = Record<string, unknown>;

/** WeChat answers API errors with HTTP 200 and `{errcode, errmsg}`. */
async function wechatApi(reply: FastifyReply, work: () => unknown | Promise<unknown>) {
  try {
    const result = (await work()) ?? {};
    return reply.send({ errcode: 0, errmsg: 'ok', ...(result as object) });
  } catch (error) {
    if (error instanceof SimError) return reply.send({ errcode: error.errcode, errmsg: error.message });
    throw error;
  }
}

export type FanAction =
  | { type: 'text'; content: string }
  | { type: 'image'; picUrl?: string }
  | { type: 'location'; latitude: number; longitude: number; label?: string; scale?: number }
  | { type: 'location_report'; latitude: number; longitude: number; precision?: number }
  | { type: 'click'; key: string }
  | { type: 'view'; url: string }
  | { type: 'subscribe'; scene?: string }
  | { type: 'unsubscribe' }
  | { type: 'scan'; ticket: string };

/** A fan does something in WeChat; the account's server hears about it as WeChat would tell it. */
export async function fanActs(deps: SimulatorDeps, appId: string, openid: string, action: FanAction) {
  const { sim } = deps;
  const app = sim.app(appId);
  const joins = action.type === 'subscribe' || action.type === 'scan';
  const fan = sim.findFan(appId, openid) ?? sim.ensureFan(appId, openid, undefined, !joins);
  if (!fan.subscribed && !joins)
    throw new SimError(43004, 'the fan does not follow this account: subscribe first');
  const interacted = () => {
    fan.lastInteraction = sim.now();
  };
  const subscribe = (scene: string | null, ticket: string | null): XmlNode => {
    fan.subscribed = true;
    fan.subscribeTime = sim.now();
    fan.subscribeScene = scene;
    interacted();
    return scene === null
      ? { MsgType: 'event', Event: 'subscribe', EventKey: '' }
      : { MsgType: 'event', Event: 'subscribe', EventKey: `qrscene_${scene}`, Ticket: ticket ?? '' };
  };
  let fields: XmlNode;
  switch (action.type) {
    case 'text':
      interacted();
      fields = { MsgType: 'text', Content: action.content, MsgId: sim.nextMsgId(app) };
      break;
    case 'image':
      interacted();
      fields = {
        MsgType: 'image',
        PicUrl: action.picUrl ?? 'https://sim.invalid/pic.jpg',
        MediaId: `media_${Date.now()}`,
        MsgId: sim.nextMsgId(app),
      };
      break;
    case 'location':
      interacted();
      fields = {
        MsgType: 'location',
        Location_X: action.latitude,
        Location_Y: action.longitude,
        Scale: action.scale ?? 15,
        Label: action.label ?? '',
        MsgId: sim.nextMsgId(app),
      };
      break;
    case 'location_report':
      fields = {
        MsgType: 'event',
        Event: 'LOCATION',
        Latitude: action.latitude,
        Longitude: action.longitude,
        Precision: action.precision ?? 30,
      };
      break;
    case 'click':
      interacted();
      fields = { MsgType: 'event', Event: 'CLICK', EventKey: action.key };
      break;
    case 'view':
      fields = { MsgType: 'event', Event: 'VIEW', EventKey: action.url };
      break;
    case 'subscribe':
      if (fan.subscribed) throw new SimError(-1, 'already subscribed');
      fields = subscribe(action.scene ?? null, null);
      break;
    case 'unsubscribe':
      if (!fan.subscribed) throw new SimError(-1, 'not subscribed');
      fan.subscribed = false;
      fields = { MsgType: 'event', Event: 'unsubscribe', EventKey: '' };
      break;
    case 'scan': {
      const code = sim.qrCode(action.ticket);
      if (!code || code.app.appId !== appId) throw new SimError(40001, 'invalid ticket');
      if (code.expiresAt !== null && code.expiresAt < sim.now()) throw new SimError(40001, 'qrcode expired');
      fields = fan.subscribed
        ? { MsgType: 'event', Event: 'SCAN', EventKey: code.scene, Ticket: action.ticket }
        : subscribe(code.scene, action.ticket);
      break;
    }
  }
  sim.record(fan, { from: 'fan', via: 'message', message: action as unknown as Record<string, unknown> });
  const before = fan.transcript.length;
  const result: DeliveryResult = await deliverToServer(sim, app, fan, fields, {
    transport: deps.transport,
    timeoutMs: deps.replyTimeoutMs,
  });
  return { ...result, seen: fan.transcript.slice(before) };
}

function transcriptSince(fan: SimFan, since: number): TranscriptEntry[] {
  return fan.transcript.filter((entry) => entry.at >= since);
}

function toTranscriptMessage(message: CustomMessage | Body): Record<string, unknown> {
  const m = message as Body;
  switch (m.msgtype) {
    case 'text':
      return { type: 'text', content: (m.text as { content: string }).content };
    case 'news':
      return { type: 'news', articles: (m.news as { articles: unknown[] }).articles };
    case 'image':
      return { type: 'image', mediaId: (m.image as { media_id: string }).media_id };
    default:
      return { type: String(m.msgtype), raw: m };
  }
}

/** WeChat's Official Account API (the subset Weiloop uses) and the simulator's own control API. */
export function simulatorRoutes(app: FastifyInstance, deps: SimulatorDeps): void {
  const { sim } = deps;
  const tokenApp = (query: Query) => sim.appForToken(query.access_token);
  const pushEvent = (appId: string, fan: SimFan, fields: XmlNode) =>
    void deliverToServer(sim, sim.app(appId), fan, fields, {
      transport: deps.transport,
      timeoutMs: deps.replyTimeoutMs,
      attempts: 1,
    }).catch(() => {});

  app.addContentTypeParser(
    'multipart/form-data',
    { parseAs: 'buffer', bodyLimit: 10 * 1024 * 1024 },
    (_req, body, done) => done(null, body),
  );
  app.addContentTypeParser(['text/xml', 'application/xml'], { parseAs: 'string' }, (_req, body, done) =>
    done(null, body),
  );

  // --- WeChat's API -------------------------------------------------------------------------
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
    wechatApi(reply, () => {
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
      const msgid = Number(sim.nextMsgId(target).slice(-9));
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
      takeMassSendQuota(sim, target);
      const fans = sim
        .fans(target.appId)
        .filter((f) => f.subscribed && (tagId === null || f.tagIds.includes(tagId)));
      const message = toTranscriptMessage(body);
      for (const fan of fans) sim.record(fan, { from: 'account', via: 'mass', message });
      const msgId = Number(sim.nextMsgId(target).slice(-9));
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

  // OAuth2 web authorisation. The simulator's "browser" says which fan it is with ?as=<openid>.
  app.get('/connect/oauth2/authorize', async (request, reply) => {
    const q = request.query as Query;
    const target = sim.app(q.appid ?? '');
    if (!q.redirect_uri) return reply.status(400).send('redirect_uri missing');
    // Which fan's WeChat this is: ?as=openid, or the phone page's cookie.
    const as = q.as ?? (request as { cookies?: Record<string, string | undefined> }).cookies?.sim_fan;
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

  // --- The simulator's control API: make apps and fans, act as a fan, read transcripts ------
  app.post('/apps', async (request, reply) => {
    const body = (request.body ?? {}) as {
      appId?: string;
      secret?: string;
      name?: string;
      type?: AccountType;
      verified?: boolean;
    };
    if (body.type !== 'subscription' && body.type !== 'service') {
      return reply
        .status(400)
        .send({ error: { code: 'invalid_type', message: 'type must be subscription or service' } });
    }
    const created = sim.createApp({
      ...body,
      name: body.name ?? body.appId ?? '测试公众号',
      type: body.type,
    });
    return reply.status(201).send(created);
  });
  app.get('/apps', async () => sim.apps().map(({ secret: _secret, ...rest }) => rest));
  app.get('/apps/:appId', async (request) => {
    const { secret: _secret, ...rest } = sim.app((request.params as { appId: string }).appId);
    return rest;
  });
  app.put('/apps/:appId/server', async (request, reply) => {
    const target = sim.app((request.params as { appId: string }).appId);
    const body = (request.body ?? {}) as {
      url?: string;
      token?: string;
      aesKey?: string;
      mode?: MessageMode;
    };
    if (!body.url || !body.token || !/^[A-Za-z0-9]{3,32}$/.test(body.token)) {
      return reply
        .status(400)
        .send({ error: { code: 'invalid_server', message: 'url and a 3–32 character token are required' } });
    }
    const mode = body.mode ?? 'plain';
    if (mode !== 'plain' && (!body.aesKey || !isEncodingAesKey(body.aesKey))) {
      return reply
        .status(400)
        .send({ error: { code: 'invalid_aes_key', message: 'EncodingAESKey must be 43 characters' } });
    }
    if (!(await verifyServerUrl(body.url, body.token, deps.transport))) {
      return reply
        .status(400)
        .send({ error: { code: 'token_verification_failed', message: '配置失败：Token 验证失败' } });
    }
    target.server = { url: body.url, token: body.token, aesKey: body.aesKey ?? null, mode };
    sim.changed();
    return { ok: true };
  });
  app.post('/apps/:appId/invalidate-tokens', async (request) => {
    sim.invalidateTokens((request.params as { appId: string }).appId);
    return { ok: true };
  });
  app.post('/apps/:appId/fans', async (request, reply) => {
    const body = (request.body ?? {}) as { openid?: string; nickname?: string };
    const fan = sim.ensureFan((request.params as { appId: string }).appId, body.openid, body.nickname);
    return reply.status(201).send(fan);
  });
  app.get('/apps/:appId/fans', async (request) =>
    sim.fans((request.params as { appId: string }).appId).map(({ transcript: _t, ...rest }) => rest),
  );
  app.post('/apps/:appId/fans/:openid/actions', async (request, reply) => {
    const { appId, openid } = request.params as { appId: string; openid: string };
    try {
      return await fanActs(deps, appId, openid, request.body as FanAction);
    } catch (error) {
      if (error instanceof SimError) {
        return reply.status(400).send({ error: { code: String(error.errcode), message: error.message } });
      }
      throw error;
    }
  });
  app.get('/apps/:appId/fans/:openid/transcript', async (request) => {
    const { appId, openid } = request.params as { appId: string; openid: string };
    const since = Number((request.query as Query).since ?? 0);
    const fan = sim.findFan(appId, openid);
    return fan ? transcriptSince(fan, since) : [];
  });

  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof SimError)
      return reply.status(400).send({ error: { code: String(error.errcode), message: error.message } });
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    return reply.status(status).send({
      error: { code: status >= 500 ? 'internal_error' : 'bad_request', message: (error as Error).message },
    });
  });
}
