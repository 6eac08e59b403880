import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppDeps } from '../../deps.ts';
import { type CallbackQuery, EnvelopeError, openEnvelope, sealEnvelope } from '../../wechat/envelope.ts';
import {
  InboundMessageError,
  type PassiveReply,
  renderPassiveReply,
  toInboundMessage,
} from '../../wechat/messages.ts';
import { verifyCallbackSignature } from '../../wechat/signature.ts';
import { MAX_XML_BYTES } from '../../wechat/xml.ts';
import { accountForCallback } from '../accounts/index.ts';
import { searchTerms } from '../catalog/index.ts';
import { createPushHandler } from './push.service.ts';

function plain(reply: FastifyReply, status: number, body: string) {
  return reply.status(status).type('text/plain; charset=utf-8').send(body);
}

/**
 * `GET/POST /wechat/:appid`: the URL an operator gives WeChat as the account's server. Opens the
 * envelope (signature, decryption, message shape), hands the push to the channel, seals the reply.
 */
export function callbackRoutes(app: FastifyInstance, deps: AppDeps): void {
  const handlePush = createPushHandler(deps);

  // A fan's text is searched in the catalog, whose word segmenter loads its dictionary on first
  // use: ~100 ms on the event loop (seconds on a busy machine). Load it when the server starts
  // listening, not on the first push after a start, which would hold every push behind it.
  app.addHook('onListen', async () => {
    searchTerms('');
  });

  app.addContentTypeParser(
    ['text/xml', 'application/xml', 'text/plain'],
    { parseAs: 'string', bodyLimit: MAX_XML_BYTES },
    (_request, body, done) => done(null, body),
  );

  app.get<{ Params: { appid: string }; Querystring: CallbackQuery }>(
    '/wechat/:appid',
    async (request, reply) => {
      const found = await accountForCallback(deps, request.params.appid, deps.clock.now());
      const { signature = '', timestamp = '', nonce = '', echostr = '' } = request.query;
      if (!found || !verifyCallbackSignature(found.account.token, timestamp, nonce, signature)) {
        return plain(reply, 401, 'invalid signature');
      }
      return plain(reply, 200, echostr);
    },
  );

  app.post<{ Params: { appid: string }; Querystring: CallbackQuery; Body: string }>(
    '/wechat/:appid',
    async (request, reply) => {
      const now = deps.clock.now();
      const found = await accountForCallback(deps, request.params.appid, now);
      if (!found) return plain(reply, 404, 'unknown appid');
      const { account, crypto } = found;
      let opened: ReturnType<typeof openEnvelope>;
      let message: ReturnType<typeof toInboundMessage>;
      try {
        opened = openEnvelope(typeof request.body === 'string' ? request.body : '', request.query, {
          token: account.token,
          mode: account.mode,
          crypto,
        });
        message = toInboundMessage(opened.message);
      } catch (error) {
        if (error instanceof EnvelopeError || error instanceof InboundMessageError) {
          request.log.warn(
            { appid: account.appid, reason: (error as Error).message, ip: request.ip },
            'refused WeChat push',
          );
          const status = error instanceof EnvelopeError && error.reason === 'signature' ? 401 : 400;
          return plain(
            reply,
            status,
            error instanceof EnvelopeError ? `refused: ${error.reason}` : 'refused: message',
          );
        }
        throw error;
      }

      const send = (passive: PassiveReply | null) => {
        if (!passive) return plain(reply, 200, 'success');
        const xml = renderPassiveReply(passive, message.fromUser, message.toUser, Math.floor(now / 1000));
        if (!opened.encrypted || !crypto) return reply.type('application/xml').send(xml);
        const sealed = sealEnvelope(
          xml,
          crypto,
          account.token,
          String(Math.floor(now / 1000)),
          request.query.nonce ?? '',
        );
        return reply.type('application/xml').send(sealed.xml);
      };

      return send(await handlePush(account, message));
    },
  );
}
