import { sql } from 'kysely';
import { type Ctx, merchantCtx } from '../../context.ts';
import type { Db } from '../../database.ts';
import type { AppDeps } from '../../deps.ts';
import { positionIn } from '../../platform/db/cursor-table.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { DAY_MS, dayLabel, zoneOffsetMs } from '../../platform/db/day-buckets.ts';
import { badRequest } from '../../platform/http/errors.ts';
import { idFloor } from '../../platform/ids.ts';
import {
  FAN_MESSAGE_KINDS,
  followerOf,
  followLog,
  type LogEntry,
  logSince,
  MESSAGE_RETENTION_MS,
  qrCodeDirectory,
  subscribedByAccount,
} from '../channel/index.ts';
import { getMerchant } from '../tenants/index.ts';

const CURSOR = 'rollups';
const FAN_KINDS = new Set(FAN_MESSAGE_KINDS);
/** Ledger rows older than this are deleted: the tail re-reads seconds, a restart its last 10 s. */
export const SEEN_RETENTION_MS = 24 * 3_600_000;
const SCAN_BATCH = 2000;
export const MAX_REBUILD_DAYS = 92;

/** What a batch of log rows adds to the rollups, keyed by account|day(|qrcode). */
interface Tally {
  follows: Map<
    string,
    {
      merchant_id: string;
      account_id: string;
      day: number;
      qrcode_id: string;
      new_count: number;
      lost_count: number;
    }
  >;
  messages: Map<
    string,
    { merchant_id: string; account_id: string; day: number; fan_messages: number; replies: number }
  >;
}

const emptyTally = (): Tally => ({ follows: new Map(), messages: new Map() });

/**
 * The local day of each row: the zone's offset is looked up at both ends of the batch, and per row
 * only when a daylight-saving change falls inside it (Asia/Shanghai never has one).
 */
function dayFinder(timeZone: string, first: number, last: number): (at: number) => number {
  const a = zoneOffsetMs(timeZone, first);
  if (a === zoneOffsetMs(timeZone, last)) return (at) => Math.floor((at + a) / DAY_MS);
  return (at) => Math.floor((at + zoneOffsetMs(timeZone, at)) / DAY_MS);
}

/** Counts one merchant's log rows into the tally: follows by QR code, unfollows, messages in and out. */
async function tallyRows(ctx: Ctx, rows: LogEntry[], tally: Tally): Promise<void> {
  if (rows.length === 0) return;
  // A merchant that is gone has no dashboard: its rows must not stop the tail for everyone else.
  const merchant = await getMerchant(ctx).catch(() => null);
  if (!merchant) return;
  const dayOf = dayFinder(merchant.timezone, rows[0]!.created_at, rows.at(-1)!.created_at);
  let codes: Map<string, string> | null = null;
  for (const row of rows) {
    const day = dayOf(row.created_at);
    const fanMessage = FAN_KINDS.has(row.kind) ? 1 : 0;
    const replies = (row.reply === null ? 0 : 1) + (row.followup === null ? 0 : 1);
    if (fanMessage || replies) {
      const key = `${row.account_id}|${day}`;
      const entry = tally.messages.get(key) ?? {
        merchant_id: row.merchant_id,
        account_id: row.account_id,
        day,
        fan_messages: 0,
        replies: 0,
      };
      entry.fan_messages += fanMessage;
      entry.replies += replies;
      tally.messages.set(key, entry);
    }
    if (row.kind !== 'subscribe' && row.kind !== 'unsubscribe') continue;
    let qrcode = '';
    if (row.kind === 'subscribe' && row.content) {
      codes ??= new Map((await qrCodeDirectory(ctx)).map((c) => [`${c.account_id}|${c.scene}`, c.id]));
      qrcode = codes.get(`${row.account_id}|${row.content}`) ?? '';
    } else if (row.kind === 'unsubscribe') {
      // WeChat's unsubscribe push carries no scene: the loss counts against the QR code that
      // first brought the fan (channel keeps it, never overwritten).
      qrcode = (await followerOf(ctx, row.account_id, row.openid))?.source_qrcode_id ?? '';
    }
    const key = `${row.account_id}|${day}|${qrcode}`;
    const entry = tally.follows.get(key) ?? {
      merchant_id: row.merchant_id,
      account_id: row.account_id,
      day,
      qrcode_id: qrcode,
      new_count: 0,
      lost_count: 0,
    };
    if (row.kind === 'subscribe') entry.new_count += 1;
    else entry.lost_count += 1;
    tally.follows.set(key, entry);
  }
}

