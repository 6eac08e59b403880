import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { ButtonSpec } from '../wechat/api-client.ts';
import type { MessageMode } from '../wechat/envelope.ts';

export type AccountType = 'subscription' | 'service';

export interface SimApp {
  appId: string;
  secret: string;
  /** The gh_ id WeChat puts in ToUserName. */
  originalId: string;
  name: string;
  type: AccountType;
  verified: boolean;
  server: { url: string; token: string; aesKey: string | null; mode: MessageMode } | null;
  menu: ButtonSpec[] | null;
  tags: Record<string, { id: number; name: string }>;
  nextTagId: number;
  qrcodes: Record<string, { scene: string; expiresAt: number | null }>;
  massSends: number[];
  nextMsgId: number;
  /** Articles uploaded with uploadnews, by media_id (a mass send of mpnews names one). */
  news?: Record<string, MassArticle[]>;
  /** clientmsgid → the mass send it started, kept 24 hours (WeChat refuses a reuse with 45065). */
  clientMsgIds?: Record<string, { msgId: number; at: number }>;
  /** Tests slow WeChat's mass-send answer down to land a crash mid-send (WeChat takes its time too). */
  massSendDelayMs?: number;
  /** Share of delivered fans who read a mass message (default 0.35), and the seed of who and when. */
  readShare?: number;
  readSeed?: string;
  /** Mass-send calls taken and not yet answered (so a test can kill its caller mid-call). */
  massSendsInFlight?: number;
  /**
   * Tests slow the template API's answer down (the notice is delivered and pushed first, as when
   * WeChat took a call whose answer its caller never read), counting calls held.
   */
  templateSendDelayMs?: number;
  templateSendsInFlight?: number;
  /** Tests hold WeChat's event pushes back this long, as a busy account server receives them late. */
  pushDelayMs?: number;
  /** Previews sent today (WeChat allows 100 a day). */
  previews?: number[];
}

export interface MassArticle {
  title: string;
  digest: string;
  content: string;
  content_source_url: string;
  thumb_media_id: string;
}

export interface TranscriptEntry {
  at: number;
  from: 'fan' | 'account' | 'wechat';
  /** passive: the callback's reply; custom/template/mass: sent through the API. */
  via: 'message' | 'passive' | 'custom' | 'template' | 'mass' | 'preview' | 'system';
  message: Record<string, unknown>;
}

export interface SimFan {
  appId: string;
  openid: string;
  unionid: string;
  nickname: string;
  subscribed: boolean;
  subscribeTime: number | null;
  subscribeScene: string | null;
  /** Last time the fan messaged or clicked: opens WeChat's 48-hour customer-service window. */
  lastInteraction: number | null;
  tagIds: number[];
  transcript: TranscriptEntry[];
  /**
   * Every mass message this fan received (not trimmed like the transcript): the per-fan delivery
   * count tests and benches read to prove a send reached each fan exactly once.
   */
  massReceived?: Array<{ msgId: number; at: number; key: string }>;
  /** Every follow and unfollow, oldest first: what the datacube's user analysis counts. */
  follows?: Array<{ at: number; kind: 'subscribe' | 'unsubscribe'; scene: string | null }>;
}

export interface SimPayMerchant {
  mchid: string;
  serialNo: string;
  publicKeyPem: string;
  apiV3Key: string;
  /**
   * AppIDs bound to this merchant number in the merchant platform; only they may take payments.
   * Absent on merchants saved before binding existed: those keep working as they did.
   */
  appids?: string[];
  /** Who registered the merchant (Weiloop's merchant id): accounts that merchant connects later are bound too. */
  owner?: string;
}

export interface SimRefund {
  mchid: string;
  refundId: string;
  outRefundNo: string;
  outTradeNo: string;
  transactionId: string;
  refund: number;
  total: number;
  status: 'PROCESSING' | 'SUCCESS';
  createTime: string;
  successTime: string | null;
  notifyUrl: string | null;
}

export interface SimTransaction {
  mchid: string;
  appid: string;
  outTradeNo: string;
  description: string;
  total: number;
  openid: string;
  notifyUrl: string;
  prepayId: string;
  transactionId: string | null;
  state: 'NOTPAY' | 'SUCCESS' | 'CLOSED' | 'REFUND';
  successTime: string | null;
  refunded: number;
  createdAt: number;
}

/** One transfer of a 商家转账 batch (/v3/transfer/batches): money from the merchant to a fan's 零钱. */
export interface SimTransfer {
  mchid: string;
  appid: string;
  outBatchNo: string;
  batchId: string;
  outDetailNo: string;
  openid: string;
  amount: number;
  remark: string;
  createdAt: number;
}

