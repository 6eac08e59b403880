import type { Ctx } from '../../context.ts';
import { type Actor, requireRole } from '../../platform/auth/roles.ts';
import { found } from '../../platform/db/paging.ts';
import { badRequest } from '../../platform/http/errors.ts';
import { getMerchant } from '../tenants/index.ts';
import { type BusinessHours, businessMs, type ZoneOffset, zoneOffsets } from './business-hours.ts';
import { inboxTail } from './conversation-log.ts';
import type { InboxConversationsTable } from './inbox.schema.ts';
import { inboxSettings } from './settings.service.ts';

export const CONVERSATION = { zh: '会话', en: 'Conversation' };

/** The id agents are known by: the console user, or the API token. */
export function actorId(actor: Actor): string {
  if (actor.kind === 'user') return actor.userId;
  if (actor.kind === 'token') return actor.tokenId;
  throw badRequest('agent_required', '需要以客服身份操作', 'Only an agent can do this');
}

export interface ConversationView extends Omit<InboxConversationsTable, 'wants_human'> {
  wants_human: boolean;
  /** How long the fan has waited, counted inside business hours only. */
  waited_ms: number;
  /** Waiting longer than the merchant's reply SLA (business hours). */
  overdue: boolean;
  window_ends_at: number | null;
}

export const SERVICE_WINDOW_MS = 48 * 3_600_000;

/** What a view needs to judge waiting: the SLA, the hours it counts in and the merchant's clock. */
export interface SlaRule {
  slaMs: number;
  hours: BusinessHours | null;
  offsetAt: ZoneOffset;
}

export async function slaRule(ctx: Ctx): Promise<SlaRule> {
  const [settings, merchant] = await Promise.all([inboxSettings(ctx), getMerchant(ctx)]);
  return {
    slaMs: settings.sla_minutes * 60_000,
    hours: settings.business_hours,
    offsetAt: zoneOffsets(merchant.timezone),
  };
}

export function conversationView(row: InboxConversationsTable, now: number, sla: SlaRule): ConversationView {
  const waited =
    row.status === 'open' && row.waiting_since !== null
      ? businessMs(row.waiting_since, now, sla.hours, sla.offsetAt)
      : 0;
  return {
    ...row,
    wants_human: row.wants_human === 1,
    waited_ms: waited,
    overdue: waited > sla.slaMs,
    window_ends_at: row.last_inbound_at === null ? null : row.last_inbound_at + SERVICE_WINDOW_MS,
  };
}

export type InboxView = 'unassigned' | 'mine' | 'all' | 'overdue';
/** Overdue candidates read at most (wall-clock waiting ≥ business waiting, so this is a superset). */
const OVERDUE_SCAN = 500;

