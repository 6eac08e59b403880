import type { FastifyInstance } from 'fastify';
import { merchantCtx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { PaySignatureError } from '../../wechat/pay/pay-client.ts';
import { handlePayNotice, NoticeRejected } from './payments.service.ts';
import { handleRefundNotice } from './refunds.service.ts';

/**
 * WeChat Pay's notice URLs. A notice is acted upon only after its signature, serial, age and
 * content check out; anything else is refused (and logged), so WeChat retries or gives up.
 */
export function payNotifyRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: 64 * 1024 },
    (_request, body, done) => done(null, body),
  );

  const handler =
    (apply: typeof handlePayNotice) =>
    async (
      request: import('fastify').FastifyRequest<{ Params: { merchantId: string }; Body: string }>,
      reply: import('fastify').FastifyReply,
    ) => {
      try {
        const ctx = merchantCtx(deps, request.params.merchantId, { kind: 'system', name: 'wechat_pay' });
        const outcome = await apply(ctx, request.headers, String(request.body ?? ''));
        request.log.info({ merchant: request.params.merchantId, outcome }, 'WeChat Pay notice');
        return reply.status(204).send();
      } catch (error) {
        if (
          error instanceof PaySignatureError ||
          error instanceof NoticeRejected ||
          error instanceof SyntaxError
        ) {
          request.log.warn(
            { merchant: request.params.merchantId, reason: (error as Error).message, ip: request.ip },
            'refused WeChat Pay notice',
          );
          return reply.status(401).send({ code: 'FAIL', message: '验签或内容校验失败' });
        }
        if ((error as { code?: string }).code === 'payments_not_configured')
          return reply.status(404).send({ code: 'FAIL', message: 'unknown merchant' });
        if ((error as Error).message?.includes('Unsupported state or unable to authenticate data')) {
          request.log.warn({ merchant: request.params.merchantId }, 'WeChat Pay notice failed to decrypt');
          return reply.status(401).send({ code: 'FAIL', message: '解密失败' });
        }
        throw error;
      }
    };

  app.post('/pay/notify/:merchantId', handler(handlePayNotice));
  app.post('/pay/refund-notify/:merchantId', handler(handleRefundNotice as typeof handlePayNotice));
}
