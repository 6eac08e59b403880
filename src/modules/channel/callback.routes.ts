import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppDeps } from '../../deps.ts';
import { type CallbackQuery, EnvelopeError, openEnvelope, sealEnvelope } from '../../wechat/envelope.ts';
import {
  dedupeKey,
  InboundMessageError,
  type PassiveReply,
  renderPassiveReply,
  toInboundMessage,
} from '../../wechat/messages.ts';
import { verifyCallbackSignature } from '../../wechat/signature.ts';
import { MAX_XML_BYTES } from '../../wechat/xml.ts';
import { accountForCallback } from '../accounts/accounts.service.ts';
import {
  createRecorder,
  FOLLOWUP_JOB,
  LATE_REPLY_JOB,
  REPLY_DEADLINE_MS,
  type Recorded,
  routeMessage,
  scheduleSend,
} from './inbound.service.ts';

const PENDING = 'pending';
/** WeChat retries within ~15 s; remember replies much longer than that. */
const SEEN_TTL_MS = 10 * 60_000;
const TIMED_OUT = Symbol('timed out');

function plain(reply: FastifyReply, status: number, body: string) {
  return reply.status(status).type('text/plain; charset=utf-8').send(body);
}

/** `GET/POST /wechat/:appid`: the URL an operator gives WeChat as the account's server. */
export function callbackRoutes(app: FastifyInstance, deps: AppDeps): void {
  const record = createRecorder(deps.db);

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

      // Fast dedupe: a retry of a push being handled (or just handled) never runs twice.
      const seenKey = `wx:seen:${account.id}:${dedupeKey(message)}`;
      if (!(await deps.cache.setIfAbsent(seenKey, PENDING, SEEN_TTL_MS))) {
        const earlier = await deps.cache.get(seenKey);
        return send(earlier && earlier !== PENDING ? (JSON.parse(earlier) as PassiveReply | null) : null);
      }

      const work: Promise<Recorded> = (async () => {
        const routed = await routeMessage(
          { db: deps.db, publicUrl: deps.config.publicUrl },
          account,
          message,
          now,
        );
        return record({ account, message, routed, now });
      })();
      let result: Recorded | typeof TIMED_OUT;
      let timer: NodeJS.Timeout | undefined;
      try {
        result = await Promise.race([
          work,
          new Promise<typeof TIMED_OUT>((resolve) => {
            timer = setTimeout(() => resolve(TIMED_OUT), REPLY_DEADLINE_MS);
          }),
        ]);
      } catch (error) {
        // Nothing was recorded: forget the push so WeChat's retry is handled afresh.
        await deps.cache.delete(seenKey);
        throw error;
      } finally {
        clearTimeout(timer);
      }
      if (result === TIMED_OUT) {
        work
          .then(async (late) => {
            await deps.cache.set(seenKey, JSON.stringify(null), SEEN_TTL_MS);
            if (late.duplicate) return;
            const at = deps.clock.now();
            if (late.reply) await scheduleSend(deps, LATE_REPLY_JOB, account, late.messageId, at);
            if (late.hasFollowup) await scheduleSend(deps, FOLLOWUP_JOB, account, late.messageId, at);
          })
          .catch((error) => request.log.error({ err: error }, 'late WeChat push failed'));
        return plain(reply, 200, 'success');
      }
      await deps.cache.set(seenKey, JSON.stringify(result.reply), SEEN_TTL_MS);
      if (result.hasFollowup && !result.duplicate) {
        await scheduleSend(deps, FOLLOWUP_JOB, account, result.messageId, now);
      }
      return send(result.reply);
    },
  );
}
