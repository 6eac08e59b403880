import { Type } from '@fastify/type-provider-typebox';
import type { Api, AppDeps } from '../../deps.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { IdParams, Ok, withErrors } from '../../platform/http/schemas.ts';
import { inboxTail, onConversationsApplied } from './conversation-log.ts';
import {
  actorId,
  assignConversation,
  inboxStats,
  listConversations,
  overdueConversations,
  setStatus,
} from './conversations.service.ts';
import { conversationDetail, replyToConversation, sendNotice } from './reply.service.ts';
import {
  createCanned,
  deleteCanned,
  getPersona,
  inboxSettings,
  listCanned,
  savePersona,
  saveSettings,
} from './settings.service.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);
const Conversation = Type.Object({
  id: Type.String(),
  account_id: Type.String(),
  openid: Type.String(),
  member_id: Nullable(Type.String()),
  status: Type.String(),
  assignee_id: Nullable(Type.String()),
  last_inbound_at: Nullable(Type.Integer()),
  last_agent_at: Nullable(Type.Integer()),
  last_message_at: Type.Integer(),
  preview: Nullable(Type.String()),
  waiting_since: Nullable(Type.Integer()),
  wants_human: Type.Boolean(),
  waited_ms: Type.Integer({ description: '营业时间内已等待（毫秒）/ Waited inside business hours (ms)' }),
  overdue: Type.Boolean(),
  window_ends_at: Nullable(Type.Integer()),
  opened_at: Type.Integer(),
  first_response_at: Nullable(Type.Integer()),
  closed_at: Nullable(Type.Integer()),
});
const Message = Type.Object({
  id: Type.String(),
  at: Type.Integer(),
  from: Type.String(),
  kind: Type.String(),
  text: Nullable(Type.String()),
  agent: Nullable(Type.String()),
});
const Hours = Type.Object({
  days: Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), { minItems: 1, maxItems: 7 }),
  start: Type.String({ pattern: '^\\d{2}:\\d{2}$' }),
  end: Type.String({ pattern: '^\\d{2}:\\d{2}$' }),
});
const Persona = Type.Object({
  account_id: Type.String(),
  name: Type.String(),
  avatar_url: Nullable(Type.String()),
  signature: Nullable(Type.String()),
  guidelines: Nullable(Type.String()),
});
/** SSE keeps the connection open; a comment line every so often stops proxies closing it. */
const HEARTBEAT_MS = 15_000;
/** Between log notices (another process may write), look again this often. */
const POLL_MS = 1_000;
/** How often a stream looks for its agent's conversations gone past the SLA. */
const SLA_CHECK_MS = 10_000;