/** The inbox list, most recent first: unassigned, mine, all or overdue; open or closed. */
export async function listConversations(
  ctx: Ctx,
  filter: {
    view: InboxView;
    status?: 'open' | 'closed';
    account_id?: string;
    limit: number;
    before?: number;
  },
) {
  requireRole(ctx, 'agent', 'operator');
  await inboxTail(ctx.deps)();
  const sla = await slaRule(ctx);
  let query = ctx.db
    .selectFrom('inbox_conversations')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('status', '=', filter.status ?? 'open');
  if (filter.view === 'unassigned') query = query.where('assignee_id', 'is', null);
  if (filter.view === 'mine') query = query.where('assignee_id', '=', actorId(ctx.actor));
  if (filter.view === 'overdue') query = query.where('waiting_since', '<', ctx.now - sla.slaMs);
  if (filter.account_id) query = query.where('account_id', '=', filter.account_id);
  if (filter.before) query = query.where('last_message_at', '<', filter.before);
  const rows = await query
    .orderBy('last_message_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.view === 'overdue' ? OVERDUE_SCAN : filter.limit)
    .execute();
  const views = rows.map((row) => conversationView(row, ctx.now, sla));
  return filter.view === 'overdue' ? views.filter((v) => v.overdue).slice(0, filter.limit) : views;
}

/** Open conversations waiting past the SLA in business hours, oldest wait first (bounded). */
export async function overdueConversations(ctx: Ctx, assigneeId?: string) {
  const sla = await slaRule(ctx);
  let query = ctx.db
    .selectFrom('inbox_conversations')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('status', '=', 'open')
    .where('waiting_since', '<', ctx.now - sla.slaMs);
  if (assigneeId) query = query.where('assignee_id', '=', assigneeId);
  const rows = await query.orderBy('waiting_since').limit(OVERDUE_SCAN).execute();
  return rows.map((row) => conversationView(row, ctx.now, sla)).filter((v) => v.overdue);
}

export async function getConversationRow(ctx: Ctx, id: string): Promise<InboxConversationsTable> {
  return found(
    await ctx.db
      .selectFrom('inbox_conversations')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('id', '=', id)
      .executeTakeFirst(),
    CONVERSATION,
  );
}

/** Assigns (or transfers, or unassigns with null). Agents may take or hand over; operators anything. */
export async function assignConversation(ctx: Ctx, id: string, assigneeId: string | null) {
  requireRole(ctx, 'agent', 'operator');
  await getConversationRow(ctx, id);
  await ctx.db
    .updateTable('inbox_conversations')
    .set({ assignee_id: assigneeId, updated_at: ctx.now })
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .execute();
  return conversationView(await getConversationRow(ctx, id), ctx.now, await slaRule(ctx));
}

export async function setStatus(ctx: Ctx, id: string, status: 'open' | 'closed') {
  requireRole(ctx, 'agent', 'operator');
  await getConversationRow(ctx, id);
  await ctx.db
    .updateTable('inbox_conversations')
    .set({
      status,
      closed_at: status === 'closed' ? ctx.now : null,
      ...(status === 'closed' ? { waiting_since: null } : {}),
      updated_at: ctx.now,
    })
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .execute();
  return conversationView(await getConversationRow(ctx, id), ctx.now, await slaRule(ctx));
}

/** Conversations read for the per-agent figures: the last 30 days, bounded. */
const STATS_DAYS = 30;
const STATS_ROWS = 20_000;

/**
 * The service dashboard: how many wait and how many are past the SLA now (with the oldest), and
 * per agent the average first-response and resolution times of the last 30 days, both counted
 * in business hours like the SLA.
 */
export async function inboxStats(ctx: Ctx) {
  requireRole(ctx, 'agent', 'operator');
  await inboxTail(ctx.deps)();
  const sla = await slaRule(ctx);
  const [answered, waiting, overdue] = await Promise.all([
    ctx.db
      .selectFrom('inbox_conversations')
      .select(['assignee_id', 'opened_at', 'first_response_at', 'closed_at'])
      .where('merchant_id', '=', ctx.merchantId)
      .where('first_response_at', 'is not', null)
      .where('opened_at', '>=', ctx.now - STATS_DAYS * 86_400_000)
      .limit(STATS_ROWS)
      .execute(),
    ctx.db
      .selectFrom('inbox_conversations')
      .select((eb) => eb.fn.countAll<number>().as('waiting'))
      .where('merchant_id', '=', ctx.merchantId)
      .where('status', '=', 'open')
      .where('waiting_since', 'is not', null)
      .executeTakeFirstOrThrow(),
    overdueConversations(ctx),
  ]);
  const agents = new Map<
    string | null,
    { conversations: number; first: number; resolved: number; resolution: number; within: number }
  >();
  for (const row of answered) {
    const a = agents.get(row.assignee_id) ?? {
      conversations: 0,
      first: 0,
      resolved: 0,
      resolution: 0,
      within: 0,
    };
    const first = businessMs(row.opened_at, row.first_response_at!, sla.hours, sla.offsetAt);
    a.conversations += 1;
    a.first += first;
    if (first <= sla.slaMs) a.within += 1;
    if (row.closed_at !== null) {
      a.resolved += 1;
      a.resolution += businessMs(row.opened_at, row.closed_at, sla.hours, sla.offsetAt);
    }
    agents.set(row.assignee_id, a);
  }
  return {
    sla_minutes: sla.slaMs / 60_000,
    business_hours: sla.hours,
    waiting: Number(waiting.waiting),
    overdue: overdue.length,
    oldest_overdue: overdue.slice(0, 20).map((c) => ({
      id: c.id,
      account_id: c.account_id,
      openid: c.openid,
      assignee_id: c.assignee_id,
      preview: c.preview,
      waited_ms: c.waited_ms,
    })),
    agents: [...agents].map(([assigneeId, a]) => ({
      assignee_id: assigneeId,
      conversations: a.conversations,
      first_response_ms: Math.round(a.first / a.conversations),
      within_sla: a.within / a.conversations,
      resolved: a.resolved,
      resolution_ms: a.resolved === 0 ? null : Math.round(a.resolution / a.resolved),
    })),
  };
}
