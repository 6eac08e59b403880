import { createHash, randomBytes } from 'node:crypto';
import { fetchTransport, type HttpTransport } from './http-transport.ts';

/** Error codes the client and its callers act on; the rest surface as WeChatApiError. */
export const WeChatErrorCode = {
  SYSTEM_BUSY: -1,
  INVALID_APPSECRET: 40001,
  INVALID_ACCESS_TOKEN: 40014,
  ACCESS_TOKEN_EXPIRED: 42001,
  INVALID_APPID: 40013,
  INVALID_OPENID: 40003,
  INVALID_BUTTON_COUNT: 40016,
  INVALID_BUTTON_NAME: 40018,
  INVALID_CODE: 40029,
  INVALID_PARAMETER: 40035,
  INVALID_TEMPLATE: 40037,
  REQUIRE_SUBSCRIBE: 43004,
  QUOTA_EXCEEDED: 45009,
  MASS_SEND_QUOTA: 45028,
  CLIENT_MSG_ID_EXISTS: 45065,
  RESPONSE_OUT_OF_WINDOW: 45015,
  NO_MENU: 46003,
  UNAUTHORIZED_API: 48001,
  API_UNAVAILABLE: 50001,
} as const;

const TOKEN_ERRORS = new Set<number>([
  WeChatErrorCode.INVALID_APPSECRET,
  WeChatErrorCode.INVALID_ACCESS_TOKEN,
  WeChatErrorCode.ACCESS_TOKEN_EXPIRED,
]);

export class WeChatApiError extends Error {
  readonly errcode: number;
  readonly errmsg: string;
  constructor(errcode: number, errmsg: string) {
    super(`WeChat API error ${errcode}: ${errmsg}`);
    this.errcode = errcode;
    this.errmsg = errmsg;
  }
  /** 45009 is the daily API-call limit; 45028 the mass-send allowance of the account type. */
  get isQuota() {
    return (
      this.errcode === WeChatErrorCode.QUOTA_EXCEEDED || this.errcode === WeChatErrorCode.MASS_SEND_QUOTA
    );
  }
  get isOutOfWindow() {
    return this.errcode === WeChatErrorCode.RESPONSE_OUT_OF_WINDOW;
  }
  get isUnsubscribed() {
    return this.errcode === WeChatErrorCode.REQUIRE_SUBSCRIBE;
  }
  get isUnauthorized() {
    return this.errcode === WeChatErrorCode.UNAUTHORIZED_API;
  }
}

/** Network failure or timeout: WeChat never answered, so the call may be retried. */
export class WeChatUnreachableError extends Error {}

/** Where access tokens live: in-process, or Redis when several processes share one account. */
export interface TokenStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
}

export interface ApiClientOptions {
  baseUrl: string;
  appId: string;
  secret: string;
  store: TokenStore;
  /**
   * Token refreshes in flight, shared by the clients of one app so concurrent callers make one
   * request; the caller owns it (a client made alone gets its own).
   */
  refreshing?: Map<string, Promise<string>>;
  timeoutMs?: number;
  /** For media uploads (multipart), and for every call when no `transport` is given. */
  fetch?: typeof fetch;
  /** For JSON and GET calls: the bulk of a send's calls, so the cheap path (node:http) matters. */
  transport?: HttpTransport;
}

/** Refresh this long before WeChat's stated expiry, so a token is never used in its last minutes. */
const EXPIRY_MARGIN_MS = 5 * 60_000;

export type ButtonSpec = {
  type?: string;
  name: string;
  key?: string;
  url?: string;
  appid?: string;
  pagepath?: string;
  sub_button?: ButtonSpec[];
};

export type CustomMessage =
  | { msgtype: 'text'; text: { content: string } }
  | { msgtype: 'image'; image: { media_id: string } }
  | {
      msgtype: 'news';
      news: { articles: Array<{ title: string; description?: string; url?: string; picurl?: string }> };
    };

/** What a mass send or preview carries: uploaded articles, text or an uploaded image. */
export type MassMessage =
  | { msgtype: 'mpnews'; mpnews: { media_id: string } }
  | { msgtype: 'text'; text: { content: string } }
  | { msgtype: 'image'; image: { media_id: string } };

