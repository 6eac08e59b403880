import { renderWeChatXml, type XmlNode } from './xml.ts';

interface Base {
  /** The official account's original id (gh_…). */
  toUser: string;
  /** The fan's openid. */
  fromUser: string;
  createTime: number;
}

interface WithMsgId extends Base {
  msgId: string;
}

export type InboundMessage =
  | (WithMsgId & { kind: 'text'; content: string })
  | (WithMsgId & { kind: 'image'; picUrl: string; mediaId: string })
  | (WithMsgId & { kind: 'voice'; mediaId: string; format: string; recognition: string | null })
  | (WithMsgId & { kind: 'video' | 'shortvideo'; mediaId: string; thumbMediaId: string })
  | (WithMsgId & { kind: 'location'; latitude: number; longitude: number; scale: number; label: string })
  | (WithMsgId & { kind: 'link'; title: string; description: string; url: string })
  | (Base & { kind: 'subscribe'; scene: string | null; ticket: string | null })
  | (Base & { kind: 'unsubscribe' })
  | (Base & { kind: 'scan'; scene: string; ticket: string | null })
  | (Base & { kind: 'location_report'; latitude: number; longitude: number; precision: number })
  | (Base & { kind: 'click'; key: string })
  | (Base & { kind: 'view'; url: string })
  | (Base & { kind: 'scancode_push' | 'scancode_waitmsg'; key: string; scanType: string; scanResult: string })
  | (Base & { kind: 'pic_sysphoto' | 'pic_photo_or_album' | 'pic_weixin'; key: string; count: number })
  | (Base & {
      kind: 'location_select';
      key: string;
      latitude: number;
      longitude: number;
      label: string;
      poiName: string;
    })
  | (Base & { kind: 'template_send_finish'; msgId: string; status: string })
  | (Base & {
      kind: 'mass_send_finish';
      msgId: string;
      status: string;
      totalCount: number;
      filterCount: number;
      sentCount: number;
      errorCount: number;
    })
  | (Base & { kind: 'unknown'; msgType: string; event: string | null });

export type InboundKind = InboundMessage['kind'];

export class InboundMessageError extends Error {}

function str(record: Record<string, unknown>, key: string): string {
  const value = record[key];
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
}

function required(record: Record<string, unknown>, key: string): string {
  const value = str(record, key);
  if (!value) throw new InboundMessageError(`missing ${key}`);
  return value;
}

function num(record: Record<string, unknown>, key: string): number {
  const value = Number(str(record, key));
  return Number.isFinite(value) ? value : 0;
}

