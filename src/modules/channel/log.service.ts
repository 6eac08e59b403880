import { sql } from 'kysely';
import type { Ctx } from '../../context.ts';
import type { Db } from '../../database.ts';
import type { AppDeps } from '../../deps.ts';
import { idFloor, newId } from '../../platform/ids.ts';

/**
 * The message log as other modules (CRM timeline, inbox) read it: a fan's conversation, the rows
 * written since a cursor, and the agent's messages recorded beside the fans'. Reads go by the
 * primary key (ids sort by time) or the (account, openid, id) index.
 */

export interface LogEntry {
  id: string;
  merchant_id: string;
  account_id: string;
  openid: string;
  /** The push's kind (text, image, subscribe, click, …), or `agent` for an agent's message. */
  kind: string;
  content: string | null;
  /** JSON of the passive reply (or the agent's message for `agent` rows). */
  reply: string | null;
  followup: string | null;
  created_at: number;
}

const COLUMNS = [
  'id',
  'merchant_id',
  'account_id',
  'openid',
  'kind',
  'content',
  'reply',
  'followup',
  'created_at',
] as const;

/** The kind of log row an agent's customer-service message is recorded as. */
export const AGENT_KIND = 'agent';

/** One fan's messages with one account, newest first; `before` is an exclusive id. */
export async function messagesOf(
  ctx: Pick<Ctx, 'db' | 'merchantId'>,
  accountId: string,
  openid: string,
  page: { limit: number; before?: string },
): Promise<LogEntry[]> {
  let query = ctx.db
    .selectFrom('inbound_messages')
    .select(COLUMNS)
    .where('account_id', '=', accountId)
    .where('openid', '=', openid)
    .where('merchant_id', '=', ctx.merchantId);
  if (page.before) query = query.where('id', '<', page.before);
  return query.orderBy('id', 'desc').limit(page.limit).execute();
}

/** Rows of every merchant written after `afterId`, oldest first: what a tailing reader catches up on. */
export async function logSince(db: Db, afterId: string, limit: number): Promise<LogEntry[]> {
  return db
    .selectFrom('inbound_messages')
    .select(COLUMNS)
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(limit)
    .execute();
}

/**
 * WeChat's reports on the merchant's own sends, not a fan's doing: no log reader applies them
 * (messaging reads them by MsgID). Written as in the inbound_messages_activity index's predicate,
 * literally, so the planners use that index.
 */
const NOT_A_RECEIPT = sql<boolean>`kind not in ('template_send_finish', 'mass_send_finish')`;

/**
 * The fans' activity written after `afterId` (every merchant's, oldest first, receipts left out),
 * and `through`: the id up to which the log was looked at, with its time, where a reader goes on
 * from. Without it a reader that met only receipts would stay put and look at them again on
 * every run; a row committed behind `through` later is for the reader's re-read window to find,
 * as with any row committed late.
 */
export async function activitySince(
  db: Db,
  afterId: string,
  limit: number,
): Promise<{ rows: LogEntry[]; through: string; throughAt: number | null }> {
  const newest = await db
    .selectFrom('inbound_messages')
    .select(['id', 'created_at'])
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!newest || newest.id <= afterId) return { rows: [], through: afterId, throughAt: null };
  const rows = await activityBetween(db, afterId, newest.id, limit).execute();
  if (rows.length === limit) return { rows, through: rows.at(-1)!.id, throughAt: rows.at(-1)!.created_at };
  return { rows, through: newest.id, throughAt: Number(newest.created_at) };
}

/** The activity rows in (afterId, throughId], oldest first: a range of inbound_messages_activity. */
export function activityBetween(db: Db, afterId: string, throughId: string, limit: number) {
  return db
    .selectFrom('inbound_messages')
    .select(COLUMNS)
    .where('id', '>', afterId)
    .where('id', '<=', throughId)
    .where(NOT_A_RECEIPT)
    .orderBy('id')
    .limit(limit);
}

/** Records a message an agent sent through the customer-service API, so the log holds both sides. */
export async function recordAgentMessage(
  ctx: Pick<Ctx, 'db' | 'merchantId' | 'now'>,
  input: { accountId: string; openid: string; text: string; agent: string },
): Promise<LogEntry> {
  const id = newId('msg', ctx.now);
  const row = {
    id,
    merchant_id: ctx.merchantId,
    account_id: input.accountId,
    dedupe_key: `agent:${id}`,
    openid: input.openid,
    kind: AGENT_KIND,
    content: input.agent,
    reply: JSON.stringify({ type: 'text', content: input.text }),
    followup: null,
    created_at: ctx.now,
  };
  await ctx.db.insertInto('inbound_messages').values(row).execute();
  const { dedupe_key: _key, ...entry } = row;
  return entry;
}

