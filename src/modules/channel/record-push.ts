import { sql } from 'kysely';
import type { Db } from '../../database.ts';
import type { EventBus } from '../../platform/events/events.ts';
import { newId } from '../../platform/ids.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import { dedupeKey, type InboundMessage, type PassiveReply } from '../../wechat/messages.ts';
import type { Account } from '../accounts/index.ts';
import { reviewFromChat } from '../orders/index.ts';
import { contentOf, FETCH_PROFILE_JOB, WECHAT_EVENTS } from './inbound.service.ts';
import type { Routed } from './routed.ts';

/** One push written to the message log with its effects (the recorder's per-push path). */

/** How long after a second closes its template finishes are told (pushes still being written). */
const FINISH_WINDOW_GRACE_MS = 3_000;

/** Messages a fan sends (or menu clicks) open WeChat's 48-hour customer-service window. */
export const INTERACTIVE = new Set<InboundMessage['kind']>([
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

export interface RecordItem {
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
export const TOUCH_INTERVAL_MS = 60_000;
export type RecentlyTouched = Map<string, { followerId: string; at: number }>;
export const touchKey = (accountId: string, openid: string) => `${accountId}:${openid}`;

export interface RecordOutcome extends Recorded {
  touched: { key: string; followerId: string; at: number } | null;
}

/** The log row of one push: inserted (the durable dedupe), or undefined when it was there already. */
/** A push's row in the message log. */
export function logRowOf({ account, message, routed, now }: RecordItem, id: string) {
  return {
    id,
    merchant_id: account.merchant_id,
    account_id: account.id,
    dedupe_key: dedupeKey(message),
    openid: message.fromUser,
    kind: message.kind,
    content: contentOf(message),
    reply: routed.reply ? JSON.stringify(routed.reply) : null,
    followup: routed.followup ? JSON.stringify(routed.followup) : null,
    created_at: now,
  };
}

async function logRow(trx: Db, item: RecordItem, writtenAt: number): Promise<string | undefined> {
  const { now } = item;
  // The id is the log's order, so it is made when the batch is written, not when the push
  // arrived: under a burst a push waits seconds for its batch, and an id from its arrival would
  // land behind rows the log readers already passed (they re-read only the last second).
  const messageId = newId('msg', Math.max(now, writtenAt));
  const inserted = await trx
    .insertInto('inbound_messages')
    .values(logRowOf(item, messageId))
    .onConflict((oc) => oc.columns(['account_id', 'dedupe_key']).doNothing())
    .executeTakeFirst();
  return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0 ? undefined : messageId;
}

/** The second a TEMPLATESENDJOBFINISH logged at `now` falls in: its window event's key. */
export const finishWindowKey = (accountId: string, now: number) =>
  `${accountId}:${Math.floor(now / 1000) * 1000}`;

/**
 * The log row is the record of a TEMPLATESENDJOBFINISH (status in content); whoever sent hears of
 * the account's pushes one second at a time, once the second has closed: one event per account
 * and second (the key makes a second's later pushes publish nothing new).
 */
export async function publishFinishWindow(trx: Db, events: EventBus, account: Account, now: number) {
  const from = Math.floor(now / 1000) * 1000;
  await events.publish(
    trx,
    {
      name: WECHAT_EVENTS.templateFinishes,
      merchantId: account.merchant_id,
      key: finishWindowKey(account.id, now),
      payload: { accountId: account.id, from, to: from + 999 },
      runAt: from + 1000 + FINISH_WINDOW_GRACE_MS,
    },
    now,
  );
}

/**
 * Writes one push: the message log row (the durable dedupe) and its effects on the follower.
 * `logged`: the batch already wrote the log row (its id), or found it there (undefined).
 */
export async function recordOne(
  trx: Db,
  events: EventBus,
  recentlyTouched: RecentlyTouched,
  item: RecordItem,
  writtenAt: number,
  logged?: { id: string | undefined },
): Promise<RecordOutcome> {
  const { account, message, routed, now } = item;
  const messageId = logged ? logged.id : await logRow(trx, item, writtenAt);
  if (messageId === undefined) {
    const key = dedupeKey(message);
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
    await publishFinishWindow(trx, events, account, now);
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