interface State {
  pay: {
    platformPrivateKeyPem: string;
    platformPublicKeyPem: string;
    platformKeyId: string;
    merchants: Record<string, SimPayMerchant>;
    transactions: Record<string, SimTransaction>;
    /** By mchid/out_refund_no; absent in state files saved before refunds were kept. */
    refunds?: Record<string, SimRefund>;
    /** By `${mchid}/${outBatchNo}`: the batch's transfers (absent in state saved before transfers). */
    transfers?: Record<string, SimTransfer[]>;
    /** Fault injection: WeChat Pay's notices never arrive (tests of the query fallbacks). */
    noticesLost?: boolean;
  } | null;
  apps: Record<string, SimApp>;
  fans: Record<string, SimFan>;
  tokens: Record<string, { appId: string; expiresAt: number }>;
  oauthCodes: Record<string, { appId: string; openid: string; expiresAt: number; scope: string }>;
  jsapiTickets: Record<string, string>;
}

export const TOKEN_TTL_S = 7200;
/** WeChat keeps the previous token valid for five minutes after a new one is issued. */
const OLD_TOKEN_GRACE_MS = 5 * 60_000;
export const SERVICE_WINDOW_MS = 48 * 3_600_000;
const TRANSCRIPT_LIMIT = 500;

export class SimError extends Error {
  readonly errcode: number;
  constructor(errcode: number, errmsg: string) {
    super(errmsg);
    this.errcode = errcode;
  }
}

const rand = (bytes: number) => randomBytes(bytes).toString('hex');

export interface SimulatorOptions {
  now?: () => number;
  /** Keep state in this JSON file across restarts (the embedded demo does). */
  stateFile?: string | null;
}

