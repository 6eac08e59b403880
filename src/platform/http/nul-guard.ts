import type { FastifyRequest } from 'fastify';
import { AppError } from './errors.ts';

// PostgreSQL text cannot hold U+0000 and fails the whole statement with a 500; SQLite stores it
// and every later reader trips on it. No person types one: refuse it at the door, on both engines.
const nulRefused = () =>
  new AppError(400, 'invalid_text', {
    zh: '请求中含有空字符（U+0000），无法处理',
    en: 'The request contains a NUL character (U+0000)',
  });

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (!value || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Walks what JSON.parse makes (strings, arrays, plain objects); streams and buffers are left alone. */
function hasNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(hasNul);
  if (isPlainObject(value)) return Object.entries(value).some(([k, v]) => hasNul(k) || hasNul(v));
  return false;
}

/** onRequest: %00 anywhere in the path or query. */
export async function refuseNulInUrl(request: FastifyRequest): Promise<void> {
  if (/%00/.test(request.url)) throw nulRefused();
}

/**
 * preValidation: any NUL in the parsed body (JSON objects, or the text a route keeps raw). A walk
 * over what was parsed: cheaper than the database round trip every such request is about to make.
 */
export async function refuseNulInBody(request: FastifyRequest): Promise<void> {
  if (hasNul(request.body)) throw nulRefused();
}
