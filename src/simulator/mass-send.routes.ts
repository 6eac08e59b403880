import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { XmlNode } from '../wechat/xml.ts';
import { deliverToServer } from './delivery.ts';
import { type Body, type Query, type SimulatorDeps, wechatApi } from './sim-http.ts';
import { type MassArticle, type SimApp, SimError, type SimFan, type SimulatorState } from './simulator.ts';

/** WeChat's limits on mass sending by openid list, preview and uploadnews. */
export const MASS_OPENIDS_MAX = 10_000;
const MASS_OPENIDS_MIN = 2;
const ARTICLES_MAX = 8;
const PREVIEWS_PER_DAY = 100;
/** A service account's fan receives at most four mass messages a calendar month (China time). */
const FAN_MASS_PER_MONTH = 4;
const CLIENT_MSG_ID_TTL_MS = 24 * 3_600_000;
const DAY_MS = 86_400_000;

const chinaMonth = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 7);
const chinaDay = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10);

/**
 * What a mass message is, for the fan's phone and for counting deliveries: mpnews resolves to its
 * uploaded articles, text and image as they are. `key` names the message (the same for every batch
 * of one send), so a fan who got it twice shows up as a duplicate.
 */
export function massMessage(app: SimApp, body: Body): { key: string; message: Record<string, unknown> } {
  switch (body.msgtype) {
    case 'mpnews': {
      const mediaId = String((body.mpnews as Body | undefined)?.media_id ?? '');
      const articles = app.news?.[mediaId];
      if (!articles) throw new SimError(40007, 'invalid media_id');
      return {
        key: mediaId,
        message: {
          type: 'news',
          articles: articles.map((a) => ({
            title: a.title,
            description: a.digest,
            url: a.content_source_url,
            picurl: a.thumb_media_id,
          })),
        },
      };
    }
    case 'text': {
      const content = String((body.text as Body | undefined)?.content ?? '');
      if (!content) throw new SimError(44004, 'empty content');
      return {
        key: `text:${createHash('sha1').update(content).digest('hex')}`,
        message: { type: 'text', content },
      };
    }
    case 'image': {
      const mediaId = String((body.image as Body | undefined)?.media_id ?? '');
      if (!mediaId) throw new SimError(40007, 'invalid media_id');
      return { key: `image:${mediaId}`, message: { type: 'image', mediaId } };
    }
    default:
      throw new SimError(40008, 'invalid message type');
  }
}

function receivedThisMonth(fan: SimFan, now: number): number {
  const month = chinaMonth(now);
  return (fan.massReceived ?? []).filter((r) => chinaMonth(r.at) === month).length;
}

/** Hands one mass message to fans; service accounts filter fans already at four this month. */
export function deliverMass(
  sim: SimulatorState,
  app: SimApp,
  fans: SimFan[],
  key: string,
  message: Record<string, unknown>,
  msgId: number,
): { sent: number; filtered: number } {
  const now = sim.now();
  let sent = 0;
  for (const fan of fans) {
    if (app.type === 'service' && receivedThisMonth(fan, now) >= FAN_MASS_PER_MONTH) continue;
    fan.massReceived = [
      ...(fan.massReceived ?? []).filter((r) => now - r.at < 62 * DAY_MS),
      { msgId, at: now, key },
    ];
    sim.record(fan, { from: 'account', via: 'mass', message });
    sent += 1;
  }
  sim.changed();
  return { sent, filtered: fans.length - sent };
}

/** Refuses a clientmsgid used within 24 hours (45065): the same send is never made twice. */
export function checkClientMsgId(sim: SimulatorState, app: SimApp, clientMsgId: string | undefined): void {
  if (clientMsgId === undefined) return;
  if (typeof clientMsgId !== 'string' || clientMsgId.length > 64)
    throw new SimError(40035, 'invalid clientmsgid');
  const now = sim.now();
  const seen = app.clientMsgIds ?? {};
  for (const [id, entry] of Object.entries(seen)) if (now - entry.at > CLIENT_MSG_ID_TTL_MS) delete seen[id];
  app.clientMsgIds = seen;
  if (seen[clientMsgId]) throw new SimError(45065, 'clientmsgid exist');
}

/** How many times each fan of the app received the mass message `key`. */
export function massDeliveryCounts(sim: SimulatorState, appId: string, key: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const fan of sim.fans(appId)) {
    const n = (fan.massReceived ?? []).filter((r) => r.key === key).length;
    if (n > 0) counts.set(fan.openid, n);
  }
  return counts;
}