/** WeChat's side of the world, in memory: apps, fans, tokens, menus, QR codes, transcripts. */
export function createSimulatorState(options: SimulatorOptions = {}) {
  const now = options.now ?? Date.now;
  const stateFile = options.stateFile ?? null;
  let state: State = { pay: null, apps: {}, fans: {}, tokens: {}, oauthCodes: {}, jsapiTickets: {} };
  if (stateFile) {
    try {
      state = { ...state, ...(JSON.parse(readFileSync(stateFile, 'utf8')) as State) };
    } catch {
      // first start: nothing saved yet
    }
  }
  let saveTimer: NodeJS.Timeout | null = null;
  const changed = () => {
    if (!stateFile || saveTimer) return;
    saveTimer = setTimeout(() => {
      saveTimer = null;
      writeFileSync(stateFile, JSON.stringify(state));
    }, 200);
    saveTimer.unref();
  };
  const fanKey = (appId: string, openid: string) => `${appId}/${openid}`;

  const api = {
    now,
    changed,
    flush() {
      if (saveTimer) clearTimeout(saveTimer);
      saveTimer = null;
      if (stateFile) writeFileSync(stateFile, JSON.stringify(state));
    },

    createApp(input: {
      appId?: string;
      secret?: string;
      name: string;
      type: AccountType;
      verified?: boolean;
    }): SimApp {
      const appId = input.appId ?? `wx${rand(8)}`;
      const existing = state.apps[appId];
      if (existing) {
        Object.assign(existing, {
          name: input.name,
          type: input.type,
          verified: input.verified ?? existing.verified,
        });
        if (input.secret) existing.secret = input.secret;
        changed();
        return existing;
      }
      const app: SimApp = {
        appId,
        secret: input.secret ?? rand(16),
        originalId: `gh_${rand(6)}`,
        name: input.name,
        type: input.type,
        verified: input.verified ?? true,
        server: null,
        menu: null,
        tags: {},
        nextTagId: 100,
        qrcodes: {},
        massSends: [],
        nextMsgId: 1,
      };
      state.apps[appId] = app;
      changed();
      return app;
    },
    app(appId: string): SimApp {
      const app = state.apps[appId];
      if (!app) throw new SimError(40013, 'invalid appid');
      return app;
    },
    apps: () => Object.values(state.apps),

    issueToken(appId: string, secret: string): { access_token: string; expires_in: number } {
      const app = api.app(appId);
      if (app.secret !== secret) throw new SimError(40125, 'invalid appsecret');
      const t = now();
      for (const [token, info] of Object.entries(state.tokens)) {
        if (info.appId !== appId) continue;
        if (info.expiresAt < t) delete state.tokens[token];
        else info.expiresAt = Math.min(info.expiresAt, t + OLD_TOKEN_GRACE_MS);
      }
      const token = `SIM_${rand(24)}`;
      state.tokens[token] = { appId, expiresAt: t + TOKEN_TTL_S * 1000 };
      changed();
      return { access_token: token, expires_in: TOKEN_TTL_S };
    },
    /** Tests and the phone page can kill a token, as WeChat does when the secret is reset. */
    invalidateTokens(appId: string) {
      for (const [token, info] of Object.entries(state.tokens))
        if (info.appId === appId) delete state.tokens[token];
      changed();
    },
    appForToken(token: string | undefined): SimApp {
      if (!token) throw new SimError(41001, 'access_token missing');
      const info = state.tokens[token];
      if (!info) throw new SimError(40001, 'invalid credential, access_token is invalid or not latest');
      if (info.expiresAt < now()) throw new SimError(42001, 'access_token expired');
      return api.app(info.appId);
    },

    fan(appId: string, openid: string): SimFan {
      const fan = state.fans[fanKey(appId, openid)];
      if (!fan) throw new SimError(40003, 'invalid openid');
      return fan;
    },
    findFan: (appId: string, openid: string): SimFan | undefined => state.fans[fanKey(appId, openid)],
    /**
     * The fan with this openid, created if new. A fan first seen sending a message followed the
     * account before the server was connected (`following`): WeChat sends no subscribe for them.
     */
    ensureFan(appId: string, openid?: string, nickname?: string, following = false): SimFan {
      api.app(appId);
      const id = openid ?? `o${rand(13)}`;
      const key = fanKey(appId, id);
      let fan = state.fans[key];
      if (!fan) {
        fan = {
          appId,
          openid: id,
          unionid: `u_${id}`,
          nickname: nickname ?? `粉丝${id.slice(-4)}`,
          subscribed: following,
          subscribeTime: following ? now() : null,
          subscribeScene: null,
          lastInteraction: null,
          tagIds: [],
          transcript: [],
        };
        state.fans[key] = fan;
        changed();
      }
      return fan;
    },
    fans: (appId: string) => Object.values(state.fans).filter((f) => f.appId === appId),
    record(fan: SimFan, entry: Omit<TranscriptEntry, 'at'>) {
      fan.transcript.push({ at: now(), ...entry });
      if (fan.transcript.length > TRANSCRIPT_LIMIT)
        fan.transcript.splice(0, fan.transcript.length - TRANSCRIPT_LIMIT);
      changed();
    },
    nextMsgId(app: SimApp): string {
      // 64-bit-looking ids like WeChat's, unique per app.
      const id = `${now()}${String(app.nextMsgId++).padStart(6, '0')}`;
      changed();
      return id;
    },
    /**
     * The numeric MsgID of a send (template, mass): the second (mod 10^7) and the app's counter
     * (8 digits), 15 digits, exact in a JS number. The last 9 digits of nextMsgId, used before,
     * repeated once the counter passed a million (a million-notice send): two notices shared an
     * id, and WeChat's report on one was taken for the other's.
     */
    nextSendId(app: SimApp): number {
      const second = Math.floor(now() / 1000) % 10_000_000;
      const id = second * 100_000_000 + (app.nextMsgId++ % 100_000_000);
      changed();
      return id;
    },

    createQrCode(app: SimApp, scene: string, expireSeconds: number | null) {
      const ticket = `gQ${rand(20)}`;
      app.qrcodes[ticket] = {
        scene,
        expiresAt: expireSeconds === null ? null : now() + expireSeconds * 1000,
      };
      changed();
      return ticket;
    },
    qrCode(ticket: string) {
      for (const app of Object.values(state.apps)) {
        const code = app.qrcodes[ticket];
        if (code) return { app, ...code };
      }
      return null;
    },

    issueOauthCode(appId: string, openid: string, scope: string): string {
      const code = rand(16);
      state.oauthCodes[code] = { appId, openid, scope, expiresAt: now() + 5 * 60_000 };
      return code;
    },
    /** Codes are single use and live five minutes, as WeChat's do. */
    redeemOauthCode(appId: string, code: string) {
      const entry = state.oauthCodes[code];
      delete state.oauthCodes[code];
      if (!entry || entry.appId !== appId || entry.expiresAt < now())
        throw new SimError(40029, 'invalid code');
      return entry;
    },
    /** WeChat Pay's side: its key pair (made once), merchants, transactions. */
    pay() {
      if (!state.pay) {
        const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        state.pay = {
          platformPrivateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
          platformPublicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
          platformKeyId: `PUB_KEY_ID_01${randomBytes(14).toString('hex').toUpperCase()}`,
          merchants: {},
          transactions: {},
          refunds: {},
        };
        changed();
      }
      return state.pay;
    },
    jsapiTicket(appId: string): string {
      let ticket = state.jsapiTickets[appId];
      if (!ticket) {
        ticket = `sim_jsapi_${rand(16)}`;
        state.jsapiTickets[appId] = ticket;
        changed();
      }
      return ticket;
    },
  };
  return api;
}

export type SimulatorState = ReturnType<typeof createSimulatorState>;
