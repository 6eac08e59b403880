import { sql } from 'kysely';
import type { Db } from '../../database.ts';
import type { AppDeps } from '../../deps.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { createGroupCommit } from '../../platform/db/group-commit.ts';
import type { EventBus } from '../../platform/events/events.ts';
import { newId } from '../../platform/ids.ts';
import type { InboundMessage } from '../../wechat/messages.ts';
import { notifyLogWritten } from './log.service.ts';
import {
  finishWindowKey,
  INTERACTIVE,
  logRowOf,
  publishFinishWindow,
  type RecentlyTouched,
  type Recorded,
  type RecordItem,
  type RecordOutcome,
  recordOne,
  TOUCH_INTERVAL_MS,
  touchKey,
} from './record-push.ts';

export type { Recorded, RecordItem };

/*
 * Writing WeChat's pushes to the message log (the durable dedupe) with their effects on the
 * follower, group-committed: concurrent pushes share a transaction, and the plain messages of a
 * batch (most of a burst) are written with one statement for the log and one for the followers.
 */

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

/** Pushes that change no more than the follower's last contact: a batch writes these set-based. */
const PLAIN_KINDS = new Set<InboundMessage['kind']>([
  ...INTERACTIVE,
  'view',
  'scancode_push',
  'location_report',
]);

function isPlain(item: RecordItem): boolean {
  return PLAIN_KINDS.has(item.message.kind) && !item.routed.review && !item.routed.rule?.tagFan;
}

/**
 * Writes a batch in one transaction, in the batch's order: every log row with one multi-row
 * insert (a duplicate is left out by the unique key), then the followers of plain pushes with one
 * multi-row upsert. Pushes with more to do (subscribe, scan, a review, a tag, WeChat's reports, a
 * second message of a fan in the batch) and duplicates go through `recordOne` as before.
 */
