import { sql } from 'kysely';
import type { Ctx } from '../../context.ts';
import type { CacheScript } from '../../platform/cache/cache.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import { WeChatApiError, WeChatErrorCode, WeChatUnreachableError } from '../../wechat/api-client.ts';
import { apiClientFor, getAccount } from '../accounts/index.ts';
import { chinaDay, nextChinaMidnight } from './china-time.ts';
import { refundDaily, reserveDaily } from './notice-allowance.ts';
import {
  awaitReceipts,
  CALLS_WITHIN_MS,
  fillFinishes,
  scheduleSettle,
  settleInFlight,
} from './notice-settle.ts';
import { updateNoticesFrom } from './notice-updates.ts';
import type { NoticesTable } from './notices.schema.ts';
import { NOTICE_JOB, noticeSettings } from './notices.service.ts';

/** Notices claimed, sent and recorded together. */
const PAGE = 1_000;
/** Calls in flight at once for one batch (the worker runs a few batches side by side). */
const CONCURRENCY = 48;
/** Pages in a row whose pushes never came, after which a sender stops waiting for them. */
const PAGES_WITHOUT_PUSHES = 3;
/** A notice that failed this often (WeChat busy, unreachable) is given up and recorded failed. */
const MAX_ATTEMPTS = 8;

/**
 * Takes up to ARGV[2] sends from this second's window (KEYS[1]) of at most ARGV[1]; forgets the
 * previous second (KEYS[2]). Shared through Redis, so several workers keep one account's pace.
 */
const TAKE_RATE: CacheScript<number> = {
  lua: `local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local grant = math.min(tonumber(ARGV[2]), tonumber(ARGV[1]) - used)
if grant <= 0 then return 0 end
redis.call('INCRBY', KEYS[1], grant)
redis.call('PEXPIRE', KEYS[1], 5000)
redis.call('DEL', KEYS[2])
return grant`,
  local(store, [key, previous], [limit, wanted]) {
    const used = Number(store.get(key!) ?? 0);
    const grant = Math.min(Number(wanted), Number(limit) - used);
    if (grant <= 0) return 0;
    store.incrBy(key!, grant);
    store.delete(previous!);
    return grant;
  },
};

/** Waits until `n` sends fit in the account's per-second pace; returns when all are granted. */
async function pace(ctx: Ctx, accountId: string, perSecond: number, n: number): Promise<void> {
  let left = n;
  while (left > 0) {
    const second = Math.floor(Date.now() / 1000);
    const granted = await ctx.deps.cache.eval(
      TAKE_RATE,
      [`ntc:rate:${accountId}:${second}`, `ntc:rate:${accountId}:${second - 1}`],
      [String(perSecond), String(left)],
    );
    left -= granted;
    if (left > 0) await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 1));
  }
}

type Outcome =
  | { id: string; status: 'sent'; msgId: string | null }
  | { id: string; status: 'skipped' | 'failed'; error: string }
  | { id: string; status: 'retry'; error: string }
  /** No answer (timeout, connection lost): WeChat may have sent it; settled on evidence later. */
  | { id: string; status: 'unknown' };

/**
 * Records a page's outcomes in one transaction, a few set-based statements. Only rows still in
 * this sender's claim change ('sending' with sent_at = its claim time, a token no other claim
 * shares): a settle that already decided a row wins. Rows never called (WeChat's daily limit
 * hit, or the page ran past CALLS_WITHIN_MS) go back to 'pending', and the allowance of template
 * notices that took no call returns in the same transaction.
 */
async function record(
  ctx: Ctx,
  accountId: string,
  claimedAt: number,
  outcomes: Outcome[],
  untried: string[],
) {
  const now = ctx.deps.clock.now();
  const sent = outcomes.flatMap((o) => (o.status === 'sent' ? [[o.id, o.msgId]] : []));
  const final = outcomes.flatMap((o) =>
    o.status === 'skipped' || o.status === 'failed' ? [[o.id, o.status, o.error]] : [],
  );
  const retry = outcomes.flatMap((o) => (o.status === 'retry' ? [[o.id, o.error]] : []));
  const { dialect } = ctx.deps;
  await inTransaction(ctx.db, async (trx) => {
    await updateNoticesFrom(
      trx,
      dialect,
      sent,
      sql`status = 'sent', msg_id = v.column2, sent_at = ${now}, error = null, attempts = attempts + 1`,
      sql`notices.id = v.column1 and notices.status = 'sending' and notices.sent_at = ${claimedAt}`,
    );
    // Template notices that took no call give their allowance back: counted from the rows this
    // record moved (a settle that already decided a row gave back its share itself).
    let refund = await updateNoticesFrom(
      trx,
      dialect,
      final,
      sql`status = v.column2, error = v.column3, attempts = attempts + 1`,
      sql`notices.id = v.column1 and notices.status = 'sending' and notices.sent_at = ${claimedAt}`,
    );
    refund += await updateNoticesFrom(
      trx,
      dialect,
      retry,
      sql`status = 'pending', error = v.column2, attempts = attempts + 1`,
      sql`notices.id = v.column1 and notices.status = 'sending' and notices.sent_at = ${claimedAt}`,
    );
    for (let i = 0; i < untried.length; i += 500)
      for (const moved of await trx
        .updateTable('notices')
        .set({ status: 'pending' })
        .where('id', 'in', untried.slice(i, i + 500))
        .where('status', '=', 'sending')
        .where('sent_at', '=', claimedAt)
        .returning('via')
        .execute())
        if (moved.via === 'template') refund += 1;
    await refundDaily(trx, accountId, refund, claimedAt);
  });
}

