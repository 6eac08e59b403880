import { sql } from 'kysely';
import type { Ctx } from '../../context.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import {
  type TemplateFinish,
  templateFinishesBetween,
  templateFinishesForFans,
  templateFinishesOf,
} from '../channel/index.ts';
import { chinaDay } from './china-time.ts';
import { refundDaily } from './notice-allowance.ts';
import { updateNoticesFrom } from './notice-updates.ts';

export const SETTLE_JOB = 'messaging.notice_settle';
/**
 * A sender starts no call later than this after claiming its page; with the API client's
 * five-second timeout, every call of a page has ended by CALLS_WITHIN_MS + 5 s.
 */
export const CALLS_WITHIN_MS = 10_000;
/**
 * How long after a page was claimed its leftover rows are decided: its calls have all ended (by
 * 15 s), and WeChat pushes TEMPLATESENDJOBFINISH within moments of taking a call, retrying an
 * unanswered push. A live sender never still holds a row this old, so a settle cannot race it.
 * The 15 s beyond are the margin for a WeChat that takes a request late (the bench saw a
 * simulator stalled for seconds by SQLite write waits take requests after the client gave up):
 * a request WeChat takes later than this is the one way left to send a notice twice.
 */
export const SETTLE_AFTER_MS = 30_000;
/** Clock difference tolerated between the sending worker and the server that logged the push. */
const CLOCK_MARGIN_MS = 2_000;

/** Settles the batch's in-flight rows once SETTLE_AFTER_MS has passed since `at`. */
export async function scheduleSettle(ctx: Ctx, batchId: string, at?: number) {
  const runAt = at ?? ctx.deps.clock.now() + SETTLE_AFTER_MS;
  await enqueueJob(
    ctx.db,
    {
      type: SETTLE_JOB,
      key: `${batchId}@${runAt}`,
      merchantId: ctx.merchantId,
      payload: { batch: batchId },
      runAt,
      maxAttempts: 12,
    },
    ctx.deps.clock.now(),
  );
}

/**
 * Decides the notices of a batch left 'sending' (their worker died mid-call, or the call timed
 * out). WeChat's template API has no idempotency key and no way to ask "did message X go out",
 * so a blind resend may deliver twice and dropping them may lose them. What WeChat does offer is
 * its TEMPLATESENDJOBFINISH push, which names the fan (FromUserName) and comes whether or not our
 * caller lived: a push for the fan since the call began, not already owned by another notice,
 * means WeChat took the call — the notice is sent (with that MsgID). No push within
 * SETTLE_AFTER_MS means it never got there — the notice goes back to 'pending' and is sent again.
 * Left open: a push WeChat failed to deliver (our server down for all three tries) makes a
 * resend, i.e. a duplicate; two notices to one fan in flight at the same kill can swap MsgIDs
 * (both counted sent, rightly). Customer-service (chat) notices have no push and are resent.
 * Returns how many went back to 'pending'.
 */
