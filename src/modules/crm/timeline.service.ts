import type { Ctx } from '../../context.ts';
import { AGENT_KIND, messagesOf } from '../channel/index.ts';
import { getMember } from './members.service.ts';
import { mergedFamily } from './merge.service.ts';

export interface TimelineItem {
  /** The source row's id (a message or a CRM event). */
  id: string;
  at: number;
  kind: string;
  /** `in`: the fan wrote or did something; `out`: the account answered; `event`: CRM's own record. */
  direction: 'in' | 'out' | 'event';
  account_id: string | null;
  text: string | null;
  /** The reply sent automatically, for a fan's message. */
  reply: string | null;
  body: Record<string, unknown> | null;
  actor: string | null;
}

/** Ids sort by time after their prefix, so one cursor can page two sources. */
const suffix = (id: string) => id.slice(id.indexOf('_') + 1);

function replyText(json: string | null): string | null {
  if (!json) return null;
  const reply = JSON.parse(json) as { type: string; content?: string; articles?: Array<{ title: string }> };
  if (reply.type === 'text') return reply.content ?? '';
  if (reply.type === 'news') return reply.articles?.map((a) => a.title).join(' / ') ?? '';
  return `[${reply.type}]`;
}

/**
 * A member's timeline, newest first: messages in and out from channel's log (on every account the
 * person follows) and CRM's own events (notes, tags, orders, merges), merged by time and paged by
 * one cursor.
 */
export async function timeline(ctx: Ctx, memberId: string, page: { limit: number; cursor?: string }) {
  const member = await getMember(ctx, memberId);
  const family = await mergedFamily(ctx, memberId);
  let events = ctx.db
    .selectFrom('crm_events')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('member_id', 'in', family);
  if (page.cursor) events = events.where('id', '<', `evt_${page.cursor}`);
  const fans = member.identities
    .filter((i) => i.kind === 'openid')
    .map((i) => ({
      accountId: i.value.slice(0, i.value.indexOf(':')),
      openid: i.value.slice(i.value.indexOf(':') + 1),
    }));
  const [eventRows, ...messageLists] = await Promise.all([
    events.orderBy('id', 'desc').limit(page.limit).execute(),
    ...fans.map((fan) =>
      messagesOf(ctx, fan.accountId, fan.openid, {
        limit: page.limit,
        before: page.cursor ? `msg_${page.cursor}` : undefined,
      }),
    ),
  ]);
  const rows: Array<{ key: string; items: TimelineItem[] }> = [];
  for (const e of eventRows) {
    rows.push({
      key: suffix(e.id),
      items: [
        {
          id: e.id,
          at: e.created_at,
          kind: e.kind,
          direction: 'event',
          account_id: null,
          text: null,
          reply: null,
          body: JSON.parse(e.body) as Record<string, unknown>,
          actor: e.actor,
        },
      ],
    });
  }
  for (const m of messageLists.flat()) {
    const agent = m.kind === AGENT_KIND;
    rows.push({
      key: suffix(m.id),
      items: [
        {
          id: m.id,
          at: m.created_at,
          kind: m.kind,
          direction: agent ? 'out' : 'in',
          account_id: m.account_id,
          text: agent ? replyText(m.reply) : m.content,
          reply: agent ? null : replyText(m.reply),
          body: null,
          actor: agent ? m.content : null,
        },
      ],
    });
  }
  rows.sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0));
  const taken = rows.slice(0, page.limit);
  return {
    items: taken.flatMap((r) => r.items),
    next_cursor: rows.length > page.limit || taken.length === page.limit ? (taken.at(-1)?.key ?? null) : null,
  };
}