/** One WeChat call; what its answer means for the notice. */
async function sendOne(
  client: ReturnType<typeof apiClientFor>,
  row: Pick<NoticesTable, 'id' | 'openid' | 'via' | 'template_id' | 'data' | 'url' | 'attempts'>,
): Promise<Outcome> {
  try {
    if (row.via === 'template') {
      const result = await client.sendTemplate({
        openid: row.openid,
        templateId: row.template_id ?? '',
        ...(row.url ? { url: row.url } : {}),
        data: JSON.parse(row.data) as Record<string, { value: string }>,
      });
      return { id: row.id, status: 'sent', msgId: result?.msgid ? String(result.msgid) : null };
    }
    const { content } = JSON.parse(row.data) as { content: string };
    await client.sendCustomMessage(row.openid, { msgtype: 'text', text: { content } });
    return { id: row.id, status: 'sent', msgId: null };
  } catch (error) {
    if (error instanceof WeChatApiError) {
      if (error.isUnsubscribed) return { id: row.id, status: 'skipped', error: '43004: fan unsubscribed' };
      if (error.isOutOfWindow)
        return { id: row.id, status: 'skipped', error: '45015: outside the 48-hour window' };
      if (error.isUnauthorized)
        return { id: row.id, status: 'skipped', error: '48001: the account may not send this' };
      if (error.errcode === WeChatErrorCode.QUOTA_EXCEEDED) throw error;
      if (error.errcode !== WeChatErrorCode.SYSTEM_BUSY)
        return { id: row.id, status: 'failed', error: `${error.errcode}: ${error.errmsg}` };
    }
    // Timed out or cut off: the request may have reached WeChat, which then sent it.
    if (error instanceof WeChatUnreachableError && row.via === 'template')
      return { id: row.id, status: 'unknown' };
    const message = (error as Error).message.slice(0, 300);
    // attempts counts finished calls; this one is the (attempts + 1)th.
    return row.attempts + 1 >= MAX_ATTEMPTS
      ? { id: row.id, status: 'failed', error: message }
      : { id: row.id, status: 'retry', error: message };
  }
}

async function pool<T, R>(items: T[], size: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(size, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await run(items[i]!);
    }
  });
  await Promise.all(lanes);
  return out;
}

/** Continues a batch at the start of the next China day (allowance used up, or WeChat's 45009). */
async function resumeTomorrow(ctx: Ctx, batchId: string) {
  const at = nextChinaMidnight(ctx.deps.clock.now());
  await enqueueJob(
    ctx.db,
    {
      type: NOTICE_JOB,
      key: `${batchId}@${chinaDay(at)}`,
      merchantId: ctx.merchantId,
      payload: { batch: batchId },
      runAt: at,
      maxAttempts: 12,
    },
    ctx.deps.clock.now(),
  );
}

type PendingRow = Awaited<ReturnType<ReturnType<typeof pendingPage>['execute']>>[number];

/**
 * Claims a page: reserves today's allowance for its template notices and marks the rows it got
 * 'sending' (sent_at = at) in one transaction, before any call. A worker that dies mid-page
 * leaves rows whose fate is unknown, settled on WeChat's evidence, never resent blindly; and the
 * allowance it held is exactly its rows in flight, given back when they are settled as unsent.
 */
