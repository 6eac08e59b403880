export interface LocalizedText {
  zh: string;
  en: string;
}

/** A failure a caller can act on: status, stable machine code, and a message in zh-CN and English. */
export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly text: LocalizedText;

  constructor(status: number, code: string, text: LocalizedText) {
    super(text.en);
    this.status = status;
    this.code = code;
    this.text = text;
  }
}

/** 429: the caller must wait; the server sends Retry-After (whole seconds). */
export class TooManyRequests extends AppError {
  readonly retryAfterS: number;
  constructor(retryAfterMs: number) {
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    super(429, 'too_many_attempts', {
      zh: `尝试次数过多，请 ${seconds} 秒后再试`,
      en: `Too many attempts; try again in ${seconds} s`,
    });
    this.retryAfterS = seconds;
  }
}

export const badRequest = (code: string, zh: string, en: string) => new AppError(400, code, { zh, en });
export const unauthorized = () =>
  new AppError(401, 'unauthorized', { zh: '请先登录', en: 'Authentication required' });
export const forbidden = (zh = '没有权限执行此操作', en = 'You are not allowed to do this') =>
  new AppError(403, 'forbidden', { zh, en });
export const notFound = (what: LocalizedText = { zh: '资源', en: 'Resource' }) =>
  new AppError(404, 'not_found', { zh: `${what.zh}不存在`, en: `${what.en} not found` });
export const conflict = (code: string, zh: string, en: string) => new AppError(409, code, { zh, en });

export function pickLanguage(acceptLanguage: string | undefined): 'zh' | 'en' {
  return acceptLanguage?.trim().toLowerCase().startsWith('en') ? 'en' : 'zh';
}
