import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { zoneOffsetMs } from '../../platform/db/day-buckets.ts';
import { conflict } from '../../platform/http/errors.ts';
import { WeChatApiError } from '../../wechat/api-client.ts';
import { apiClientFor, getAccount, viaWeChat } from '../accounts/index.ts';
import { AGENT_KIND, messagesOf, recordAgentMessage } from '../channel/index.ts';
import { logTail as crmLogTail, getMember, memberOfFan } from '../crm/index.ts';
import { listOrders } from '../orders/index.ts';
import { getMerchant } from '../tenants/index.ts';
import { inboxTail, markAnswered } from './conversation-log.ts';
import {
  actorId,
  conversationView,
  getConversationRow,
  SERVICE_WINDOW_MS,
  slaRule,
} from './conversations.service.ts';
import { getPersona, inboxSettings, listCanned, renderCanned } from './settings.service.ts';

/** What a fan writes; anything else in the log (follow, menu click, scan) is shown as an event line. */
const TALK_KINDS = new Set(['text', 'image', 'voice', 'video', 'shortvideo', 'location', 'link']);

export interface ChatMessage {
  id: string;
  at: number;
  /** fan: the fan wrote; auto: the account's automatic reply; agent: a person answered; event: followed, clicked a menu… */
  from: 'fan' | 'auto' | 'agent' | 'event';
  kind: string;
  text: string | null;
  agent: string | null;
}

const outsideWindow = () =>
  conflict(
    'outside_window',
    '粉丝最后一次互动已超过 48 小时，微信不允许再发客服消息；请改用模板消息通知',
    "The fan's last message was more than 48 hours ago: WeChat allows no customer-service message now; send a template notice instead",
  );

function replyText(json: string | null): string | null {
  if (!json) return null;
  const reply = JSON.parse(json) as { type: string; content?: string; articles?: Array<{ title: string }> };
  if (reply.type === 'text') return reply.content ?? '';
  if (reply.type === 'news') return reply.articles?.map((a) => a.title).join(' / ') ?? '';
  return `[${reply.type}]`;
}

/**
 * Everything the agent sees for one conversation: the chat (oldest first), the member's profile
 * and tags, their orders, the account's persona and the canned replies with variables filled.
 */
export async function conversationDetail(ctx: Ctx, id: string) {
  requireRole(ctx, 'agent', 'operator');
  await inboxTail(ctx.deps)();
  const row = await getConversationRow(ctx, id);
  const [sla, settings, account] = await Promise.all([
    slaRule(ctx),
    inboxSettings(ctx),
    getAccount(ctx, row.account_id),
  ]);
  let memberId = row.member_id ?? (await memberOfFan(ctx, row.account_id, row.openid));
  if (!memberId) {
    // CRM makes a fan's member from the log after a quiet moment: a first message opened at
    // once may be ahead of it, so let CRM catch up now rather than show no profile.
    await crmLogTail(ctx.deps)();
    memberId = await memberOfFan(ctx, row.account_id, row.openid);
  }
  const [log, member, orders, persona, canned] = await Promise.all([
    messagesOf(ctx, row.account_id, row.openid, { limit: 100 }),
    memberId ? getMember(ctx, memberId).catch(() => null) : null,
    listOrders(ctx, { openid: row.openid, account_id: row.account_id, limit: 10 }),
    getPersona(ctx, row.account_id),
    listCanned(ctx),
  ]);
  const messages = log.reverse().flatMap((m): ChatMessage[] => {
    if (m.kind === AGENT_KIND)
      return [
        {
          id: m.id,
          at: m.created_at,
          from: 'agent' as const,
          kind: 'text',
          text: replyText(m.reply),
          agent: m.content,
        },
      ];
    const talk = TALK_KINDS.has(m.kind);
    const fan: ChatMessage = {
      id: m.id,
      at: m.created_at,
      from: talk ? 'fan' : 'event',
      kind: m.kind,
      text: talk ? m.content : null,
      agent: null,
    };
    const auto = replyText(m.reply);
    return auto === null
      ? [fan]
      : [
          fan,
          { id: `${m.id}:r`, at: m.created_at, from: 'auto' as const, kind: 'text', text: auto, agent: null },
        ];
  });
  const vars = { name: member?.name ?? '', persona: persona?.name ?? '', agent: persona?.name ?? '' };
  const windowOpen = row.last_inbound_at !== null && ctx.now - row.last_inbound_at < SERVICE_WINDOW_MS;
  return {
    conversation: conversationView(row, ctx.now, sla),
    window_open: windowOpen,
    // Outside the window the composer offers a template notice where one fits.
    notice: {
      available: !windowOpen && account.type === 'service' && settings.notice_template_id !== null,
      reason: windowOpen
        ? null
        : account.type !== 'service'
          ? 'subscription_account'
          : settings.notice_template_id === null
            ? 'no_template'
            : null,
    },
    messages,
    member,
    orders: orders.items.map((o) => ({
      id: o.id,
      status: o.status,
      total: o.total,
      created_at: o.created_at,
    })),
    persona,
    canned: canned.map((c) => ({ id: c.id, title: c.title, text: renderCanned(c.body, vars) })),
  };
}

