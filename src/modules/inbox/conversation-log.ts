import { CompiledQuery, sql } from 'kysely';
import type { Ctx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { positionIn } from '../../platform/db/cursor-table.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { newId } from '../../platform/ids.ts';
import { AGENT_KIND, followLog, type LogEntry } from '../channel/index.ts';
import { membersOfFans } from '../crm/index.ts';

/** Messages a fan writes: these open or continue a conversation. */
const TALK = new Set(['text', 'image', 'voice', 'video', 'shortvideo', 'location', 'link']);
/** Events that also open WeChat's 48-hour window without being a message to answer. */
const WINDOW_ONLY = new Set(['click', 'scancode_waitmsg', 'location_select']);
const WANTS_HUMAN = /人工|客服|真人|转人工/;
const CURSOR = 'inbox.log';
/** Fans' messages per upsert statement (17 parameters a row: well under both engines' limits). */
const UPSERT_ROWS = 200;

const later = (column: string, value: number) =>
  sql<number>`case when ${sql.ref(column)} is null or ${sql.ref(column)} < ${value} then ${value} else ${sql.ref(column)} end`;

const COLUMNS = [
  'id',
  'merchant_id',
  'account_id',
  'openid',
  'member_id',
  'status',
  'assignee_id',
  'last_inbound_at',
  'last_agent_at',
  'last_message_at',
  'preview',
  'waiting_since',
  'wants_human',
  'opened_at',
  'first_response_at',
  'closed_at',
  'updated_at',
] as const;

/**
 * A fan's message folded into their conversation; every value comes from `excluded` (the row
 * offered), so one statement carries many fans. Each change moves a time forward or takes a max:
 * applying a message twice, or two messages in either order, ends the same.
 */
const MERGE = `on conflict (account_id, openid) do update set
  member_id = coalesce(inbox_conversations.member_id, excluded.member_id),
  last_inbound_at = case when inbox_conversations.last_inbound_at is null or inbox_conversations.last_inbound_at < excluded.last_inbound_at then excluded.last_inbound_at else inbox_conversations.last_inbound_at end,
  preview = case when inbox_conversations.last_message_at <= excluded.last_message_at then excluded.preview else inbox_conversations.preview end,
  last_message_at = case when inbox_conversations.last_message_at is null or inbox_conversations.last_message_at < excluded.last_message_at then excluded.last_message_at else inbox_conversations.last_message_at end,
  waiting_since = case when inbox_conversations.last_agent_at is not null and inbox_conversations.last_agent_at >= excluded.last_inbound_at then inbox_conversations.waiting_since when inbox_conversations.waiting_since is null or inbox_conversations.waiting_since > excluded.last_inbound_at then excluded.last_inbound_at else inbox_conversations.waiting_since end,
  status = case when inbox_conversations.closed_at is not null and inbox_conversations.closed_at < excluded.last_inbound_at then 'open' else inbox_conversations.status end,
  opened_at = case when inbox_conversations.closed_at is not null and inbox_conversations.closed_at < excluded.last_inbound_at then excluded.opened_at else inbox_conversations.opened_at end,
  first_response_at = case when inbox_conversations.closed_at is not null and inbox_conversations.closed_at < excluded.last_inbound_at then null else inbox_conversations.first_response_at end,
  wants_human = case when excluded.wants_human = 1 then 1 else inbox_conversations.wants_human end,
  updated_at = excluded.updated_at`;

type Row = Array<string | number | null>;

/**
 * Applies log rows to conversations in one transaction, in log order: a run of fans' messages
 * (each conversation at most once in a run) goes in as one multi-row upsert after one look-up of
 * their members, so a burst of a thousand fans costs a few statements, not two per message.
 */
async function apply(deps: AppDeps, rows: LogEntry[]): Promise<void> {
  const changed = new Map<string, number>();
  await applyRows(deps, rows, (merchantId, at) => {
    if ((changed.get(merchantId) ?? 0) < at) changed.set(merchantId, at);
  });
  if (changed.size === 0) return;
  for (const listener of appliedListeners(deps)) listener(changed);
}

/** Merchant → the newest `updated_at` the batch wrote to that merchant's conversations. */
type Listener = (changed: ReadonlyMap<string, number>) => void;

function appliedListeners(deps: Pick<AppDeps, 'local'>): Set<Listener> {
  return deps.local.slot('inbox.applied-listeners', () => new Set<Listener>());
}

/**
 * In-process notice that the reader committed a batch to conversations, with what it changed (the
 * inbox stream tells the agent then, without waiting for the reader to run out of log, and
 * without reading the table again). Returns an unsubscribe.
 */
export function onConversationsApplied(deps: Pick<AppDeps, 'local'>, listener: Listener): () => void {
  appliedListeners(deps).add(listener);
  return () => appliedListeners(deps).delete(listener);
}

async function applyRows(
  deps: AppDeps,
  rows: LogEntry[],
  touched: (merchantId: string, updatedAt: number) => void,
): Promise<void> {
  // The live connection: under a burst the main pool's queue is a thousand pushes long.
  await inTransaction(deps.liveDb, async (trx) => {
    let run: LogEntry[] = [];
    let keys = new Set<string>();
    const flush = async () => {
      if (run.length > 0) {
        const updatedAt = await upsertTalk(deps, trx, run);
        for (const row of run) touched(row.merchant_id, updatedAt);
      }
      run = [];
      keys = new Set();
    };
    for (const row of rows) {
      if (TALK.has(row.kind)) {
        const key = `${row.account_id}\u0000${row.openid}`;
        if (keys.has(key) || run.length >= UPSERT_ROWS) await flush();
        keys.add(key);
        run.push(row);
        continue;
      }
      await flush();
      const ctx = { db: trx, now: deps.clock.now() };
      if (row.kind === AGENT_KIND) {
        await markAnswered(ctx, row.account_id, row.openid, row.created_at, row.reply);
        touched(row.merchant_id, ctx.now);
      } else if (WINDOW_ONLY.has(row.kind))
        await trx
          .updateTable('inbox_conversations')
          .set({ last_inbound_at: later('last_inbound_at', row.created_at) })
          .where('account_id', '=', row.account_id)
          .where('openid', '=', row.openid)
          .execute();
    }
    await flush();
  });
}

/** Returns the `updated_at` it wrote. */
async function upsertTalk(deps: AppDeps, db: Ctx['db'], rows: LogEntry[]): Promise<number> {
  const members = new Map<string, string>();
  const byMerchant = Map.groupBy(rows, (row) => row.merchant_id);
  for (const [merchantId, list] of byMerchant) {
    const found = await membersOfFans(
      { db, merchantId },
      list.map((r) => ({ accountId: r.account_id, openid: r.openid })),
    );
    for (const [key, memberId] of found) members.set(`${merchantId}\u0000${key}`, memberId);
  }
  const updatedAt = deps.clock.now();
  const values: Row[] = rows.map((row) => {
    const at = row.created_at;
    // The merchant's handoff words answer with transfer_customer_service; the defaults count too.
    const transferred = (row.reply ?? '').includes('"transfer_customer_service"');
    const human = transferred || (row.kind === 'text' && WANTS_HUMAN.test(row.content ?? '')) ? 1 : 0;
    const memberId = members.get(`${row.merchant_id}\u0000${row.account_id}:${row.openid}`) ?? null;
    // biome-ignore format: one value per column, in COLUMNS' order
    return [newId('cnv', at), row.merchant_id, row.account_id, row.openid, memberId, 'open', null,
      at, null, at, (row.content ?? `[${row.kind}]`).slice(0, 120), at, human, at, null, null, updatedAt];
  });
  const postgres = deps.dialect === 'postgres';
  let n = 0;
  const tuples = values.map(() => `(${COLUMNS.map(() => (postgres ? `$${++n}` : '?')).join(',')})`).join(',');
  await db.executeQuery(
    CompiledQuery.raw(
      `insert into inbox_conversations (${COLUMNS.join(', ')}) values ${tuples} ${MERGE}`,
      values.flat(),
    ),
  );
  return updatedAt;
}

/** An agent answered at `at`: nothing waits any more, and the first response is recorded. */
export async function markAnswered(
  ctx: Pick<Ctx, 'db' | 'now'>,
  accountId: string,
  openid: string,
  at: number,
  replyJson: string | null,
) {
  const text = replyJson ? ((JSON.parse(replyJson) as { content?: string }).content ?? '') : '';
  await ctx.db
    .updateTable('inbox_conversations')
    .set({
      last_agent_at: later('last_agent_at', at),
      waiting_since: sql`case when waiting_since is not null and waiting_since <= ${at} then null else waiting_since end`,
      first_response_at: sql`case when first_response_at is null and ${at} >= opened_at then ${at} else first_response_at end`,
      preview: sql`case when last_message_at <= ${at} then ${text.slice(0, 120)} else preview end`,
      last_message_at: later('last_message_at', at),
      updated_at: ctx.now,
    })
    .where('account_id', '=', accountId)
    .where('openid', '=', openid)
    .execute();
}

/** Keeps conversations current from channel's log; `catchUp` also runs before each read. */
export function inboxTail(deps: AppDeps): () => Promise<void> {
  return followLog(deps, {
    name: CURSOR,
    ...positionIn(deps.liveDb, deps.clock, 'inbox_cursors', CURSOR),
    apply: (rows) => apply(deps, rows),
    // An agent is watching: new messages must be on screen in well under a second.
    live: true,
  });
}
