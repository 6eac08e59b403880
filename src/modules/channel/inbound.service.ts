import { sql } from 'kysely';
import type { Ctx } from '../../context.ts';
import type { Db } from '../../database.ts';
import type { AppDeps } from '../../deps.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { createGroupCommit } from '../../platform/db/group-commit.ts';
import type { EventBus } from '../../platform/events/events.ts';
import { newId } from '../../platform/ids.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import { dedupeKey, type InboundMessage, type PassiveReply } from '../../wechat/messages.ts';
import type { Account } from '../accounts/index.ts';
import { awaitsReview, reviewFromChat } from '../orders/index.ts';
import { answerFromCatalog, answerNearestStores, shopLinks } from './catalog-answers.ts';
import { notifyLogWritten } from './log.service.ts';
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

/** How long after a second closes its template finishes are told (pushes still being written). */
const FINISH_WINDOW_GRACE_MS = 3_000;

/** Messages a fan sends (or menu clicks) open WeChat's 48-hour customer-service window. */
const INTERACTIVE = new Set<InboundMessage['kind']>([
  'text',
  'image',
  'voice',
  'video',
  'shortvideo',
  'location',
  'link',
  'click',
  'scancode_waitmsg',
  'location_select',
]);

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

function contentOf(message: InboundMessage): string | null {
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

interface RecordItem {
  account: Account;
  message: InboundMessage;
  routed: Routed;
  now: number;
}

export interface Recorded {
  messageId: string;
  /** True when WeChat had already delivered this push: nothing was changed again. */
  duplicate: boolean;
  reply: PassiveReply | null;
  hasFollowup: boolean;
}

/**
 * Followers this app wrote recently. A chatty fan's "last contact" needs minute precision
 * (the customer-service window is 48 hours), so repeat messages within a minute skip the write.
 * Filled only after a batch commits, so it never names a row that was rolled back.
 */
const TOUCH_INTERVAL_MS = 60_000;
type RecentlyTouched = Map<string, { followerId: string; at: number }>;
const touchKey = (accountId: string, openid: string) => `${accountId}:${openid}`;

interface RecordOutcome extends Recorded {
  touched: { key: string; followerId: string; at: number } | null;
}

/** Writes one push: the message log row (the durable dedupe) and its effects on the follower. */
async function recordOne(
  trx: Db,
  events: EventBus,
  recentlyTouched: RecentlyTouched,
  item: RecordItem,
  writtenAt: number,
): Promise<RecordOutcome> {
  const { account, message, routed, now } = item;
  // The id is the log's order, so it is made when the batch is written, not when the push
  // arrived: under a burst a push waits seconds for its batch, and an id from its arrival would
  // land behind rows the log readers already passed (they re-read only the last second).
  const messageId = newId('msg', Math.max(now, writtenAt));
  const key = dedupeKey(message);
  const inserted = await trx
    .insertInto('inbound_messages')
    .values({
      id: messageId,
      merchant_id: account.merchant_id,
      account_id: account.id,
      dedupe_key: key,
      openid: message.fromUser,
      kind: message.kind,
      content: contentOf(message),
      reply: routed.reply ? JSON.stringify(routed.reply) : null,
      followup: routed.followup ? JSON.stringify(routed.followup) : null,
      created_at: now,
    })
    .onConflict((oc) => oc.columns(['account_id', 'dedupe_key']).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
    const first = await trx
      .selectFrom('inbound_messages')
      .select(['id', 'reply'])
      .where('account_id', '=', account.id)
      .where('dedupe_key', '=', key)
      .executeTakeFirstOrThrow();
    const reply = first.reply ? (JSON.parse(first.reply) as PassiveReply) : null;
    return { messageId: first.id, duplicate: true, reply, hasFollowup: false, touched: null };
  }
  if (message.kind === 'template_send_finish') {
    // The row above is the record (status in content); one event per account and second.
    const from = Math.floor(now / 1000) * 1000;
    await events.publish(
      trx,
      {
        name: WECHAT_EVENTS.templateFinishes,
        merchantId: account.merchant_id,
        key: `${account.id}:${from}`,
        payload: { accountId: account.id, from, to: from + 999 },
        runAt: from + 1000 + FINISH_WINDOW_GRACE_MS,
      },
      now,
    );
    return { messageId, duplicate: false, reply: null, hasFollowup: false, touched: null };
  }
  if (message.kind === 'mass_send_finish') {
    // Whoever sent it (messaging) hears the outcome; WeChat's MsgID names the send.
    await events.publish(
      trx,
      {
        name: WECHAT_EVENTS.sendJobFinished,
        merchantId: account.merchant_id,
        key: `${account.id}:${message.kind}:${message.msgId}`,
        payload: {
          accountId: account.id,
          kind: 'mass',
          msgId: message.msgId,
          status: message.status,
          total: message.totalCount,
          filtered: message.filterCount,
          sent: message.sentCount,
          errors: message.errorCount,
          at: now,
        },
      },
      now,
    );
    return { messageId, duplicate: false, reply: null, hasFollowup: false, touched: null };
  }
  const recentKey = touchKey(account.id, message.fromUser);
  const recent = recentlyTouched.get(recentKey);
  const changesState =
    message.kind === 'subscribe' || message.kind === 'unsubscribe' || message.kind === 'scan';
  const fresh = recent !== undefined && !changesState && now - recent.at < TOUCH_INTERVAL_MS;
  const followerId = fresh ? recent.followerId : await touchFollower(trx, account, message, now);
  const touched = fresh || message.kind === 'unsubscribe' ? null : { key: recentKey, followerId, at: now };
  if (message.kind === 'subscribe' || message.kind === 'scan') {
    await recordScan(trx, account, followerId, message.kind, message.scene, now);
  }
  if (message.kind === 'subscribe') {
    // The unionid (one person across the merchant's accounts) comes from WeChat's user info API.
    await enqueueJob(
      trx,
      { type: FETCH_PROFILE_JOB, key: followerId, merchantId: account.merchant_id, payload: { followerId } },
      now,
    );
  }
  if (routed.review) {
    await reviewFromChat(
      { db: trx, merchantId: account.merchant_id, now, events },
      message.fromUser,
      routed.review,
    );
  }
  if (routed.rule?.tagFan) {
    await trx
      .insertInto('follower_tags')
      .values({
        follower_id: followerId,
        merchant_id: account.merchant_id,
        tag: routed.rule.tagFan,
        created_at: now,
      })
      .onConflict((oc) => oc.columns(['follower_id', 'tag']).doNothing())
      .execute();
  }
  return { messageId, duplicate: false, reply: routed.reply, hasFollowup: Boolean(routed.followup), touched };
}

function remember(
  recentlyTouched: RecentlyTouched,
  outcomes: Array<RecordOutcome | Error>,
): Array<Recorded | Error> {
  return outcomes.map((outcome) => {
    if (outcome instanceof Error) return outcome;
    const { touched, ...recorded } = outcome;
    if (touched) {
      if (recentlyTouched.size > 100_000) recentlyTouched.clear();
      recentlyTouched.set(touched.key, { followerId: touched.followerId, at: touched.at });
    }
    return recorded;
  });
}

/** Creates or updates the follower: subscribe state, first source (never overwritten), last contact. */
async function touchFollower(
  trx: Db,
  account: Account,
  message: InboundMessage,
  now: number,
): Promise<string> {
  const subscribing = message.kind === 'subscribe';
  const unsubscribing = message.kind === 'unsubscribe';
  const interactive = INTERACTIVE.has(message.kind);
  let sourceId: string | null = null;
  if (subscribing && message.scene) {
    const code = await trx
      .selectFrom('channel_qrcodes')
      .select('id')
      .where('account_id', '=', account.id)
      .where('scene', '=', message.scene)
      .executeTakeFirst();
    sourceId = code?.id ?? null;
  }
  const row = await trx
    .insertInto('followers')
    .values({
      id: newId('fan', now),
      merchant_id: account.merchant_id,
      account_id: account.id,
      openid: message.fromUser,
      unionid: null,
      // Only a subscribed fan can message an account, so any push but unsubscribe means "following".
      subscribed: unsubscribing ? 0 : 1,
      first_subscribed_at: subscribing ? now : null,
      subscribed_at: subscribing ? now : null,
      unsubscribed_at: unsubscribing ? now : null,
      source_qrcode_id: sourceId,
      last_interaction_at: interactive || subscribing ? now : null,
      created_at: now,
    })
    .onConflict((oc) =>
      oc.columns(['account_id', 'openid']).doUpdateSet({
        subscribed: unsubscribing ? 0 : 1,
        first_subscribed_at: sql`coalesce(followers.first_subscribed_at, excluded.first_subscribed_at)`,
        subscribed_at: subscribing ? now : sql`followers.subscribed_at`,
        unsubscribed_at: unsubscribing ? now : sql`followers.unsubscribed_at`,
        source_qrcode_id: sql`coalesce(followers.source_qrcode_id, excluded.source_qrcode_id)`,
        last_interaction_at: interactive || subscribing ? now : sql`followers.last_interaction_at`,
      }),
    )
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

async function recordScan(
  trx: Db,
  account: Account,
  followerId: string,
  kind: 'subscribe' | 'scan',
  scene: string | null,
  now: number,
): Promise<void> {
  if (!scene) return;
  const code = await trx
    .selectFrom('channel_qrcodes')
    .select('id')
    .where('account_id', '=', account.id)
    .where('scene', '=', scene)
    .executeTakeFirst();
  if (!code) return;
  await trx
    .insertInto('qrcode_scans')
    .values({
      id: newId('scan', now),
      merchant_id: account.merchant_id,
      qrcode_id: code.id,
      follower_id: followerId,
      kind,
      created_at: now,
    })
    .execute();
}

/**
 * A group-committed recorder for one database: concurrent pushes share transactions. If a batch
 * fails, each of its items is retried alone so one bad push cannot sink the others.
 */
export function createRecorder(deps: AppDeps): (item: RecordItem) => Promise<Recorded> {
  const { db } = deps;
  const recentlyTouched: RecentlyTouched = new Map();
  const recordAll = (trx: Db, item: RecordItem) =>
    recordOne(trx, deps.events, recentlyTouched, item, deps.clock.now());
  return createGroupCommit<RecordItem, Recorded>(async (items) => {
    try {
      const outcomes = await inTransaction(db, async (trx) => {
        const results: RecordOutcome[] = [];
        for (const item of items) results.push(await recordAll(trx, item));
        return results;
      });
      notifyLogWritten(deps);
      return remember(recentlyTouched, outcomes);
    } catch {
      const outcomes = await Promise.all(
        items.map((item) => inTransaction(db, (trx) => recordAll(trx, item)).catch((error: Error) => error)),
      );
      notifyLogWritten(deps);
      return remember(recentlyTouched, outcomes);
    }
  });
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
