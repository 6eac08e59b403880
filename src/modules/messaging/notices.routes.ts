import { Type } from '@fastify/type-provider-typebox';
import type { Api } from '../../deps.ts';
import { Ok, withErrors } from '../../platform/http/schemas.ts';
import { NOTICE_KINDS } from './notices.schema.ts';
import {
  deleteNoticeTemplate,
  getNoticeSettings,
  listNotices,
  listNoticeTemplates,
  saveNoticeSettings,
  saveNoticeTemplate,
} from './notices.service.ts';

const tags = ['messaging'];
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Kind = Type.Union(NOTICE_KINDS.map((k) => Type.Literal(k)));
const KindParams = Type.Object({ kind: Kind });
const Fields = Type.Record(Type.String({ maxLength: 32 }), Type.String({ maxLength: 200 }), {
  maxProperties: 10,
});

const TemplateView = Type.Object({
  kind: Type.String(),
  label: Type.Object({ zh: Type.String(), en: Type.String() }),
  variables: Type.Array(Type.String()),
  default_fields: Type.Record(Type.String(), Type.String()),
  has_chat_fallback: Type.Boolean(),
  template_id: Nullable(Type.String()),
  fields: Nullable(Type.Record(Type.String(), Type.String())),
  enabled: Type.Boolean(),
});

const Settings = Type.Object({
  daily_limit: Type.Integer({ minimum: 1, maximum: 100_000_000 }),
  per_second: Type.Integer({ minimum: 1, maximum: 100_000 }),
});

const Notice = Type.Object({
  id: Type.String(),
  account_id: Type.String(),
  kind: Type.String(),
  event_key: Type.String(),
  openid: Type.String(),
  via: Type.String(),
  template_id: Nullable(Type.String()),
  status: Type.String(),
  attempts: Type.Number(),
  msg_id: Nullable(Type.String()),
  finish_status: Nullable(Type.String()),
  error: Nullable(Type.String()),
  created_at: Type.Number(),
  sent_at: Nullable(Type.Number()),
});

/** Admin: template notices — each kind mapped to the merchant's template, throttles, the log. */
export function noticeRoutes(app: Api): void {
  app.get(
    '/notices/templates',
    {
      schema: {
        tags,
        summary: '模板消息设置 / Template notice mapping',
        response: withErrors({ 200: Type.Array(TemplateView) }),
      },
    },
    async (request) => listNoticeTemplates(request.ctx),
  );
  app.put(
    '/notices/templates/:kind',
    {
      schema: {
        tags,
        summary: '设置一种通知的模板 / Map a notice kind to a template',
        params: KindParams,
        body: Type.Object({
          template_id: Type.String({ minLength: 1, maxLength: 64, pattern: '\\S' }),
          fields: Type.Optional(Fields),
          enabled: Type.Optional(Type.Boolean()),
        }),
        response: withErrors({ 200: TemplateView }),
      },
    },
    async (request) => saveNoticeTemplate(request.ctx, request.params.kind, request.body),
  );
  app.delete(
    '/notices/templates/:kind',
    {
      schema: { tags, summary: '取消模板 / Unmap', params: KindParams, response: withErrors({ 200: Ok }) },
    },
    async (request) => {
      await deleteNoticeTemplate(request.ctx, request.params.kind);
      return { ok: true };
    },
  );
  app.get(
    '/notices/settings',
    { schema: { tags, summary: '发送限额 / Limits', response: withErrors({ 200: Settings }) } },
    async (request) => getNoticeSettings(request.ctx),
  );
  app.put(
    '/notices/settings',
    {
      schema: {
        tags,
        summary: '设置发送限额 / Set limits',
        body: Settings,
        response: withErrors({ 200: Settings }),
      },
    },
    async (request) => saveNoticeSettings(request.ctx, request.body),
  );
  app.get(
    '/notices',
    {
      schema: {
        tags,
        summary: '通知记录 / Notices sent',
        querystring: Type.Object({
          kind: Type.Optional(Kind),
          status: Type.Optional(
            Type.Union([
              Type.Literal('pending'),
              Type.Literal('sending'),
              Type.Literal('sent'),
              Type.Literal('skipped'),
              Type.Literal('failed'),
            ]),
          ),
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
          before: Type.Optional(Type.String({ maxLength: 64 })),
        }),
        response: withErrors({ 200: Type.Array(Notice) }),
      },
    },
    async (request) => listNotices(request.ctx, request.query),
  );
}