/** What channel knows of one fan of one account: the unionid, the QR code that brought them, dates. */
export async function followerOf(ctx: Pick<Ctx, 'db' | 'merchantId'>, accountId: string, openid: string) {
  return ctx.db
    .selectFrom('followers')
    .select([
      'id',
      'unionid',
      'subscribed',
      'source_qrcode_id',
      'first_subscribed_at',
      'last_interaction_at',
      'created_at',
    ])
    .where('merchant_id', '=', ctx.merchantId)
    .where('account_id', '=', accountId)
    .where('openid', '=', openid)
    .executeTakeFirst();
}

type LogListener = () => void;

function listeners(deps: Pick<AppDeps, 'local'>): Set<LogListener> {
  return deps.local.slot('channel.log-listeners', () => new Set<LogListener>());
}

/**
 * In-process notice that log rows were committed (no payload, no database write): tailing readers
 * such as the inbox wake up now instead of at their next poll. Returns an unsubscribe.
 */
export function onLogWritten(deps: Pick<AppDeps, 'local'>, listener: LogListener): () => void {
  listeners(deps).add(listener);
  return () => listeners(deps).delete(listener);
}

export function notifyLogWritten(deps: Pick<AppDeps, 'local'>): void {
  for (const listener of listeners(deps)) listener();
}

/** Published when WeChat told us a follower's unionid, so CRM can join the person's accounts. */
export const FAN_EVENTS = { profiled: 'fan.profiled' } as const;

export interface LogReader {
  /** A stable name for this reader (its in-process slot). */
  name: string;
  /** Where the reader got to (its own table), or null to start from the beginning. */
  load(): Promise<string | null>;
  save(position: string): Promise<void>;
  /**
   * Applies a batch of fans' activity (WeChat's receipts on our own sends left out), oldest first.
   * Must be idempotent: the last seconds are read again.
   */
  apply(rows: LogEntry[]): Promise<void>;
  /**
   * A reader someone watches live (the inbox's screen) runs within a few milliseconds of each
   * commit, and reads the log through `deps.liveDb` (its `apply` and position should too). The others (CRM, loyalty, growth, marketing, analytics) wait for a quiet moment in
   * the log (BACKGROUND_QUIET_MS without a commit), or BACKGROUND_MAX_WAIT_MS at most: under a
   * burst of a thousand fans their work (a member per new fan, rollups, …) ran between the
   * pushes and held WeChat's answers (and the inbox's screen) back by as much.
   */
  live?: boolean;
}

const TAIL_BATCH = 1000;
/**
 * A reader nobody watches takes the log in batches this small and lets the event loop turn
 * between them, so pushes arriving meanwhile are answered between its batches, not after all.
 */
const BACKGROUND_BATCH = 50;
/**
 * Rows are committed a few milliseconds after their id is made, and not always in id order, so a
 * reader's saved position trails the clock by this much and the last seconds are read again.
 */
const REREAD_MS = 10_000;
/** Log notices arriving within this long wake a live reader once (the inbox's screen waits this much more). */
const NOTICE_WINDOW_MS = 20;
/** A reader nobody watches runs once the log has been this long without a commit… */
const BACKGROUND_QUIET_MS = 250;
/** …or this long after the first commit it has not read, when commits never stop. */
const BACKGROUND_MAX_WAIT_MS = 2_000;
/** Within one process, batches commit in order within about this much. */
const LOCAL_REREAD_MS = 1_000;

/** The app's queue of background log reader runs (see `wake` in followLog). */
function backgroundLane(deps: Pick<AppDeps, 'local'>): { tail: Promise<void> } {
  return deps.local.slot('channel.log-background-lane', () => ({ tail: Promise.resolve() }));
}

/**
 * A reader that follows the message log: catches up after every recorder batch (the in-process
 * notice) and whenever `catchUp` is called; one run at a time per app, and a call made during a
 * run makes one more run after it.
 */
