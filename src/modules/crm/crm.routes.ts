import { Type } from '@fastify/type-provider-typebox';
import type { Api } from '../../deps.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { IdParams, Ok, withErrors } from '../../platform/http/schemas.ts';
import { createAttributeDef, deleteAttributeDef, listAttributeDefs } from './attributes.service.ts';
import { careList, markCared } from './care.service.ts';
import { AttributeDef, Member, MemberPage, Nullable, Tag, TimelinePage } from './crm.schemas.ts';
import { importRoutes } from './import.routes.ts';
import { addNote, getMember, updateMember } from './members.service.ts';
import { mergeByHand, mergesInto, undoMerge } from './merge.service.ts';
import { rfmBands, saveRfmBands } from './rfm.service.ts';
import { segmentRoutes } from './segments.routes.ts';
import {
  createTag,
  deleteTag,
  listTags,
  renameTag,
  requestTagPull,
  tagMembers,
  untagMembers,
} from './tags.service.ts';
import { timeline } from './timeline.service.ts';

const Paging = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 64 })),
};
const MemberIds = Type.Object({
  member_ids: Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 1000 }),
});

/** CRM's admin API: members, profile and timeline, merges, attributes, tags, segments. */
export function crmRoutes(app: Api): void {
  const tags = ['crm'];
  app.get(
    '/crm/members/:id',
    {
      schema: {
        tags,
        summary: '会员档案 / Member profile',
        params: IdParams,
        response: withErrors({ 200: Member }),
      },
    },
    (request) => getMember(request.ctx, request.params.id),
  );
  app.patch(
    '/crm/members/:id',
    {
      schema: {
        tags,
        summary: '编辑会员档案（手机号相同则自动合并）/ Edit a profile (same phone merges)',
        params: IdParams,
        body: Type.Object({
          name: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
          phone: Type.Optional(Nullable(Type.String({ maxLength: 20 }))),
          region: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
          gender: Type.Optional(Nullable(Type.Union([Type.Literal('male'), Type.Literal('female')]))),
          birthday: Type.Optional(Nullable(Type.String({ maxLength: 10 }))),
          attrs: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
          external_ids: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 128 }))),
        }),
        response: withErrors({ 200: Member }),
      },
    },
    (request) => updateMember(request.ctx, request.params.id, request.body),
  );
  app.get(
    '/crm/members/:id/timeline',
    {
      schema: {
        tags,
        summary: '会员时间线（消息、订单、标签、备注），新的在前 / Timeline, newest first',
        params: IdParams,
        querystring: Type.Object(Paging),
        response: withErrors({ 200: TimelinePage }),
      },
    },
    (request) =>
      timeline(request.ctx, request.params.id, {
        limit: request.query.limit ?? 50,
        cursor: request.query.cursor,
      }),
  );
  app.post(
    '/crm/members/:id/notes',
    {
      schema: {
        tags,
        params: IdParams,
        body: Type.Object({ text: Type.String({ minLength: 1, maxLength: 2000 }) }),
        response: withErrors({ 201: Ok }),
      },
    },
    async (request, reply) => {
      await addNote(request.ctx, request.params.id, request.body.text);
      return reply.status(201).send({ ok: true });
    },
  );
  const Merge = Type.Object({
    id: Type.String(),
    from_member_id: Type.String(),
    into_member_id: Type.String(),
    reason: Type.Optional(Type.String()),
    actor: Type.Optional(Type.String()),
    created_at: Type.Optional(Type.Integer()),
    undone_at: Type.Optional(Nullable(Type.Integer())),
  });
  app.post(
    '/crm/members/:id/merge',
    {
      schema: {
        tags,
        summary: '把此会员合并到另一会员（可撤销）/ Merge this member into another (undoable)',
        params: IdParams,
        body: Type.Object({ into_member_id: Type.String({ maxLength: 64 }) }),
        response: withErrors({ 200: Merge }),
      },
    },
    (request) => mergeByHand(request.ctx, request.params.id, request.body.into_member_id),
  );
  app.get(
    '/crm/members/:id/merges',
    { schema: { tags, params: IdParams, response: withErrors({ 200: Type.Array(Merge) }) } },
    async (request) => {
      await getMember(request.ctx, request.params.id);
      return mergesInto(request.ctx, request.params.id);
    },
  );
  app.post(
    '/crm/merges/:id/undo',
    {
      schema: {
        tags,
        summary: '撤销合并 / Undo a merge',
        params: IdParams,
        response: withErrors({ 200: Merge }),
      },
    },
    (request) => undoMerge(request.ctx, request.params.id),
  );

  app.get(
    '/crm/attributes',
    { schema: { tags, response: withErrors({ 200: Type.Array(AttributeDef) }) } },
    (request) => listAttributeDefs(request.ctx),
  );
  app.post(
    '/crm/attributes',
    {
      schema: {
        tags,
        summary: '自定义会员字段（如肤质、身高）/ Define a member field',
        body: Type.Object({
          key: Type.String({ minLength: 1, maxLength: 32 }),
          label: Type.String({ minLength: 1, maxLength: 32 }),
          type: Type.Union(['text', 'number', 'date', 'choice', 'boolean'].map((t) => Type.Literal(t))),
          options: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 32 }), { maxItems: 50 })),
        }),
        response: withErrors({ 201: AttributeDef }),
      },
    },
    async (request, reply) =>
      reply.status(201).send(
        await createAttributeDef(request.ctx, {
          ...request.body,
          type: request.body.type as 'text' | 'number' | 'date' | 'choice' | 'boolean',
        }),
      ),
  );
  app.delete(
    '/crm/attributes/:id',
    { schema: { tags, params: IdParams, response: withErrors({ 200: Ok }) } },
    async (request) => {
      await deleteAttributeDef(request.ctx, request.params.id);
      return { ok: true };
    },
  );

  app.get(
    '/crm/tags',
    {
      schema: {
        tags,
        summary: '标签及微信同步状态 / Tags and WeChat sync',
        response: withErrors({ 200: Type.Array(Tag) }),
      },
    },
    (request) => listTags(request.ctx),
  );
  app.post(
    '/crm/tags',
    {
      schema: {
        tags,
        body: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 30 }),
          sync: Type.Optional(Type.Boolean()),
        }),
        response: withErrors({ 201: Tag }),
      },
    },
    async (request, reply) => reply.status(201).send(await createTag(request.ctx, request.body)),
  );
  app.delete(
    '/crm/tags/:id',
    { schema: { tags, params: IdParams, response: withErrors({ 200: Ok }) } },
    async (request) => {
      await deleteTag(request.ctx, request.params.id);
      return { ok: true };
    },
  );
  app.patch(
    '/crm/tags/:id',
    {
      schema: {
        tags,
        summary: '重命名标签（同步到微信）/ Rename a tag (and its WeChat twins)',
        params: IdParams,
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 30 }) }),
        response: withErrors({ 200: Tag }),
      },
    },
    (request) => renameTag(request.ctx, request.params.id, request.body.name),
  );
  app.post(
    '/crm/tags/pull',
    {
      schema: {
        tags,
        summary: '从微信拉取标签及其粉丝 / Read tags and tagged fans back from WeChat',
        response: withErrors({ 202: Type.Object({ queued: Type.Boolean() }) }),
      },
    },
    async (request, reply) => reply.status(202).send(await requestTagPull(request.ctx)),
  );
  const Bands = Type.Object({
    recency_days: Type.Array(Type.Integer({ minimum: 0 }), { minItems: 4, maxItems: 4 }),
    frequency: Type.Array(Type.Integer({ minimum: 0 }), { minItems: 4, maxItems: 4 }),
    monetary_fen: Type.Array(Type.Integer({ minimum: 0 }), { minItems: 4, maxItems: 4 }),
  });
  app.get(
    '/crm/rfm',
    {
      schema: {
        tags,
        summary: 'RFM 分档（各 4 个分界）/ RFM band edges',
        response: withErrors({ 200: Bands }),
      },
    },
    async (request) => {
      requireRole(request.ctx, 'operator', 'agent');
      return rfmBands(request.ctx);
    },
  );
  app.put('/crm/rfm', { schema: { tags, body: Bands, response: withErrors({ 200: Bands }) } }, (request) =>
    saveRfmBands(request.ctx, request.body),
  );
  app.post(
    '/crm/tags/:id/members',
    {
      schema: {
        tags,
        summary: '批量打标签 / Tag members in bulk',
        params: IdParams,
        body: MemberIds,
        response: withErrors({
          200: Type.Object({ added: Type.Integer(), refused: Type.Array(Type.String()) }),
        }),
      },
    },
    (request) => tagMembers(request.ctx, request.params.id, request.body.member_ids),
  );
  app.post(
    '/crm/tags/:id/remove',
    {
      schema: {
        tags,
        summary: '批量去标签 / Untag members in bulk',
        params: IdParams,
        body: MemberIds,
        response: withErrors({ 200: Type.Object({ removed: Type.Integer() }) }),
      },
    },
    (request) => untagMembers(request.ctx, request.params.id, request.body.member_ids),
  );

  app.get(
    '/crm/care',
    {
      schema: {
        tags,
        summary:
          '我的今日关怀名单（每人每天一份，有上限；生日、未付款、该回购、沉默）/ My members to greet today (bounded, one owner each)',
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) }),
        response: withErrors({
          200: Type.Object({
            day: Type.String(),
            limit: Type.Integer(),
            done: Type.Integer(),
            items: Type.Array(
              Type.Object({ member: Type.Unknown(), reason: Type.String(), suggestion: Type.String() }),
            ),
          }),
        }),
      },
    },
    (request) => careList(request.ctx, request.query.limit),
  );
  app.post(
    '/crm/care/:id/done',
    {
      schema: {
        tags,
        summary: "已问候（今日不再出现）/ Greeted: off today's list",
        params: IdParams,
        body: Type.Object({ reason: Type.Optional(Type.String({ maxLength: 32 })) }),
        response: withErrors({ 200: Ok }),
      },
    },
    async (request) => {
      await markCared(request.ctx, request.params.id, request.body.reason);
      return { ok: true };
    },
  );
  segmentRoutes(app, { Paging, MemberPage });
  app.register(async (scope) => importRoutes(scope as unknown as Api));
}
