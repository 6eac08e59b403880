import type { Ctx } from '../../context.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import { apiClientFor, getAccount } from '../accounts/index.ts';
import { getBroadcastRow } from './broadcasts.service.ts';
import { chinaDay } from './china-time.ts';

export const READS_JOB = 'messaging.pull_reads';
const HOUR = 3_600_000;
/** When a send's reads are pulled after it finished: often at first, then daily for a week. */
export const READ_PULLS_MS = [1, 3, 6, 12, 24, 48, 72, 168].map((h) => h * HOUR);
const MAX_DAYS = 8;

/** Queues the read-count pulls of a send that just finished (each once, by its key). */
export async function scheduleReadPulls(ctx: Ctx, broadcastId: string, finishedAt: number) {
  for (const [i, after] of READ_PULLS_MS.entries())
    await enqueueJob(
      ctx.db,
      {
        type: READS_JOB,
        key: `${broadcastId}:${i}`,
        merchantId: ctx.merchantId,
        payload: { id: broadcastId },
        runAt: finishedAt + after,
      },
      ctx.now,
    );
}

/** The WeChat msg_ids of a send's mass-send calls. */
async function msgIdsOf(ctx: Ctx, broadcastId: string): Promise<string[]> {
  const rows = await ctx.db
    .selectFrom('broadcast_batches')
    .select('msg_id')
    .where('broadcast_id', '=', broadcastId)
    .where('msg_id', 'is not', null)
    .execute();
  return rows.map((r) => r.msg_id!);
}

/** MASSSENDJOBFINISH: WeChat's sent / filtered / error counts of one mass-send call, once. */
export async function recordMassFinish(
  ctx: Ctx,
  finish: {
    accountId: string;
    msgId: string;
    status: string;
    total: number;
    filtered: number;
    sent: number;
    errors: number;
    at: number;
  },
) {
  const batch = await ctx.db
    .selectFrom('broadcast_batches')
    .innerJoin('broadcasts', 'broadcasts.id', 'broadcast_batches.broadcast_id')
    .select('broadcasts.id')
    .where('broadcasts.merchant_id', '=', ctx.merchantId)
    .where('broadcasts.account_id', '=', finish.accountId)
    .where('broadcast_batches.msg_id', '=', finish.msgId)
    .executeTakeFirst();
  await ctx.db
    .insertInto('broadcast_finishes')
    .values({
      account_id: finish.accountId,
      msg_id: finish.msgId,
      merchant_id: ctx.merchantId,
      broadcast_id: batch?.id ?? null,
      status: finish.status.slice(0, 64),
      total: finish.total,
      filtered: finish.filtered,
      sent: finish.sent,
      errors: finish.errors,
      at: finish.at,
    })
    .onConflict((oc) => oc.columns(['account_id', 'msg_id']).doNothing())
    .execute();
}

/**
 * WeChat's finish reports of a send's calls (matched by msg_id: a push may beat the batch's
 * record), and what the send delivered: WeChat's count for the calls it reported, the calls'
 * size for those it has not reported yet.
 */
export async function finishesOf(ctx: Ctx, broadcastId: string, accountId: string) {
  const batches = await ctx.db
    .selectFrom('broadcast_batches')
    .select(['msg_id', 'size'])
    .where('broadcast_id', '=', broadcastId)
    .where('status', '=', 'sent')
    .execute();
  const ids = batches.flatMap((b) => (b.msg_id ? [b.msg_id] : []));
  const rows = ids.length
    ? await ctx.db
        .selectFrom('broadcast_finishes')
        .select(['msg_id', 'total', 'filtered', 'sent', 'errors'])
        .where('merchant_id', '=', ctx.merchantId)
        .where('account_id', '=', accountId)
        .where('msg_id', 'in', ids)
        .execute()
    : [];
  const reported = new Map(rows.map((r) => [r.msg_id, r]));
  const sum = (pick: (r: (typeof rows)[number]) => number) => rows.reduce((n, r) => n + pick(r), 0);
  const delivered = batches.reduce((n, b) => {
    const finish = b.msg_id ? reported.get(b.msg_id) : undefined;
    return n + (finish ? finish.sent : b.size);
  }, 0);
  return {
    calls: rows.length,
    total: sum((r) => r.total),
    filtered: sum((r) => r.filtered),
    sent: sum((r) => r.sent),
    errors: sum((r) => r.errors),
    delivered,
  };
}

interface ArticleSummary {
  list: Array<{ ref_date: string; msgid: string; int_page_read_user: number; int_page_read_count: number }>;
}

/**
 * Pulls a send's reads per day from WeChat's datacube (getarticlesummary, one day per call) from
 * the day it started until today, and stores them: the report's read curve.
 */
export async function pullReads(ctx: Ctx, broadcastId: string): Promise<number> {
  const row = await getBroadcastRow(ctx, broadcastId);
  if (!row.started_at) return 0;
  const ids = new Set(await msgIdsOf(ctx, broadcastId));
  if (ids.size === 0) return 0;
  const client = apiClientFor(ctx.deps, await getAccount(ctx, row.account_id));
  const now = ctx.deps.clock.now();
  let total = 0;
  for (let i = 0; i < MAX_DAYS; i++) {
    const at = row.started_at + i * 86_400_000;
    const day = chinaDay(at);
    if (day > chinaDay(now)) break;
    const summary = await client.call<ArticleSummary>('/datacube/getarticlesummary', {
      body: { begin_date: day, end_date: day },
    });
    let users = 0;
    let count = 0;
    for (const item of summary.list ?? [])
      if (ids.has(item.msgid.split('_')[0]!)) {
        users += item.int_page_read_user;
        count += item.int_page_read_count;
      }
    total += users;
    await ctx.db
      .insertInto('broadcast_reads')
      .values({
        broadcast_id: broadcastId,
        day,
        merchant_id: ctx.merchantId,
        read_users: users,
        read_count: count,
        pulled_at: now,
      })
      .onConflict((oc) =>
        oc
          .columns(['broadcast_id', 'day'])
          .doUpdateSet({ read_users: users, read_count: count, pulled_at: now }),
      )
      .execute();
  }
  return total;
}
