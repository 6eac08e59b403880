import type { Ctx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import type { InboundMessage } from '../../wechat/messages.ts';
import type { Account } from '../accounts/index.ts';
import { awaitsReview } from '../orders/index.ts';
import { answerFromCatalog, answerNearestStores, shopLinks } from './catalog-answers.ts';
import { matcherFor } from './replies.service.ts';
import type { Routed } from './routed.ts';
import type { CompiledRule } from './rule-matcher.ts';

/** What channel tells others about WeChat's pushes that are not a fan's doing. */
export const WECHAT_EVENTS = {
  /** MASSSENDJOBFINISH / TEMPLATESENDJOBFINISH: sent, filtered, errors of one send. */
  sendJobFinished: 'wechat.send_job_finished',
  /**
   * TEMPLATESENDJOBFINISH pushes of one account and second, told once after the second closed:
   * WeChat pushes one per notice, and a job per push would cost more than the notice itself.
   * Payload { accountId, from, to }; read them with templateFinishesBetween.
   */
  templateFinishes: 'wechat.template_finishes',
} as const;

/** WeChat gives up after 5 s; answer well before, and follow up through the API if late. */
export const REPLY_DEADLINE_MS = 4_000;

/**
 * Decides the answer. Keyword rules first (the operator's word wins); then what the catalog
 * knows (a guide, a city's deals, matching products, the nearest stores); then the default
 * reply, so a fan never meets silence. Reads only; writes happen in `record`.
 */
export async function routeMessage(ctx: Ctx, account: Account, message: InboundMessage): Promise<Routed> {
  const { now } = ctx;
  const matcher = await matcherFor(ctx, account.id);
  const pick = (rule: CompiledRule | null): Routed => ({ rule, reply: rule?.reply ?? null });
  const fallback = () => pick(matcher.fallback(now));
  const catalog = ctx;
  const links = shopLinks(ctx.deps.config.publicUrl, account.appid);
  switch (message.kind) {
    case 'subscribe':
      return pick(matcher.welcome(now));
    case 'click':
      return pick(matcher.click(message.key, now));
    case 'text':
    case 'voice': {
      const text = message.kind === 'text' ? message.content : (message.recognition ?? '');
      const rule = text ? matcher.match(text, now) : null;
      if (rule) return pick(rule);
      const fromCatalog = text ? await answerFromCatalog(catalog, links, text) : null;
      if (fromCatalog) return fromCatalog;
      if (text.trim().length >= 4 && (await awaitsReview(ctx, message.fromUser))) {
        return {
          rule: null,
          reply: { type: 'text', content: '感谢您的评价！我们会继续努力，期待您再次光临。' },
          review: text,
        };
      }
      return fallback();
    }
    case 'location':
    case 'location_select':
    case 'location_report':
      return (await answerNearestStores(catalog, links, message.latitude, message.longitude)) ?? fallback();
    case 'image':
    case 'video':
    case 'shortvideo':
    case 'link':
      return fallback();
    default:
      return { rule: null, reply: null };
  }
}

/** What the log keeps of a push: the text, the key clicked, the place, … (bounded). */
export function contentOf(message: InboundMessage): string | null {
  switch (message.kind) {
    case 'text':
      return message.content.slice(0, 2000);
    case 'voice':
      return message.recognition;
    case 'click':
    case 'scancode_push':
    case 'scancode_waitmsg':
      return message.key;
    case 'view':
      return message.url;
    case 'location':
      return JSON.stringify({ lat: message.latitude, lng: message.longitude, label: message.label });
    case 'location_report':
      return JSON.stringify({ lat: message.latitude, lng: message.longitude });
    case 'subscribe':
    case 'scan':
      return message.scene;
    case 'link':
      return message.url;
    case 'template_send_finish':
      return message.status.slice(0, 64);
    default:
      return null;
  }
}

/** Fetches a new follower's profile (unionid) from WeChat. */
export const FETCH_PROFILE_JOB = 'channel.fetch_profile';

/** Sends a message's reply through the customer-service API: it missed WeChat's deadline. */
export const LATE_REPLY_JOB = 'channel.late_reply';
/** Sends a message's follow-up (the second message) through the customer-service API. */
export const FOLLOWUP_JOB = 'channel.followup';

export async function scheduleSend(
  deps: Pick<AppDeps, 'db' | 'wakeJobs'>,
  type: typeof LATE_REPLY_JOB | typeof FOLLOWUP_JOB,
  account: Account,
  messageId: string,
  now: number,
) {
  await enqueueJob(
    deps.db,
    { type, key: messageId, merchantId: account.merchant_id, payload: { messageId } },
    now,
  );
  deps.wakeJobs();
}