/**
 * An agent's reply, sent as a WeChat customer-service message: only inside the 48-hour window
 * after the fan's last message (refused before calling WeChat otherwise). Recorded in the message
 * log, so the timeline and every agent's screen show it; the replying agent takes an unassigned
 * conversation.
 */
export async function replyToConversation(ctx: Ctx, id: string, text: string) {
  requireRole(ctx, 'agent', 'operator');
  const row = await getConversationRow(ctx, id);
  if (row.last_inbound_at === null || ctx.now - row.last_inbound_at >= SERVICE_WINDOW_MS)
    throw outsideWindow();
  const account = await getAccount(ctx, row.account_id);
  const agent = actorId(ctx.actor);
  // WeChat's own answer decides too (the fan may have unfollowed, or our clock may differ).
  await viaWeChat(async () => {
    try {
      await apiClientFor(ctx.deps, account).sendCustomMessage(row.openid, {
        msgtype: 'text',
        text: { content: text },
      });
    } catch (error) {
      if (error instanceof WeChatApiError && error.isOutOfWindow) throw outsideWindow();
      if (error instanceof WeChatApiError && error.isUnsubscribed)
        throw conflict('fan_unsubscribed', '粉丝已取消关注，无法发送', 'The fan has unfollowed the account');
      throw error;
    }
  });
  const entry = await recordAgentMessage(ctx, { accountId: row.account_id, openid: row.openid, text, agent });
  await markAnswered(ctx, row.account_id, row.openid, entry.created_at, entry.reply);
  if (row.assignee_id === null) {
    await ctx.db
      .updateTable('inbox_conversations')
      .set({ assignee_id: agent })
      .where('id', '=', id)
      .where('assignee_id', 'is', null)
      .execute();
  }
  return { id: entry.id, at: entry.created_at, from: 'agent' as const, kind: 'text', text, agent };
}

/** The merchant's wall-clock "YYYY-MM-DD HH:MM" for a template's time field. */
const localTime = (ms: number, timeZone: string) =>
  new Date(ms + zoneOffsetMs(timeZone, ms)).toISOString().slice(0, 16).replace('T', ' ');

/**
 * Outside the 48-hour window WeChat refuses customer-service messages; a template notice (a
 * service account with the merchant's template) still reaches the fan, asking them to write back.
 */
export async function sendNotice(ctx: Ctx, id: string, text: string) {
  requireRole(ctx, 'agent', 'operator');
  // The window is judged on the newest log: a fan who just wrote back reopens it.
  await inboxTail(ctx.deps)();
  const row = await getConversationRow(ctx, id);
  if (row.last_inbound_at !== null && ctx.now - row.last_inbound_at < SERVICE_WINDOW_MS)
    throw conflict(
      'inside_window',
      '仍在 48 小时内，请直接回复',
      'Still inside the 48-hour window: reply directly',
    );
  const [account, settings, persona] = await Promise.all([
    getAccount(ctx, row.account_id),
    inboxSettings(ctx),
    getPersona(ctx, row.account_id),
  ]);
  if (account.type !== 'service' || !settings.notice_template_id)
    throw conflict(
      'no_template',
      '没有可用的模板消息（需服务号并在客服设置中填写模板 ID）',
      'No template notice fits (a service account with a template id in the inbox settings)',
    );
  const agent = actorId(ctx.actor);
  const timeZone = (await getMerchant(ctx)).timezone;
  await viaWeChat(async () => {
    try {
      await apiClientFor(ctx.deps, account).sendTemplate({
        openid: row.openid,
        templateId: settings.notice_template_id!,
        data: {
          first: { value: text },
          keyword1: { value: persona?.name ?? account.name },
          keyword2: { value: localTime(ctx.now, timeZone) },
          remark: { value: '回复本公众号即可继续对话' },
        },
      });
    } catch (error) {
      if (error instanceof WeChatApiError && error.isUnsubscribed)
        throw conflict('fan_unsubscribed', '粉丝已取消关注，无法发送', 'The fan has unfollowed the account');
      throw error;
    }
  });
  const entry = await recordAgentMessage(ctx, {
    accountId: row.account_id,
    openid: row.openid,
    text: `[模板通知] ${text}`,
    agent,
  });
  await markAnswered(ctx, row.account_id, row.openid, entry.created_at, entry.reply);
  return { id: entry.id, at: entry.created_at, from: 'agent' as const, kind: 'template', text, agent };
}