export async function settleInFlight(ctx: Ctx, batchId: string): Promise<number> {
  const now = ctx.deps.clock.now();
  const rows = await ctx.db
    .selectFrom('notices')
    .select(['id', 'account_id', 'openid', 'via', 'sent_at'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('batch_id', '=', batchId)
    .where('status', '=', 'sending')
    .execute();
  if (rows.length === 0) return 0;
  const claimedAt = (r: (typeof rows)[number]) => Number(r.sent_at ?? 0);
  const due = rows.filter((r) => claimedAt(r) + SETTLE_AFTER_MS <= now);
  const waiting = rows.filter((r) => claimedAt(r) + SETTLE_AFTER_MS > now);
  if (waiting.length)
    await scheduleSettle(ctx, batchId, Math.max(...waiting.map(claimedAt)) + SETTLE_AFTER_MS);
  if (due.length === 0) return 0;

  const accountId = due[0]!.account_id;
  const templates = due.filter((r) => r.via === 'template');
  const since = Math.min(...due.map(claimedAt)) - CLOCK_MARGIN_MS;
  const finishes = templates.length
    ? await templateFinishesForFans(ctx, accountId, [...new Set(templates.map((r) => r.openid))], since)
    : [];
  const owned = await ownedMsgIds(
    ctx,
    accountId,
    finishes.map((f) => f.msgId),
  );
  const unclaimed = new Map<string, TemplateFinish[]>();
  for (const f of finishes)
    if (!owned.has(f.msgId)) unclaimed.set(f.openid, [...(unclaimed.get(f.openid) ?? []), f]);
  const landed: Array<[string, string, string, string]> = [];
  const unsent: string[] = [];
  for (const row of due) {
    const list = row.via === 'template' ? unclaimed.get(row.openid) : undefined;
    const index = list?.findIndex((f) => f.at >= claimedAt(row) - CLOCK_MARGIN_MS) ?? -1;
    if (list && index >= 0) {
      const [finish] = list.splice(index, 1);
      landed.push([row.id, finish!.msgId, finish!.status, String(claimedAt(row))]);
    } else unsent.push(row.id);
  }
  await inTransaction(ctx.db, async (trx) => {
    await updateNoticesFrom(
      trx,
      ctx.deps.dialect,
      landed,
      sql`status = 'sent', msg_id = v.column2, finish_status = v.column3, error = null, attempts = attempts + 1`,
      sql`notices.id = v.column1 and notices.status = 'sending' and notices.sent_at = cast(v.column4 as bigint)`,
    );
    // Their calls never reached WeChat: the allowance the dead sender reserved for the template
    // ones returns, counted from the rows this settle moved (another may have moved some).
    const refunds = new Map<string, { n: number; at: number }>();
    for (let i = 0; i < unsent.length; i += 500)
      for (const moved of await trx
        .updateTable('notices')
        .set({ status: 'pending' })
        .where('id', 'in', unsent.slice(i, i + 500))
        .where('status', '=', 'sending')
        .where('sent_at', '<=', now - SETTLE_AFTER_MS)
        .returning(['via', 'sent_at'])
        .execute())
        if (moved.via === 'template') {
          const at = Number(moved.sent_at);
          const day = refunds.get(chinaDay(at)) ?? { n: 0, at };
          refunds.set(chinaDay(at), { n: day.n + 1, at });
        }
    for (const { n, at } of refunds.values()) await refundDaily(trx, accountId, n, at);
  });
  return unsent.length;
}

async function ownedMsgIds(ctx: Ctx, accountId: string, msgIds: string[]): Promise<Set<string>> {
  const owned = new Set<string>();
  for (let i = 0; i < msgIds.length; i += 500)
    for (const r of await ctx.db
      .selectFrom('notices')
      .select('msg_id')
      .where('account_id', '=', accountId)
      .where('msg_id', 'in', msgIds.slice(i, i + 500))
      .execute())
      if (r.msg_id) owned.add(r.msg_id);
  return owned;
}

/** The account's notices with these msg_ids and no finish status yet: an index read of notices_msg. */
export function unfinishedByMsgId(ctx: Ctx, accountId: string, msgIds: string[]) {
  return ctx.db
    .selectFrom('notices')
    .select(['id', 'msg_id', 'merchant_id'])
    .where('account_id', '=', accountId)
    .where('msg_id', 'in', msgIds)
    .where('finish_status', 'is', null);
}

/**
 * Writes WeChat's finish statuses onto the notices they name; first word stands. The notices are
 * found by (account, msg_id) first and then updated by id: joined to a list of values, SQLite's
 * planner (no statistics) walked every notice of the merchant once per value instead.
 */
async function applyFinishes(ctx: Ctx, accountId: string, finishes: TemplateFinish[]) {
  const statusOf = new Map(finishes.map((f) => [f.msgId, f.status.slice(0, 64)]));
  const msgIds = [...statusOf.keys()];
  const rows: string[][] = [];
  for (let i = 0; i < msgIds.length; i += 500)
    // The merchant is checked here, not in the query: as a condition it led SQLite's planner
    // to the merchant's whole list of notices.
    for (const n of await unfinishedByMsgId(ctx, accountId, msgIds.slice(i, i + 500)).execute())
      if (n.merchant_id === ctx.merchantId && n.msg_id) rows.push([n.id, statusOf.get(n.msg_id)!]);
  await updateNoticesFrom(
    ctx.db,
    ctx.deps.dialect,
    rows,
    sql`finish_status = v.column2`,
    sql`notices.id = v.column1 and notices.finish_status is null`,
  );
}

/** The pushes that beat the API's answers of a page just recorded (WeChat pushes at once). */
export async function fillFinishes(ctx: Ctx, accountId: string, msgIds: string[]): Promise<string[]> {
  if (msgIds.length === 0) return [];
  const finishes = await templateFinishesOf(ctx, accountId, msgIds);
  await applyFinishes(ctx, accountId, finishes);
  const arrived = new Set(finishes.map((f) => f.msgId));
  return msgIds.filter((id) => !arrived.has(id));
}

/** A page whose pushes this share of still missing is far enough behind to wait for. */
const BEHIND_SHARE = 0.05;
/** The longest a sender waits for one page's pushes before it goes on regardless. */
const RECEIPTS_WAIT_MS = 5_000;

/**
 * Waits until WeChat's TEMPLATESENDJOBFINISH pushes for a page's calls (`missing`: those not yet in
 * the log when the page was recorded) are in the log, all but BEHIND_SHARE of `sent`, for at most
 * RECEIPTS_WAIT_MS; fills their finish statuses. A settle decides a dead sender's calls by those
 * pushes 30 s after its claim: a sender that outran its own server's intake (a PostgreSQL log
 * falling behind 2,000 pushes a second) left pushes queued past that, and the settle resent
 * notices WeChat had delivered. Returns whether any of the page's pushes came (none: the
 * account's server may not be receiving them; a sender stops waiting after a few such pages).
 */
export async function awaitReceipts(ctx: Ctx, accountId: string, sent: number, missing: string[]) {
  const deadline = Date.now() + RECEIPTS_WAIT_MS;
  let left = missing;
  while (left.length > sent * BEHIND_SHARE && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    left = await fillFinishes(ctx, accountId, left);
  }
  return left.length < sent;
}

/** One account's pushes of one second (WECHAT_EVENTS.templateFinishes): one job, not one each. */
export async function recordFinishWindow(ctx: Ctx, accountId: string, from: number, to: number) {
  await applyFinishes(ctx, accountId, await templateFinishesBetween(ctx, accountId, from, to));
}

/** TEMPLATESENDJOBFINISH heard one at a time (events queued before windows existed). */
export async function recordTemplateFinish(ctx: Ctx, accountId: string, msgId: string, status: string) {
  await applyFinishes(ctx, accountId, [{ openid: '', msgId, status, at: 0 }]);
}