async function addTally(db: Db, tally: Tally): Promise<void> {
  const follows = [...tally.follows.values()];
  for (let i = 0; i < follows.length; i += 500)
    await db
      .insertInto('analytics_follower_days')
      .values(follows.slice(i, i + 500))
      .onConflict((oc) =>
        oc.columns(['account_id', 'day', 'qrcode_id']).doUpdateSet({
          new_count: sql`analytics_follower_days.new_count + excluded.new_count`,
          lost_count: sql`analytics_follower_days.lost_count + excluded.lost_count`,
        }),
      )
      .execute();
  const messages = [...tally.messages.values()];
  for (let i = 0; i < messages.length; i += 500)
    await db
      .insertInto('analytics_message_days')
      .values(messages.slice(i, i + 500))
      .onConflict((oc) =>
        oc.columns(['account_id', 'day']).doUpdateSet({
          fan_messages: sql`analytics_message_days.fan_messages + excluded.fan_messages`,
          replies: sql`analytics_message_days.replies + excluded.replies`,
        }),
      )
      .execute();
}

function byMerchant(rows: LogEntry[]): Map<string, LogEntry[]> {
  const groups = new Map<string, LogEntry[]>();
  for (const row of rows) {
    const group = groups.get(row.merchant_id) ?? [];
    group.push(row);
    groups.set(row.merchant_id, group);
  }
  return groups;
}

/**
 * Adds a batch of log rows to the rollups, once: the rows' ids go into the ledger in the same
 * transaction, and only ids the ledger did not hold yet are counted.
 */
export async function applyLogRows(deps: AppDeps, rows: LogEntry[]): Promise<void> {
  if (rows.length === 0) return;
  await inTransaction(deps.db, async (trx) => {
    const fresh = new Set<string>();
    for (let i = 0; i < rows.length; i += 500) {
      const inserted = await trx
        .insertInto('analytics_log_seen')
        .values(rows.slice(i, i + 500).map((r) => ({ id: r.id, created_at: r.created_at })))
        .onConflict((oc) => oc.column('id').doNothing())
        .returning('id')
        .execute();
      for (const row of inserted) fresh.add(row.id);
    }
    const tally = emptyTally();
    for (const [merchantId, group] of byMerchant(rows.filter((r) => fresh.has(r.id))))
      await tallyRows({ ...merchantCtx(deps, merchantId), db: trx }, group, tally);
    await addTally(trx, tally);
  });
}

/** Follows channel's message log and keeps the follower and message rollups current. */
export function rollupTail(deps: AppDeps): () => Promise<void> {
  return followLog(deps, {
    name: `analytics:${CURSOR}`,
    ...positionIn(deps.db, deps.clock, 'analytics_cursors', CURSOR),
    apply: (rows) => applyLogRows(deps, rows),
  });
}

export const DAY_LABEL = /^\d{4}-\d{2}-\d{2}$/;

/** The local day number of a "2026-11-25" label; NaN for a day no calendar has (2026-02-30, 2026-13-01). */
export function dayNumber(label: string): number {
  const day = Math.floor(Date.parse(`${label}T00:00:00Z`) / DAY_MS);
  // Date.parse rolls 2026-02-30 over to March 2nd: only a label that round-trips is a day.
  return Number.isFinite(day) && dayLabel(day) === label ? day : Number.NaN;
}

/**
 * Recomputes one merchant's rollups for the local days [from, to] (labels, inclusive) from channel's
 * log and replaces what was there: running it twice gives the same rows. Days older than the log's
 * retention cannot be rebuilt (their rows are gone) and are refused rather than zeroed.
 */
