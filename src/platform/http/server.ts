import http from 'node:http';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, { type FastifyError, LogController } from 'fastify';
import type { Logger } from 'pino';
import { contentTypeGuard } from './content-type-guard.ts';
import { AppError, pickLanguage, TooManyRequests } from './errors.ts';
import { refuseNulInBody, refuseNulInUrl } from './nul-guard.ts';
import { ErrorSchema } from './schemas.ts';

export interface ServerOptions {
  logger: Logger;
  bodyLimitBytes: number;
  version: string;
  /** Served over HTTPS (PUBLIC_URL is https): browsers are told to never use plain HTTP here. */
  https?: boolean;
  /** Fastify's trustProxy: whose X-Forwarded-For names the client (default: nobody's). */
  trustProxy?: boolean | number | string;
}

// Fastify's own 4xx codes, renamed to ours.
const FRAMEWORK_ERRORS: Record<string, { code: string; zh: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'invalid_json', zh: '请求体不是有效的 JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'invalid_json', zh: '请求体为空' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'payload_too_large', zh: '请求体过大' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'unsupported_media_type', zh: '不支持的内容类型' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'bad_request', zh: '内容长度不正确' },
};

// Errors Node or the router raise before a request exists, in our shape. No request means no
// Accept-Language, so these say it in both languages.
const CLIENT_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: 'headers_too_large',
    message: '请求头过大 / Request header fields too large',
  },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: 'request_timeout', message: '请求超时 / Request timeout' },
};
const BAD_REQUEST = { status: 400, code: 'bad_request', message: '请求格式错误 / Malformed request' };

function clientErrorHandler(error: NodeJS.ErrnoException, socket: import('node:stream').Duplex) {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const known = CLIENT_ERRORS[error.code ?? ''] ?? BAD_REQUEST;
  const body = JSON.stringify({ error: { code: known.code, message: known.message } });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${known.status} ${http.STATUS_CODES[known.status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

const ROUTER_ERRORS: Record<string, { status: number; code: string; zh: string; en: string }> = {
  FST_ERR_BAD_URL: { status: 400, code: 'bad_url', zh: '地址格式不正确', en: 'Malformed URL' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: 'uri_too_long', zh: '地址过长', en: 'URL too long' },
};

export async function createServer(options: ServerOptions) {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimitBytes,
    // Fastify takes a hop count too (documented), though its types leave number out.
    trustProxy: (options.trustProxy ?? false) as boolean | string,
    // Per-request lines cost more than the inbound hot path itself; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    clientErrorHandler,
    frameworkErrors: (error, request, reply) => {
      const lang = pickLanguage(request.headers['accept-language']);
      const known = ROUTER_ERRORS[error.code] ?? {
        status: 500,
        code: 'internal_error',
        zh: '服务器内部错误',
        en: 'Internal server error',
      };
      if (known.status >= 500) request.log.error({ err: error }, 'router error');
      return (reply as import('fastify').FastifyReply)
        .status(known.status)
        .send({ error: { code: known.code, message: known[lang] } });
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onRequest', contentTypeGuard);
  app.addHook('onRequest', refuseNulInUrl);
  app.addHook('preValidation', refuseNulInBody);
  app.addHook('onSend', async (_request, reply) => {
    // Baseline for every answer; pages add their own Content-Security-Policy.
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    // The simulated phone frames shop pages from this origin; nobody else may frame anything.
    reply.header('x-frame-options', 'SAMEORIGIN');
    if (options.https) reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
  });

  app.addSchema(ErrorSchema);
  // Query strings and params are text, so they are coerced; a JSON body must have the right types.
  const strict = addFormats.default(new Ajv({ coerceTypes: false, useDefaults: true, allErrors: false }));
  const coercing = addFormats.default(new Ajv({ coerceTypes: 'array', useDefaults: true, allErrors: false }));
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema),
  );

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const lang = pickLanguage(request.headers['accept-language']);
    if (error instanceof AppError) {
      if (error instanceof TooManyRequests) reply.header('retry-after', String(error.retryAfterS));
      return reply.status(error.status).send({ error: { code: error.code, message: error.text[lang] } });
    }
    if (error.validation) {
      const detail = error.message;
      return reply.status(400).send({
        error: { code: 'validation_failed', message: lang === 'zh' ? `请求参数无效：${detail}` : detail },
      });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const known = FRAMEWORK_ERRORS[error.code];
      return reply.status(status).send({
        error: {
          code: known?.code ?? 'bad_request',
          message: lang === 'zh' && known ? known.zh : error.message,
        },
      });
    }
    request.log.error({ err: error, url: request.url }, 'unhandled error');
    return reply.status(500).send({
      error: { code: 'internal_error', message: lang === 'zh' ? '服务器内部错误' : 'Internal server error' },
    });
  });

  app.setNotFoundHandler((request, reply) => {
    const lang = pickLanguage(request.headers['accept-language']);
    return reply.status(404).send({
      error: {
        code: 'not_found',
        message: lang === 'zh' ? `没有这个地址：${request.url}` : `No route ${request.url}`,
      },
    });
  });

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Weiloop API',
        version: options.version,
        description: '微信公众号闭环电商与 CRM 平台 API',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'API token from `weiloop token create`' },
          session: { type: 'apiKey', in: 'cookie', name: 'wl_session' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    hideUntagged: true,
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs', uiConfig: { url: '/api/v1/openapi.json' } });
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  return app;
}

export type Server = Awaited<ReturnType<typeof createServer>>;
