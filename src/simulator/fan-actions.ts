import type { CustomMessage } from '../wechat/api-client.ts';
import type { XmlNode } from '../wechat/xml.ts';
import { type DeliveryResult, deliverToServer } from './delivery.ts';
import type { Body, SimulatorDeps } from './sim-http.ts';
import { SimError, type SimFan, type TranscriptEntry } from './simulator.ts';

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
    fan.follows = [...(fan.follows ?? []), { at: sim.now(), kind: 'subscribe', scene }];
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
      fan.follows = [...(fan.follows ?? []), { at: sim.now(), kind: 'unsubscribe', scene: null }];
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

export function transcriptSince(fan: SimFan, since: number): TranscriptEntry[] {
  return fan.transcript.filter((entry) => entry.at >= since);
}

export function toTranscriptMessage(message: CustomMessage | Body): Record<string, unknown> {
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