export async function rebuildRollups(ctx: Ctx, input: { from: string; to: string }) {
  const fromDay = dayNumber(input.from);
  const toDay = dayNumber(input.to);
  if (!Number.isFinite(fromDay) || !Number.isFinite(toDay) || toDay < fromDay)
    throw badRequest('invalid_range', '结束日期不能早于开始日期', 'The range must end on or after its start');
  if (toDay - fromDay + 1 > MAX_REBUILD_DAYS)
    throw badRequest(
      'range_too_long',
      `一次最多重建 ${MAX_REBUILD_DAYS} 天`,
      `At most ${MAX_REBUILD_DAYS} days per rebuild`,
    );
  const merchant = await getMerchant(ctx);
  const fromMs = fromDay * DAY_MS - zoneOffsetMs(merchant.timezone, fromDay * DAY_MS);
  const toMs = (toDay + 1) * DAY_MS - zoneOffsetMs(merchant.timezone, (toDay + 1) * DAY_MS);
  if (fromMs < ctx.now - MESSAGE_RETENTION_MS)
    throw badRequest(
      'before_log_retention',
      '消息日志只保留 90 天，更早的日期无法重建',
      'The message log keeps 90 days; earlier days cannot be rebuilt',
    );
  const tally = emptyTally();
  const recent: Array<{ id: string; created_at: number }> = [];
  let cursor = idFloor('msg', fromMs - 1);
  let rows = 0;
  // Ids sort by time, so the log's primary key bounds the scan to the range (every merchant's rows in it).
  for (;;) {
    const batch = await logSince(ctx.db, cursor, SCAN_BATCH);
    const inRange = batch.filter((r) => r.created_at >= fromMs && r.created_at < toMs);
    const mine = inRange.filter((r) => r.merchant_id === ctx.merchantId);
    await tallyRows(ctx, mine, tally);
    rows += mine.length;
    for (const r of mine)
      if (r.created_at >= ctx.now - SEEN_RETENTION_MS) recent.push({ id: r.id, created_at: r.created_at });
    if (batch.length < SCAN_BATCH || batch.at(-1)!.created_at >= toMs + 60_000) break;
    cursor = batch.at(-1)!.id;
  }
  await inTransaction(ctx.db, async (trx) => {
    for (const table of ['analytics_follower_days', 'analytics_message_days'] as const)
      await trx
        .deleteFrom(table)
        .where('merchant_id', '=', ctx.merchantId)
        .where('day', '>=', fromDay)
        .where('day', '<=', toDay)
        .execute();
    await addTally(trx, tally);
    // The tail must not count again what the rebuild just counted.
    for (let i = 0; i < recent.length; i += 500)
      await trx
        .insertInto('analytics_log_seen')
        .values(recent.slice(i, i + 500))
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
  });
  await refreshBaselines(ctx);
  return { from: input.from, to: input.to, days: toDay - fromDay + 1, log_rows: rows };
}

/**
 * Anchors the cumulative series to channel's count of followers subscribed now: what the
 * rollups' net does not explain (followers from before the log) becomes the account's baseline.
 */
export async function refreshBaselines(ctx: Ctx): Promise<void> {
  const [counts, nets] = await Promise.all([
    subscribedByAccount(ctx),
    ctx.db
      .selectFrom('analytics_follower_days')
      .select((eb) => [
        'account_id',
        eb.fn.sum<number>('new_count').as('new_count'),
        eb.fn.sum<number>('lost_count').as('lost_count'),
      ])
      .where('merchant_id', '=', ctx.merchantId)
      .groupBy('account_id')
      .execute(),
  ]);
  const net = new Map(nets.map((n) => [n.account_id, Number(n.new_count ?? 0) - Number(n.lost_count ?? 0)]));
  const accounts = new Set([...counts.map((c) => c.account_id), ...net.keys()]);
  for (const accountId of accounts) {
    const subscribed = counts.find((c) => c.account_id === accountId)?.subscribed ?? 0;
    const followers = subscribed - (net.get(accountId) ?? 0);
    await ctx.db
      .insertInto('analytics_follower_baselines')
      .values({ account_id: accountId, merchant_id: ctx.merchantId, followers, computed_at: ctx.now })
      .onConflict((oc) => oc.column('account_id').doUpdateSet({ followers, computed_at: ctx.now }))
      .execute();
  }
}

/** Drops ledger rows past the re-read window. */
export async function pruneSeen(deps: Pick<AppDeps, 'db' | 'clock'>): Promise<void> {
  await deps.db
    .deleteFrom('analytics_log_seen')
    .where('id', '<', idFloor('msg', deps.clock.now() - SEEN_RETENTION_MS))
    .execute();
}