async function claimPage(ctx: Ctx, accountId: string, rows: PendingRow[], limit: number, at: number) {
  return inTransaction(ctx.db, async (trx) => {
    const templates = rows.filter((r) => r.via === 'template').length;
    const granted = templates ? await reserveDaily(trx, ctx, accountId, limit, templates) : 0;
    let allowed = granted;
    const allowedRows = rows.filter((r) => r.via === 'chat' || allowed-- > 0);
    // Only the rows this call moved are this sender's: another sender of the batch (a settle
    // resending) may have claimed some since they were read.
    const claimed = new Set<string>();
    const ids = allowedRows.map((r) => r.id);
    for (let i = 0; i < ids.length; i += 500)
      for (const row of await trx
        .updateTable('notices')
        .set({ status: 'sending', sent_at: at })
        .where('id', 'in', ids.slice(i, i + 500))
        .where('status', '=', 'pending')
        .returning('id')
        .execute())
        claimed.add(row.id);
    const go = allowedRows.filter((r) => claimed.has(r.id));
    const goTemplates = go.filter((r) => r.via === 'template').length;
    await refundDaily(trx, accountId, granted - goTemplates, at);
    return { go, allowanceShort: allowedRows.length < rows.length };
  });
}

/** The batch's next PAGE pending notices after `after`: one range read of notices_batch. */
export function pendingPage(ctx: Ctx, batchId: string, after: string) {
  return ctx.db
    .selectFrom('notices')
    .select(['id', 'account_id', 'openid', 'via', 'template_id', 'data', 'url', 'attempts'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('batch_id', '=', batchId)
    .where('status', '=', 'pending')
    .where('id', '>', after)
    .orderBy('id')
    .limit(PAGE);
}

/**
 * Sends a batch's pending notices: within today's allowance and the account's pace, a page of
 * PAGE claimed at a time, CONCURRENCY calls in flight (keep-alive connections), the page's
 * outcomes recorded in one transaction. Rows a dead worker left 'sending' are settled first
 * (notice-settle.ts). Memory holds one page, however large the batch. Returns the notices
 * still pending for a retry (WeChat busy).
 */
export async function sendNoticeBatch(ctx: Ctx, batchId: string): Promise<{ sent: number; pending: number }> {
  await settleInFlight(ctx, batchId);
  const settings = await noticeSettings(ctx);
  let sent = 0;
  let retry = 0;
  let after = '';
  let client: ReturnType<typeof apiClientFor> | null = null;
  let pagesWithoutPushes = 0;
  for (;;) {
    const rows = await pendingPage(ctx, batchId, after).execute();
    if (rows.length === 0) break;
    after = rows.at(-1)!.id;
    const accountId = rows[0]!.account_id;
    client ??= apiClientFor(ctx.deps, await getAccount(ctx, accountId));
    await pace(ctx, accountId, settings.per_second, rows.length);
    const claimedAt = ctx.deps.clock.now();
    const { go, allowanceShort } = await claimPage(ctx, accountId, rows, settings.daily_limit, claimedAt);
    let limited = false;
    const api = client;
    const outcomes = await pool(go, CONCURRENCY, async (row) => {
      // Past this, a settle may soon decide the page: no call starts that it could miss.
      if (limited || ctx.deps.clock.now() - claimedAt > CALLS_WITHIN_MS) return null;
      try {
        return await sendOne(api, row);
      } catch {
        limited = true; // 45009: WeChat's own daily limit; the rest waits for tomorrow
        return null;
      }
    });
    const done = outcomes.filter((o): o is Outcome => o !== null);
    await record(
      ctx,
      accountId,
      claimedAt,
      done,
      go.flatMap((r, i) => (outcomes[i] === null ? [r.id] : [])),
    );
    const sentIds = done.flatMap((o) => (o.status === 'sent' && o.msgId ? [o.msgId] : []));
    const missing = await fillFinishes(ctx, accountId, sentIds);
    // The next page waits for this one's pushes to reach the log (see awaitReceipts), unless
    // pages came and went with none at all (the account's server may not receive them).
    if (missing.length < sentIds.length) pagesWithoutPushes = 0;
    if (missing.length > 0 && pagesWithoutPushes < PAGES_WITHOUT_PUSHES) {
      const came = await awaitReceipts(ctx, accountId, sentIds.length, missing);
      pagesWithoutPushes = came ? 0 : pagesWithoutPushes + 1;
    }
    sent += done.filter((o) => o.status === 'sent').length;
    retry += done.filter((o) => o.status === 'retry').length;
    // Rows the page ran out of time for are pending again: look at the batch from the start.
    if (!limited && done.length < go.length) after = '';
    if (done.some((o) => o.status === 'unknown')) await scheduleSettle(ctx, batchId);
    if (limited || allowanceShort) {
      await resumeTomorrow(ctx, batchId);
      return { sent, pending: 0 };
    }
  }
  return { sent, pending: retry };
}