export function followLog(
  deps: Pick<AppDeps, 'db' | 'liveDb' | 'local' | 'clock' | 'logger'>,
  reader: LogReader,
): () => Promise<void> {
  return deps.local.slot(`log-reader:${reader.name}`, () => {
    let running: Promise<void> | null = null;
    let again = false;
    // Where this process got to: under steady traffic a run re-reads only the last second, not
    // the saved position's ten (which is for a restart or another process).
    let seenAt: number | null = null;
    // Rows this process applied inside the re-read window: read again, not applied again. Under a
    // stream of small batches each row would otherwise be applied once per batch committed in the
    // following second — several times over for every reader.
    const applied = new Set<string>();
    // The newest row this process read; when (performance.now()) it last read its window again,
    // and how far the reader had got then (seenAt at that sweep).
    let lastId: string | null = null;
    let sweptAt = 0;
    let sweptSeenAt: number | null = null;
    const run = async () => {
      const saved = await reader.load();
      let cursor = saved ?? idFloor('msg', 0);
      // A first run reads from the saved position: a window of its own.
      if (seenAt === null) sweptAt = performance.now();
      else {
        // This process's recorder commits its batches one after another, ids made as it writes,
        // so a run goes on from the last row read. What can commit behind that (another process's
        // rows, a write beside the recorder) is found by reading the last second's window again,
        // once a second: every run doing so read the last second of the log fifty times a second
        // (at 2,000 pushes a second, a hundred thousand rows a second for the inbox alone).
        // A sweep reads back a second before where the previous sweep stood: a row committed up
        // to a second late, its id made just before one sweep and committed just after it, is
        // below the next sweep's own window but inside this one.
        const sweep = lastId === null || performance.now() - sweptAt >= LOCAL_REREAD_MS;
        const from = sweep
          ? idFloor('msg', Math.min(seenAt, sweptSeenAt ?? seenAt) - LOCAL_REREAD_MS)
          : lastId!;
        if (sweep) {
          sweptAt = performance.now();
          sweptSeenAt = seenAt;
        }
        if (from > cursor) cursor = from;
      }
      const batch = reader.live ? TAIL_BATCH : BACKGROUND_BATCH;
      for (;;) {
        const read = await activitySince(reader.live ? deps.liveDb : deps.db, cursor, batch);
        if (read.throughAt === null) break;
        const { rows } = read;
        const fresh = applied.size ? rows.filter((row) => !applied.has(row.id)) : rows;
        if (fresh.length) await reader.apply(fresh);
        for (const row of fresh) applied.add(row.id);
        cursor = read.through;
        if (lastId === null || cursor > lastId) lastId = cursor;
        seenAt = read.throughAt;
        if (rows.length < batch) break;
        if (!reader.live) await new Promise((resolve) => setImmediate(resolve));
      }
      if (seenAt !== null) {
        // Rows below the next run's cursor are never read again in this process. Compared by id
        // (what the cursor compares), not by the time a push arrived: a push that waited seconds
        // for its batch has an id much later than its arrival, was still read again, and was
        // applied again (the inbox moved its conversation's time, and the agent's screen with it).
        // The next sweep reads from the last sweep's position less a second at the lowest (a
        // first run counts as a sweep where it ended).
        sweptSeenAt ??= seenAt;
        const floor = idFloor('msg', Math.min(seenAt, sweptSeenAt ?? seenAt) - LOCAL_REREAD_MS);
        for (const id of applied) if (id < floor) applied.delete(id);
      }
      const trailing = idFloor('msg', deps.clock.now() - REREAD_MS);
      // biome-ignore lint/complexity/useMathMinMax: ids are strings that sort by time
      const position = cursor < trailing ? cursor : trailing;
      if (saved === null || position > saved) await reader.save(position);
    };
    const catchUp = (): Promise<void> => {
      if (running) {
        again = true;
        return running;
      }
      running = (async () => {
        try {
          do {
            again = false;
            await run();
          } while (again);
        } finally {
          running = null;
        }
      })();
      return running;
    };
    // A burst of commits (a thousand fans at once commit one by one when the process is busy)
    // wakes the reader once per window, not once per commit: every run costs a cursor read, a log
    // read and a cursor write for each reader, which was a large share of a burst's work.
    let waking: ReturnType<typeof setTimeout> | null = null;
    // When the first commit this reader has not read yet was noticed (performance.now()).
    let waitingSince = 0;
    const wake = () => {
      waking = null;
      const lane = backgroundLane(deps);
      // Readers nobody watches run one after another, so together they hold one connection of a
      // PostgreSQL pool (the pushes and the inbox need the rest) and one turn of SQLite at a time.
      let run: Promise<void>;
      if (reader.live) run = catchUp();
      else {
        run = lane.tail.then(catchUp, catchUp);
        lane.tail = run;
      }
      run.catch((error) => deps.logger.error({ err: error, reader: reader.name }, 'log reader failed'));
    };
    onLogWritten(deps, () => {
      if (reader.live) {
        if (waking) return;
        waking = setTimeout(wake, NOTICE_WINDOW_MS);
      } else {
        const at = performance.now();
        if (waking) clearTimeout(waking);
        else waitingSince = at;
        const deadline = waitingSince + BACKGROUND_MAX_WAIT_MS - at;
        waking = setTimeout(wake, Math.max(0, Math.min(BACKGROUND_QUIET_MS, deadline)));
      }
      // A pending wake-up never holds the process open (the app may be closing).
      waking.unref();
    });
    return catchUp;
  });
}