function child(record: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = record[key];
  return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

/** Turns a parsed `<xml>` record into a typed message or event. Unknown types are kept, not dropped. */
export function toInboundMessage(xml: Record<string, unknown>): InboundMessage {
  const base: Base = {
    toUser: required(xml, 'ToUserName'),
    fromUser: required(xml, 'FromUserName'),
    createTime: num(xml, 'CreateTime'),
  };
  const msgType = required(xml, 'MsgType');
  const msgId = () => ({ ...base, msgId: required(xml, 'MsgId') });
  switch (msgType) {
    case 'text':
      return { ...msgId(), kind: 'text', content: str(xml, 'Content') };
    case 'image':
      return { ...msgId(), kind: 'image', picUrl: str(xml, 'PicUrl'), mediaId: str(xml, 'MediaId') };
    case 'voice':
      return {
        ...msgId(),
        kind: 'voice',
        mediaId: str(xml, 'MediaId'),
        format: str(xml, 'Format'),
        recognition: str(xml, 'Recognition') || null,
      };
    case 'video':
    case 'shortvideo':
      return {
        ...msgId(),
        kind: msgType,
        mediaId: str(xml, 'MediaId'),
        thumbMediaId: str(xml, 'ThumbMediaId'),
      };
    case 'location':
      return {
        ...msgId(),
        kind: 'location',
        latitude: num(xml, 'Location_X'),
        longitude: num(xml, 'Location_Y'),
        scale: num(xml, 'Scale'),
        label: str(xml, 'Label'),
      };
    case 'link':
      return {
        ...msgId(),
        kind: 'link',
        title: str(xml, 'Title'),
        description: str(xml, 'Description'),
        url: str(xml, 'Url'),
      };
    case 'event':
      return toEvent(base, xml);
    default:
      return { ...base, kind: 'unknown', msgType, event: null };
  }
}

function toEvent(base: Base, xml: Record<string, unknown>): InboundMessage {
  const event = str(xml, 'Event');
  const key = str(xml, 'EventKey');
  switch (event) {
    case 'subscribe':
      // A subscribe through a parametric QR code carries EventKey "qrscene_<scene>".
      return {
        ...base,
        kind: 'subscribe',
        scene: key.startsWith('qrscene_') ? key.slice('qrscene_'.length) : null,
        ticket: str(xml, 'Ticket') || null,
      };
    case 'unsubscribe':
      return { ...base, kind: 'unsubscribe' };
    case 'SCAN':
      return { ...base, kind: 'scan', scene: key, ticket: str(xml, 'Ticket') || null };
    case 'LOCATION':
      return {
        ...base,
        kind: 'location_report',
        latitude: num(xml, 'Latitude'),
        longitude: num(xml, 'Longitude'),
        precision: num(xml, 'Precision'),
      };
    case 'CLICK':
      return { ...base, kind: 'click', key };
    case 'VIEW':
      return { ...base, kind: 'view', url: key };
    case 'scancode_push':
    case 'scancode_waitmsg': {
      const info = child(xml, 'ScanCodeInfo');
      return {
        ...base,
        kind: event,
        key,
        scanType: str(info, 'ScanType'),
        scanResult: str(info, 'ScanResult'),
      };
    }
    case 'pic_sysphoto':
    case 'pic_photo_or_album':
    case 'pic_weixin':
      return { ...base, kind: event, key, count: num(child(xml, 'SendPicsInfo'), 'Count') };
    case 'location_select': {
      const info = child(xml, 'SendLocationInfo');
      return {
        ...base,
        kind: 'location_select',
        key,
        latitude: num(info, 'Location_X'),
        longitude: num(info, 'Location_Y'),
        label: str(info, 'Label'),
        poiName: str(info, 'Poiname'),
      };
    }
    case 'TEMPLATESENDJOBFINISH':
      return { ...base, kind: 'template_send_finish', msgId: str(xml, 'MsgID'), status: str(xml, 'Status') };
    case 'MASSSENDJOBFINISH':
      return {
        ...base,
        kind: 'mass_send_finish',
        msgId: str(xml, 'MsgID'),
        status: str(xml, 'Status'),
        totalCount: num(xml, 'TotalCount'),
        filterCount: num(xml, 'FilterCount'),
        sentCount: num(xml, 'SentCount'),
        errorCount: num(xml, 'ErrorCount'),
      };
    default:
      return { ...base, kind: 'unknown', msgType: 'event', event };
  }
}

/**
 * The key WeChat's retries share: MsgId for messages; for events, which carry none, the fan,
 * the second, the event and its key (a subscribe and a LOCATION report, or two menu clicks, can
 * arrive in the same second; a retry repeats all of them).
 */
export function dedupeKey(message: InboundMessage): string {
  switch (message.kind) {
    case 'template_send_finish':
    case 'mass_send_finish':
      return `e:${message.kind}:${message.msgId}`;
    case 'subscribe':
      return `e:${message.fromUser}:${message.createTime}:subscribe:${message.scene ?? ''}`;
    case 'scan':
      return `e:${message.fromUser}:${message.createTime}:scan:${message.scene}`;
    case 'click':
      return `e:${message.fromUser}:${message.createTime}:click:${message.key}`;
    default:
      return 'msgId' in message
        ? `m:${message.msgId}`
        : `e:${message.fromUser}:${message.createTime}:${message.kind}`;
  }
}

export interface NewsArticle {
  title: string;
  description?: string;
  picUrl?: string;
  url?: string;
}

export type PassiveReply =
  | { type: 'text'; content: string }
  | { type: 'image'; mediaId: string }
  | { type: 'voice'; mediaId: string }
  | { type: 'video'; mediaId: string; title?: string; description?: string }
  | {
      type: 'music';
      title?: string;
      description?: string;
      musicUrl?: string;
      hqMusicUrl?: string;
      thumbMediaId: string;
    }
  | { type: 'news'; articles: NewsArticle[] }
  | { type: 'transfer_customer_service'; kfAccount?: string };

/** WeChat shows one article in a passive news reply (since 2018); more are ignored by clients. */
export const MAX_PASSIVE_NEWS_ARTICLES = 1;

/** Renders a passive reply to `fan` from `account` (its gh_ id). */
export function renderPassiveReply(
  reply: PassiveReply,
  fan: string,
  account: string,
  createTime: number,
): string {
  const head = { ToUserName: fan, FromUserName: account, CreateTime: createTime };
  let body: XmlNode;
  switch (reply.type) {
    case 'text':
      body = { MsgType: 'text', Content: reply.content };
      break;
    case 'image':
      body = { MsgType: 'image', Image: { MediaId: reply.mediaId } };
      break;
    case 'voice':
      body = { MsgType: 'voice', Voice: { MediaId: reply.mediaId } };
      break;
    case 'video':
      body = {
        MsgType: 'video',
        Video: { MediaId: reply.mediaId, Title: reply.title ?? '', Description: reply.description ?? '' },
      };
      break;
    case 'music':
      body = {
        MsgType: 'music',
        Music: {
          Title: reply.title ?? '',
          Description: reply.description ?? '',
          MusicUrl: reply.musicUrl ?? '',
          HQMusicUrl: reply.hqMusicUrl ?? '',
          ThumbMediaId: reply.thumbMediaId,
        },
      };
      break;
    case 'news': {
      const articles = reply.articles.slice(0, MAX_PASSIVE_NEWS_ARTICLES);
      body = {
        MsgType: 'news',
        ArticleCount: articles.length,
        Articles: {
          item: articles.map((a) => ({
            Title: a.title,
            Description: a.description ?? '',
            PicUrl: a.picUrl ?? '',
            Url: a.url ?? '',
          })),
        },
      };
      break;
    }
    case 'transfer_customer_service':
      body = {
        MsgType: 'transfer_customer_service',
        ...(reply.kfAccount ? { TransInfo: { KfAccount: reply.kfAccount } } : {}),
      };
      break;
  }
  return renderWeChatXml({ ...head, ...body });
}

/** Reads a passive reply XML back into a PassiveReply (the simulator shows the fan what it got). */
export function fromPassiveReplyXml(xml: Record<string, unknown>): PassiveReply {
  const type = str(xml, 'MsgType');
  const inner = (key: string) => child(xml, key);
  switch (type) {
    case 'text':
      return { type: 'text', content: str(xml, 'Content') };
    case 'image':
      return { type: 'image', mediaId: str(inner('Image'), 'MediaId') };
    case 'voice':
      return { type: 'voice', mediaId: str(inner('Voice'), 'MediaId') };
    case 'video':
      return {
        type: 'video',
        mediaId: str(inner('Video'), 'MediaId'),
        title: str(inner('Video'), 'Title'),
        description: str(inner('Video'), 'Description'),
      };
    case 'music': {
      const music = inner('Music');
      return {
        type: 'music',
        title: str(music, 'Title'),
        description: str(music, 'Description'),
        musicUrl: str(music, 'MusicUrl'),
        hqMusicUrl: str(music, 'HQMusicUrl'),
        thumbMediaId: str(music, 'ThumbMediaId'),
      };
    }
    case 'news': {
      const items = child(xml, 'Articles').item;
      const list = (Array.isArray(items) ? items : items ? [items] : []) as Record<string, unknown>[];
      return {
        type: 'news',
        articles: list.map((a) => ({
          title: str(a, 'Title'),
          description: str(a, 'Description'),
          picUrl: str(a, 'PicUrl'),
          url: str(a, 'Url'),
        })),
      };
    }
    case 'transfer_customer_service':
      return { type: 'transfer_customer_service' };
    default:
      throw new InboundMessageError(`unknown reply type ${type}`);
  }
}
