/** The console talks to /api/v1 with the session cookie; every failure has one error shape. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`/api/v1${path}`, {
    method,
    credentials: 'same-origin',
    headers: {
      'accept-language': localStorage.getItem('weiloop-lang') === 'en' ? 'en' : 'zh-CN',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok)
    throw new ApiError(
      response.status,
      data?.error?.code ?? 'error',
      data?.error?.message ?? response.statusText,
    );
  return data as T;
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body?: unknown) => api<T>('POST', path, body ?? {});
export const put = <T>(path: string, body: unknown) => api<T>('PUT', path, body);

export interface Account {
  id: string;
  name: string;
  appid: string;
  type: 'subscription' | 'service';
  verified: boolean;
  mode: 'plain' | 'compatible' | 'safe';
  token: string;
  callback_url: string;
}

export const fen = (value: number) => `¥${(value / 100).toFixed(2)}`;
export const time = (ms: number | null | undefined) =>
  ms ? new Date(ms).toLocaleString('zh-CN', { hour12: false }) : '—';