/** uploadnews, mass send by openid list, preview: WeChat's rules and error codes. */
export function massSendRoutes(app: FastifyInstance, deps: SimulatorDeps): void {
  const { sim } = deps;
  const tokenApp = (query: Query) => sim.appForToken(query.access_token);
  const pushEvent = (target: SimApp, fan: SimFan, fields: XmlNode) =>
    void deliverToServer(sim, target, fan, fields, {
      transport: deps.transport,
      timeoutMs: deps.replyTimeoutMs,
      attempts: 1,
    }).catch(() => {});

  app.post('/cgi-bin/media/uploadnews', (request, reply) =>
    wechatApi(reply, () => {
      const target = tokenApp(request.query as Query);
      const articles = (request.body as { articles?: Partial<MassArticle>[] } | null)?.articles;
      if (!Array.isArray(articles) || articles.length < 1 || articles.length > ARTICLES_MAX)
        throw new SimError(45008, 'article size out of limit');
      for (const a of articles) {
        if (!a.title || Buffer.byteLength(a.title) > 192)
          throw new SimError(45003, 'title size out of limit');
        if (!a.content) throw new SimError(44003, 'empty news data');
        if (!a.thumb_media_id) throw new SimError(40007, 'invalid media_id');
        if ((a.digest ?? '').length > 120) throw new SimError(45004, 'description size out of limit');
      }
      const mediaId = `sim_news_${sim.nextMsgId(target)}`;
      target.news = { ...target.news, [mediaId]: articles as MassArticle[] };
      sim.changed();
      return { type: 'news', media_id: mediaId, created_at: Math.floor(sim.now() / 1000) };
    }),
  );

  app.post('/cgi-bin/message/mass/send', (request, reply) =>
    wechatApi(reply, async () => {
      const target = tokenApp(request.query as Query);
      // The call is taken before the pause: a caller that dies meanwhile still gets it delivered.
      if (target.massSendDelayMs) {
        target.massSendsInFlight = (target.massSendsInFlight ?? 0) + 1;
        await new Promise((r) => setTimeout(r, target.massSendDelayMs));
        target.massSendsInFlight -= 1;
      }
      // Sending by openid list is for verified service accounts; subscription accounts send by tag.
      if (target.type !== 'service' || !target.verified) throw new SimError(48001, 'api unauthorized');
      const body = (request.body ?? {}) as Body & { touser?: unknown; clientmsgid?: string };
      const list = body.touser;
      if (!Array.isArray(list) || list.length < MASS_OPENIDS_MIN || list.length > MASS_OPENIDS_MAX)
        throw new SimError(40130, 'invalid openid list size, at least two openid');
      const clientMsgId = body.clientmsgid;
      // The same clientmsgid within 24 hours is the same send: refused, nothing delivered again.
      checkClientMsgId(sim, target, clientMsgId);
      const { key, message } = massMessage(target, body);
      const fans = [...new Set(list.map(String))]
        .map((openid) => sim.findFan(target.appId, openid))
        .filter((f): f is SimFan => f?.subscribed === true);
      const msgId = sim.nextSendId(target);
      if (clientMsgId)
        target.clientMsgIds = { ...target.clientMsgIds, [clientMsgId]: { msgId, at: sim.now() } };
      const { sent, filtered } = deliverMass(sim, target, fans, key, message, msgId);
      const first = fans[0];
      if (first) {
        pushEvent(target, first, {
          MsgType: 'event',
          Event: 'MASSSENDJOBFINISH',
          MsgID: msgId,
          Status: 'send success',
          TotalCount: list.length,
          FilterCount: sent,
          SentCount: sent,
          ErrorCount: list.length - sent - filtered,
        });
      }
      return { msg_id: msgId, msg_data_id: msgId };
    }),
  );

  app.post('/cgi-bin/message/mass/preview', (request, reply) =>
    wechatApi(reply, () => {
      const target = tokenApp(request.query as Query);
      if (!target.verified) throw new SimError(48001, 'api unauthorized');
      const body = (request.body ?? {}) as Body & { touser?: string };
      const fan = sim.findFan(target.appId, String(body.touser ?? ''));
      if (!fan) throw new SimError(40003, 'invalid openid');
      if (!fan.subscribed) throw new SimError(43004, 'require subscribe');
      const today = chinaDay(sim.now());
      const previews = (target.previews ?? []).filter((at) => chinaDay(at) === today);
      if (previews.length >= PREVIEWS_PER_DAY) throw new SimError(45009, 'reach max api daily quota limit');
      target.previews = [...previews, sim.now()];
      const { message } = massMessage(target, body);
      // A preview reaches one fan and uses no mass-send quota; it is not a delivery of the send.
      sim.record(fan, { from: 'account', via: 'preview', message });
      return { msg_id: sim.nextSendId(target) };
    }),
  );
}