export function inboxRoutes(app: Api, deps: AppDeps): void {
  const tags = ['inbox'];
  app.get(
    '/inbox/conversations',
    {
      schema: {
        tags,
        summary: '会话列表：未分配 / 我的 / 全部 / 超时 / Conversations',
        querystring: Type.Object({
          view: Type.Optional(
            Type.Union(['unassigned', 'mine', 'all', 'overdue'].map((v) => Type.Literal(v))),
          ),
          status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('closed')])),
          account_id: Type.Optional(Type.String({ maxLength: 64 })),
          before: Type.Optional(Type.Integer({ minimum: 0 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
        }),
        response: withErrors({ 200: Type.Array(Conversation) }),
      },
    },
    (request) => {
      const q = request.query;
      return listConversations(request.ctx, {
        view: (q.view ?? 'all') as 'all',
        status: q.status,
        account_id: q.account_id,
        before: q.before,
        limit: q.limit ?? 50,
      });
    },
  );
  app.get(
    '/inbox/conversations/:id',
    {
      schema: {
        tags,
        summary: '会话详情：聊天、会员档案、订单、人设、快捷回复 / Conversation with profile and orders',
        params: IdParams,
        response: withErrors({
          200: Type.Object({
            conversation: Conversation,
            window_open: Type.Boolean(),
            notice: Type.Object({ available: Type.Boolean(), reason: Nullable(Type.String()) }),
            messages: Type.Array(Message),
            member: Type.Unknown(),
            orders: Type.Array(
              Type.Object({
                id: Type.String(),
                status: Type.String(),
                total: Type.Integer(),
                created_at: Type.Integer(),
              }),
            ),
            persona: Nullable(Persona),
            canned: Type.Array(Type.Object({ id: Type.String(), title: Type.String(), text: Type.String() })),
          }),
        }),
      },
    },
    (request) => conversationDetail(request.ctx, request.params.id),
  );
  app.post(
    '/inbox/conversations/:id/reply',
    {
      schema: {
        tags,
        summary: '客服回复（仅 48 小时窗口内）/ Reply as a customer-service message (48-hour window only)',
        params: IdParams,
        body: Type.Object({ text: Type.String({ minLength: 1, maxLength: 2000 }) }),
        response: withErrors({ 201: Message, 502: Type.Ref('Error') }),
      },
    },
    async (request, reply) =>
      reply.status(201).send(await replyToConversation(request.ctx, request.params.id, request.body.text)),
  );
  app.post(
    '/inbox/conversations/:id/notice',
    {
      schema: {
        tags,
        summary: '超出 48 小时：发送模板消息通知 / Outside the 48-hour window: send a template notice',
        params: IdParams,
        body: Type.Object({ text: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: withErrors({ 201: Message, 502: Type.Ref('Error') }),
      },
    },
    async (request, reply) =>
      reply.status(201).send(await sendNotice(request.ctx, request.params.id, request.body.text)),
  );
  app.post(
    '/inbox/conversations/:id/assign',
    {
      schema: {
        tags,
        summary: '分配或转接（null 取消分配）/ Assign or transfer (null unassigns)',
        params: IdParams,
        body: Type.Object({ assignee_id: Nullable(Type.String({ maxLength: 64 })) }),
        response: withErrors({ 200: Conversation }),
      },
    },
    (request) => assignConversation(request.ctx, request.params.id, request.body.assignee_id),
  );
  app.post(
    '/inbox/conversations/:id/close',
    { schema: { tags, params: IdParams, response: withErrors({ 200: Conversation }) } },
    (request) => setStatus(request.ctx, request.params.id, 'closed'),
  );
  app.post(
    '/inbox/conversations/:id/reopen',
    { schema: { tags, params: IdParams, response: withErrors({ 200: Conversation }) } },
    (request) => setStatus(request.ctx, request.params.id, 'open'),
  );
  app.get(
    '/inbox/stats',
    {
      schema: {
        tags,
        summary: '等待与超时数量、各客服首次响应时长 / Waiting, overdue, response times per agent',
        response: withErrors({
          200: Type.Object({
            sla_minutes: Type.Integer(),
            business_hours: Nullable(Hours),
            waiting: Type.Integer(),
            overdue: Type.Integer(),
            oldest_overdue: Type.Array(
              Type.Object({
                id: Type.String(),
                account_id: Type.String(),
                openid: Type.String(),
                assignee_id: Nullable(Type.String()),
                preview: Nullable(Type.String()),
                waited_ms: Type.Integer(),
              }),
            ),
            agents: Type.Array(
              Type.Object({
                assignee_id: Nullable(Type.String()),
                conversations: Type.Integer(),
                first_response_ms: Type.Integer(),
                within_sla: Type.Number(),
                resolved: Type.Integer(),
                resolution_ms: Nullable(Type.Integer()),
              }),
            ),
          }),
        }),
      },
    },
    (request) => inboxStats(request.ctx),
  );
  const Settings = Type.Object({
    sla_minutes: Type.Integer({ minimum: 1, maximum: 1440 }),
    business_hours: Nullable(Hours),
    handoff_keywords: Type.Array(Type.String({ minLength: 1, maxLength: 20 }), { maxItems: 20 }),
    notice_template_id: Nullable(Type.String({ maxLength: 128 })),
  });
  app.put(
    '/inbox/settings',
    {
      schema: {
        tags,
        summary:
          '客服设置：响应时限、营业时间、转人工关键词、模板通知 / SLA, business hours, handoff words, notice template',
        body: Type.Partial(Settings),
        response: withErrors({ 200: Settings }),
      },
    },
    (request) => saveSettings(request.ctx, request.body),
  );
  app.get(
    '/inbox/settings',
    { schema: { tags, response: withErrors({ 200: Settings }) } },
    async (request) => {
      requireRole(request.ctx, 'agent', 'operator');
      return inboxSettings(request.ctx);
    },
  );
  const Canned = Type.Object({
    id: Type.String(),
    title: Type.String(),
    body: Type.String(),
    created_at: Type.Integer(),
  });
  app.get(
    '/inbox/canned',
    { schema: { tags, response: withErrors({ 200: Type.Array(Canned) }) } },
    (request) => listCanned(request.ctx),
  );
  app.post(
    '/inbox/canned',
    {
      schema: {
        tags,
        summary: '快捷回复，可用 {{name}} {{persona}} {{agent}} / Canned reply with variables',
        body: Type.Object({
          title: Type.String({ minLength: 1, maxLength: 64 }),
          body: Type.String({ minLength: 1, maxLength: 2000 }),
        }),
        response: withErrors({ 201: Canned }),
      },
    },
    async (request, reply) => reply.status(201).send(await createCanned(request.ctx, request.body)),
  );
  app.delete(
    '/inbox/canned/:id',
    { schema: { tags, params: IdParams, response: withErrors({ 200: Ok }) } },
    async (request) => {
      await deleteCanned(request.ctx, request.params.id);
      return { ok: true };
    },
  );
  app.get(
    '/inbox/personas/:id',
    {
      schema: {
        tags,
        summary: '公众号的客服人设 / Persona of an account',
        params: IdParams,
        response: withErrors({ 200: Nullable(Persona) }),
      },
    },
    (request) => getPersona(request.ctx, request.params.id),
  );
  app.put(
    '/inbox/personas/:id',
    {
      schema: {
        tags,
        params: IdParams,
        body: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 32 }),
          avatar_url: Nullable(Type.String({ maxLength: 1024 })),
          signature: Nullable(Type.String({ maxLength: 200 })),
          guidelines: Nullable(Type.String({ maxLength: 2000 })),
        }),
        response: withErrors({ 200: Persona }),
      },
    },
    (request) => savePersona(request.ctx, request.params.id, request.body),
  );

  // Open streams end when the app closes, so shutdown does not wait on browsers.
  const streams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of streams) end();
  });

  // Live updates: Server-Sent Events. The server says "changed" with the newest message time;
  // the console then reloads the list and the open conversation.
  app.get(
    '/inbox/stream',
    // Hidden from the OpenAPI document: an event stream, not a JSON resource.
    { schema: { tags, summary: '实时更新（SSE）/ Live updates (SSE)', hide: true } },
    async (request, reply) => {
      const ctx = request.ctx;
      await listConversations(ctx, { view: 'all', limit: 1 });
      // The poll: catches the reader up (writes another process made), then reads.
      const latest = async () => {
        await inboxTail(deps)();
        const row = await deps.db
          .selectFrom('inbox_conversations')
          .select((eb) => eb.fn.max('updated_at').as('at'))
          .where('merchant_id', '=', ctx.merchantId)
          .executeTakeFirst();
        return Number(row?.at ?? 0);
      };
      let seen = await latest();
      reply.hijack();
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
      });
      reply.raw.write(`event: ready\ndata: ${JSON.stringify({ at: seen })}\n\n`);
      let closed = false;
      const changed = (at: number) => {
        if (closed || at <= seen) return;
        seen = at;
        reply.raw.write(`event: changed\ndata: ${JSON.stringify({ at })}\n\n`);
      };
      let checking = false;
      const check = async () => {
        if (closed || checking) return;
        checking = true;
        try {
          changed(await latest());
        } catch (error) {
          deps.logger.warn({ err: error }, 'inbox stream check failed');
        } finally {
          checking = false;
        }
      };
      // The SLA alert goes to the agent the conversation is assigned to: once per wait.
      const me = ctx.actor.kind === 'user' || ctx.actor.kind === 'token' ? actorId(ctx.actor) : null;
      const alerted = new Set<string>();
      const checkSla = async () => {
        if (closed || !me) return;
        try {
          const late = await overdueConversations({ ...ctx, now: deps.clock.now() }, me);
          const ids = new Set(late.map((c) => c.id));
          for (const id of alerted) if (!ids.has(id)) alerted.delete(id);
          for (const c of late) {
            if (alerted.has(c.id)) continue;
            alerted.add(c.id);
            reply.raw.write(
              `event: sla\ndata: ${JSON.stringify({ id: c.id, openid: c.openid, preview: c.preview, waited_ms: c.waited_ms })}\n\n`,
            );
          }
        } catch (error) {
          deps.logger.warn({ err: error }, 'inbox SLA check failed');
        }
      };
      void checkSla();
      // Told by the inbox's reader as each batch commits, with what it wrote: waiting for the
      // reader to finish instead kept the screen blank for as long as a burst lasted (it keeps
      // finding more), and reading the table again cost a query per batch and stream.
      const stop = onConversationsApplied(deps, (applied) => {
        const at = applied.get(ctx.merchantId);
        if (at !== undefined) changed(at);
      });
      const poll = setInterval(() => void check(), POLL_MS);
      const sla = setInterval(() => void checkSla(), SLA_CHECK_MS);
      const beat = setInterval(() => reply.raw.write(': beat\n\n'), HEARTBEAT_MS);
      request.raw.on('close', () => {
        closed = true;
        stop();
        clearInterval(poll);
        clearInterval(sla);
        clearInterval(beat);
      });
    },
  );
}