async function recordBatch(
  trx: Db,
  events: EventBus,
  recentlyTouched: RecentlyTouched,
  items: RecordItem[],
  writtenAt: number,
): Promise<RecordOutcome[]> {
  // Ids in the batch's order, made now (see recordOne): the log's order is the order of writing.
  const ids = items.map((item) => newId('msg', Math.max(item.now, writtenAt)));
  const inserted = new Set<string>();
  for (let start = 0; start < items.length; start += LOG_ROWS_PER_STATEMENT) {
    const rows = await trx
      .insertInto('inbound_messages')
      .values(
        items.slice(start, start + LOG_ROWS_PER_STATEMENT).map((item, i) => logRowOf(item, ids[start + i]!)),
      )
      .onConflict((oc) => oc.columns(['account_id', 'dedupe_key']).doNothing())
      .returning('id')
      .execute();
    for (const row of rows) inserted.add(row.id);
  }

  const outcomes: Array<RecordOutcome | null> = items.map(() => null);
  const written = (i: number, touched: RecordOutcome['touched']): RecordOutcome => ({
    messageId: ids[i]!,
    duplicate: false,
    reply: items[i]!.routed.reply,
    hasFollowup: Boolean(items[i]!.routed.followup),
    touched,
  });
  // Plain pushes of fans met once in the batch: their follower rows in one statement (a fan
  // written in the last minute is not written again, as in recordOne).
  const fans = new Map<string, number>();
  for (const item of items) {
    const key = touchKey(item.account.id, item.message.fromUser);
    fans.set(key, (fans.get(key) ?? 0) + 1);
  }
  const touch: number[] = [];
  for (const [i, item] of items.entries()) {
    const key = touchKey(item.account.id, item.message.fromUser);
    if (!inserted.has(ids[i]!) || !isPlain(item) || fans.get(key) !== 1) continue;
    const recent = recentlyTouched.get(key);
    if (recent !== undefined && item.now - recent.at < TOUCH_INTERVAL_MS) outcomes[i] = written(i, null);
    else touch.push(i);
  }
  for (let start = 0; start < touch.length; start += FOLLOWER_ROWS_PER_STATEMENT) {
    const chunk = touch.slice(start, start + FOLLOWER_ROWS_PER_STATEMENT);
    const rows = await trx
      .insertInto('followers')
      .values(
        chunk.map((i) => {
          const { account, message, now } = items[i]!;
          return {
            id: newId('fan', now),
            merchant_id: account.merchant_id,
            account_id: account.id,
            openid: message.fromUser,
            unionid: null,
            subscribed: 1,
            first_subscribed_at: null,
            subscribed_at: null,
            unsubscribed_at: null,
            source_qrcode_id: null,
            last_interaction_at: INTERACTIVE.has(message.kind) ? now : null,
            created_at: now,
          };
        }),
      )
      // What touchFollower sets for a push that is neither a subscribe nor an unsubscribe.
      .onConflict((oc) =>
        oc.columns(['account_id', 'openid']).doUpdateSet({
          subscribed: 1,
          last_interaction_at: sql`coalesce(excluded.last_interaction_at, followers.last_interaction_at)`,
        }),
      )
      .returning(['id', 'account_id', 'openid'])
      .execute();
    const followerOf = new Map(rows.map((r) => [touchKey(r.account_id, r.openid), r.id]));
    for (const i of chunk) {
      const { account, message, now } = items[i]!;
      const key = touchKey(account.id, message.fromUser);
      const followerId = followerOf.get(key);
      if (!followerId) throw new Error(`follower of ${key} not written`);
      outcomes[i] = written(i, { key, followerId, at: now });
    }
  }
  // WeChat's reports on template sends (a send of a million notices brings a million): logged
  // above; the window event each names is published once per account and second in the batch.
  const windows = new Set<string>();
  for (const [i, item] of items.entries()) {
    if (outcomes[i] || item.message.kind !== 'template_send_finish' || !inserted.has(ids[i]!)) continue;
    const key = finishWindowKey(item.account.id, item.now);
    if (!windows.has(key)) await publishFinishWindow(trx, events, item.account, item.now);
    windows.add(key);
    outcomes[i] = { messageId: ids[i]!, duplicate: false, reply: null, hasFollowup: false, touched: null };
  }
  // The rest one by one, in order: a duplicate reads the row that was there first.
  for (const [i, item] of items.entries()) {
    if (outcomes[i]) continue;
    const logged = { id: inserted.has(ids[i]!) ? ids[i]! : undefined };
    outcomes[i] = await recordOne(trx, events, recentlyTouched, item, writtenAt, logged);
  }
  return outcomes as RecordOutcome[];
}

/** Rows per multi-row statement: 10 and 12 parameters a row, well under both engines' limits. */
const LOG_ROWS_PER_STATEMENT = 500;
const FOLLOWER_ROWS_PER_STATEMENT = 500;

/**
 * At most 256 pushes a batch, one batch writing at a time, and under a burst a batch every 5 ms:
 * a transaction a push cost several times what the push's own rows did (1,000 fans at once on
 * SQLite: a batch each). The 5 ms is nothing beside WeChat's 5 s, or the inbox screen's second.
 */
const BATCHING = [256, 1, 5] as const;

/**
 * A group-committed recorder for one database: concurrent pushes share transactions. If a batch
 * fails, each of its items is retried alone so one bad push cannot sink the others.
 */
export function createRecorder(deps: AppDeps): (item: RecordItem) => Promise<Recorded> {
  const { db } = deps;
  const recentlyTouched: RecentlyTouched = new Map();
  return createGroupCommit<RecordItem, Recorded>(
    async (items) => {
      try {
        const outcomes = await inTransaction(db, (trx) =>
          recordBatch(trx, deps.events, recentlyTouched, items, deps.clock.now()),
        );
        notifyLogWritten(deps);
        return remember(recentlyTouched, outcomes);
      } catch {
        const outcomes = await Promise.all(
          items.map((item) =>
            inTransaction(db, (trx) =>
              recordOne(trx, deps.events, recentlyTouched, item, deps.clock.now()),
            ).catch((error: Error) => error),
          ),
        );
        notifyLogWritten(deps);
        return remember(recentlyTouched, outcomes);
      }
    },
    ...BATCHING,
  );
}
