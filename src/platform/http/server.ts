import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, { type FastifyError, LogController } from 'fastify';
import type { Logger } from 'pino';
import { AppError, pickLanguage } from './errors.ts';
import { ErrorSchema } from './schemas.ts';

export interface ServerOptions {
  logger: Logger;
  bodyLimitBytes: number;
  version: string;
}

// Fastify's own 4xx codes, renamed to ours.
const FRAMEWORK_ERRORS: Record<string, { code: string; zh: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'invalid_json', zh: '请求体不是有效的 JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'invalid_json', zh: '请求体为空' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'payload_too_large', zh: '请求体过大' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'unsupported_media_type', zh: '不支持的内容类型' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'bad_request', zh: '内容长度不正确' },
};

export async function createServer(options: ServerOptions) {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimitBytes,
    // Per-request lines cost more than the inbound hot path itself; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
  }).withTypeProvider<TypeBoxTypeProvider>();

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
