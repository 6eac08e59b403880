import type { FastifyRequest } from 'fastify';
import { AppError } from './errors.ts';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Which URLs carry a signed-in person's cookie and change state: the console API and the shop.
 * WeChat's XML callbacks and WeChat Pay's notices authenticate by signature, not cookie, and
 * keep their own content types.
 */
const GUARDED = /^\/(api\/v1|shop)\//;

function mediaType(header: string | undefined): string | null {
  const type = header?.split(';')[0]?.trim().toLowerCase();
  return type ? type : null;
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  if (length !== undefined) return length !== '0';
  return request.headers['transfer-encoding'] !== undefined;
}

/**
 * A page on another site can make a browser POST text/plain, form-encoded or multipart to us
 * with the user's cookie and no CORS preflight. Refusing every body that is not JSON (or a type
 * the route itself declares, such as text/csv for imports, which also needs a preflight) closes
 * that door without relying on SameSite alone. One onRequest hook for the whole server: it runs
 * before any body is read.
 */
export async function contentTypeGuard(request: FastifyRequest): Promise<void> {
  if (!STATE_CHANGING.has(request.method) || !GUARDED.test(request.url)) return;
  const type = mediaType(request.headers['content-type']);
  if (type === null) {
    if (!hasBody(request)) return;
  } else if (type === 'application/json') {
    return;
  } else {
    const consumes = (request.routeOptions.schema as { consumes?: readonly string[] } | undefined)?.consumes;
    if (consumes?.includes(type)) return;
  }
  throw new AppError(415, 'unsupported_media_type', {
    zh: '此接口只接受 Content-Type: application/json 的请求体（无请求体时可不带 Content-Type）',
    en: 'This endpoint accepts only application/json bodies (or no Content-Type with an empty body)',
  });
}