export function createApiClient(options: ApiClientOptions) {
  const { baseUrl, appId, secret, store } = options;
  const refreshing = options.refreshing ?? new Map<string, Promise<string>>();
  const timeoutMs = options.timeoutMs ?? 5000;
  const doFetch = options.fetch ?? fetch;
  const send = options.transport ?? fetchTransport(doFetch);
  /** Media uploads are multipart: fetch encodes FormData. */
  const upload = async (url: URL, form: FormData) => {
    const response = await doFetch(url, {
      method: 'POST',
      body: form,
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: response.status, body: await response.text() };
  };
  const tokenKey = `wx:token:${appId}`;

  async function request<T>(
    path: string,
    init: { method?: string; query?: Record<string, string>; body?: unknown },
  ) {
    const url = new URL(`${baseUrl}${path}`);
    for (const [k, v] of Object.entries(init.query ?? {})) url.searchParams.set(k, v);
    let answer: { status: number; body: string };
    try {
      answer =
        init.body instanceof FormData
          ? await upload(url, init.body)
          : await send(url.href, {
              method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
              headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
              ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
              timeoutMs,
            });
    } catch (error) {
      throw new WeChatUnreachableError(`WeChat API unreachable (${path}): ${(error as Error).message}`);
    }
    let json: { errcode?: number; errmsg?: string } & T;
    try {
      json = JSON.parse(answer.body);
    } catch {
      throw new WeChatUnreachableError(`WeChat API answered ${answer.status} with non-JSON for ${path}`);
    }
    if (json.errcode) throw new WeChatApiError(json.errcode, json.errmsg ?? '');
    return json;
  }

  async function fetchToken(): Promise<string> {
    const result = await request<{ access_token: string; expires_in: number }>('/cgi-bin/token', {
      query: { grant_type: 'client_credential', appid: appId, secret },
    });
    const ttl = Math.max(result.expires_in * 1000 - EXPIRY_MARGIN_MS, 30_000);
    await store.set(tokenKey, result.access_token, ttl);
    return result.access_token;
  }

  async function accessToken(): Promise<string> {
    const cached = await store.get(tokenKey);
    if (cached) return cached;
    let inflight = refreshing.get(tokenKey);
    if (!inflight) {
      inflight = fetchToken().finally(() => refreshing.delete(tokenKey));
      refreshing.set(tokenKey, inflight);
    }
    return inflight;
  }

  /** Calls an access-token API; on a token error, refreshes once and retries once. */
  async function call<T>(
    path: string,
    init: { method?: string; query?: Record<string, string>; body?: unknown } = {},
  ) {
    const attempt = async () =>
      request<T>(path, { ...init, query: { ...init.query, access_token: await accessToken() } });
    try {
      return await attempt();
    } catch (error) {
      if (error instanceof WeChatApiError && TOKEN_ERRORS.has(error.errcode)) {
        await store.delete(tokenKey);
        return attempt();
      }
      throw error;
    }
  }

  return {
    appId,
    accessToken,
    call,
    createMenu: (button: ButtonSpec[]) => call('/cgi-bin/menu/create', { body: { button } }),
    getMenu: () => call<{ menu: { button: ButtonSpec[] } }>('/cgi-bin/menu/get'),
    deleteMenu: () => call('/cgi-bin/menu/delete'),
    userInfo: (openid: string) =>
      call<{
        subscribe: number;
        openid: string;
        unionid?: string;
        subscribe_time?: number;
        tagid_list?: number[];
        subscribe_scene?: string;
        qr_scene_str?: string;
      }>('/cgi-bin/user/info', { query: { openid, lang: 'zh_CN' } }),
    listFollowers: (nextOpenid = '') =>
      call<{ total: number; count: number; data?: { openid: string[] }; next_openid: string }>(
        '/cgi-bin/user/get',
        {
          query: { next_openid: nextOpenid },
        },
      ),
    createTag: (name: string) =>
      call<{ tag: { id: number; name: string } }>('/cgi-bin/tags/create', { body: { tag: { name } } }),
    listTags: () => call<{ tags: Array<{ id: number; name: string; count: number }> }>('/cgi-bin/tags/get'),
    tagFans: (tagId: number, openids: string[]) =>
      call('/cgi-bin/tags/members/batchtagging', { body: { openid_list: openids, tagid: tagId } }),
    untagFans: (tagId: number, openids: string[]) =>
      call('/cgi-bin/tags/members/batchuntagging', { body: { openid_list: openids, tagid: tagId } }),
    renameTag: (tagId: number, name: string) =>
      call('/cgi-bin/tags/update', { body: { tag: { id: tagId, name } } }),
    deleteTag: (tagId: number) => call('/cgi-bin/tags/delete', { body: { tag: { id: tagId } } }),
    /** Fans carrying a tag, 10,000 a page (WeChat's user/tag/get). */
    fansOfTag: (tagId: number, nextOpenid = '') =>
      call<{ count: number; data?: { openid: string[] }; next_openid: string }>('/cgi-bin/user/tag/get', {
        body: { tagid: tagId, next_openid: nextOpenid },
      }),
    createQrCode: (input: { scene: string; permanent: boolean; expireSeconds?: number }) =>
      call<{ ticket: string; expire_seconds?: number; url: string }>('/cgi-bin/qrcode/create', {
        body: {
          action_name: input.permanent ? 'QR_LIMIT_STR_SCENE' : 'QR_STR_SCENE',
          ...(input.permanent ? {} : { expire_seconds: input.expireSeconds ?? 2_592_000 }),
          action_info: { scene: { scene_str: input.scene } },
        },
      }),
    qrCodeImageUrl: (ticket: string) => `${baseUrl}/cgi-bin/showqrcode?ticket=${encodeURIComponent(ticket)}`,
    sendCustomMessage: (openid: string, message: CustomMessage) =>
      call('/cgi-bin/message/custom/send', { body: { touser: openid, ...message } }),
    sendTemplate: (input: {
      openid: string;
      templateId: string;
      url?: string;
      data: Record<string, { value: string }>;
    }) =>
      call<{ msgid: number }>('/cgi-bin/message/template/send', {
        body: { touser: input.openid, template_id: input.templateId, url: input.url, data: input.data },
      }),
    massSendToTag: (tagId: number | null, message: CustomMessage, clientMsgId?: string) =>
      call<{ msg_id: number; msg_data_id?: number }>('/cgi-bin/message/mass/sendall', {
        body: {
          filter: tagId === null ? { is_to_all: true } : { is_to_all: false, tag_id: tagId },
          ...message,
          send_ignore_reprint: 0,
          ...(clientMsgId ? { clientmsgid: clientMsgId } : {}),
        },
      }),
    /** Articles for a mass send (mpnews); returns the media_id the send names. */
    uploadNews: (
      articles: Array<{
        title: string;
        thumb_media_id: string;
        digest: string;
        content: string;
        content_source_url: string;
        author?: string;
        show_cover_pic?: 0 | 1;
      }>,
    ) => call<{ type: string; media_id: string }>('/cgi-bin/media/uploadnews', { body: { articles } }),
    /** Mass send to 2–10,000 openids; the same clientmsgid twice within 24 h is refused (45065). */
    massSendToOpenids: (openids: string[], message: MassMessage, clientMsgId: string) =>
      call<{ msg_id: number; msg_data_id?: number }>('/cgi-bin/message/mass/send', {
        body: { touser: openids, ...message, send_ignore_reprint: 0, clientmsgid: clientMsgId },
      }),
    /** Shows a mass message to one fan first; uses no mass-send quota (100 previews a day). */
    massPreview: (openid: string, message: MassMessage) =>
      call<{ msg_id: number }>('/cgi-bin/message/mass/preview', { body: { touser: openid, ...message } }),
    uploadMedia: (type: 'image' | 'voice' | 'video' | 'thumb', file: Blob, filename: string) => {
      const form = new FormData();
      form.set('media', file, filename);
      return call<{ type: string; media_id: string; created_at: number }>('/cgi-bin/media/upload', {
        query: { type },
        body: form,
      });
    },
    jsapiTicket: async (): Promise<string> => {
      const key = `wx:jsapi:${appId}`;
      const cached = await store.get(key);
      if (cached) return cached;
      const result = await call<{ ticket: string; expires_in: number }>('/cgi-bin/ticket/getticket', {
        query: { type: 'jsapi' },
      });
      await store.set(key, result.ticket, Math.max(result.expires_in * 1000 - EXPIRY_MARGIN_MS, 30_000));
      return result.ticket;
    },
    /** Exchanges an OAuth2 `code` (snsapi_base or snsapi_userinfo) for the fan's openid. */
    oauthExchange: (code: string) =>
      request<{ access_token: string; openid: string; scope: string; unionid?: string; expires_in: number }>(
        '/sns/oauth2/access_token',
        { query: { appid: appId, secret, code, grant_type: 'authorization_code' } },
      ),
    oauthUserInfo: (userAccessToken: string, openid: string) =>
      request<{ openid: string; nickname: string; headimgurl: string; unionid?: string }>('/sns/userinfo', {
        query: { access_token: userAccessToken, openid, lang: 'zh_CN' },
      }),
  };
}

export type WeChatApiClient = ReturnType<typeof createApiClient>;

/** The URL a fan's browser is sent to for web authorisation. */
export function oauthAuthorizeUrl(input: {
  authorizeBase: string;
  appId: string;
  redirectUri: string;
  scope: 'snsapi_base' | 'snsapi_userinfo';
  state: string;
}): string {
  const query = new URLSearchParams({
    appid: input.appId,
    redirect_uri: input.redirectUri,
    response_type: 'code',
    scope: input.scope,
    state: input.state,
  });
  return `${input.authorizeBase}/connect/oauth2/authorize?${query}#wechat_redirect`;
}

/** JS-SDK `wx.config` signature: sha1 over the four fields in this exact order. */
export function jsSdkSignature(
  ticket: string,
  url: string,
  nonceStr = randomBytes(8).toString('hex'),
  timestamp = Math.floor(Date.now() / 1000),
) {
  const pageUrl = url.split('#')[0] ?? url;
  const raw = `jsapi_ticket=${ticket}&noncestr=${nonceStr}&timestamp=${timestamp}&url=${pageUrl}`;
  return { nonceStr, timestamp, signature: createHash('sha1').update(raw).digest('hex') };
}
