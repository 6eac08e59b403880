import { merchantCtx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { dedupeKey, type InboundMessage, type PassiveReply } from '../../wechat/messages.ts';
import type { Account } from '../accounts/index.ts';
import {
  FOLLOWUP_JOB,
  LATE_REPLY_JOB,
  REPLY_DEADLINE_MS,
  routeMessage,
  scheduleSend,
} from './inbound.service.ts';
import { createRecorder, type Recorded } from './recorder.service.ts';

const PENDING = 'pending';
/** WeChat retries within ~15 s; remember replies much longer than that. */
const SEEN_TTL_MS = 10 * 60_000;
const TIMED_OUT = Symbol('timed out');

export type PushHandler = (account: Account, message: InboundMessage) => Promise<PassiveReply | null>;

/**
 * What happens to one verified push from WeChat: dedupe (a retry of a push being handled, or just
 * handled, gets the same answer and changes nothing), the answer decided and recorded (group
 * committed), a 4-second deadline after which the answer goes out through the customer-service
 * API instead, and the follow-up message scheduled. Returns the passive reply, if any.
 */
export function createPushHandler(deps: AppDeps): PushHandler {
  const record = createRecorder(deps);
  return async (account, message) => {
    const now = deps.clock.now();
    const seenKey = `wx:seen:${account.id}:${dedupeKey(message)}`;
    if (!(await deps.cache.setIfAbsent(seenKey, PENDING, SEEN_TTL_MS))) {
      const earlier = await deps.cache.get(seenKey);
      return earlier && earlier !== PENDING ? (JSON.parse(earlier) as PassiveReply | null) : null;
    }

    const ctx = merchantCtx(deps, account.merchant_id);
    const work: Promise<Recorded> = (async () => {
      const routed = await routeMessage(ctx, account, message);
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
        .catch((error) => deps.logger.error({ err: error }, 'late WeChat push failed'));
      return null;
    }
    await deps.cache.set(seenKey, JSON.stringify(result.reply), SEEN_TTL_MS);
    if (result.hasFollowup && !result.duplicate) {
      await scheduleSend(deps, FOLLOWUP_JOB, account, result.messageId, now);
    }
    return result.reply;
  };
}
