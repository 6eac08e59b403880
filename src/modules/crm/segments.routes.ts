import { type TSchema, Type } from '@fastify/type-provider-typebox';
import type { Api } from '../../deps.ts';
import { IdParams, Ok, withErrors } from '../../platform/http/schemas.ts';
import { Nullable, Segment } from './crm.schemas.ts';
import type { RuleGroup } from './segment-rules.ts';
import {
  countMembers,
  deleteSegment,
  getSegment,
  listMembers,
  listSegments,
  saveSegment,
  snapshotAudience,
  snapshotSegment,
} from './segments.service.ts';

const Rules = Type.Unknown({ description: '{op: "and"|"or", rules: [condition | group]}' });
const SegmentBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 64 }),
  rules: Rules,
  auto_tag_id: Type.Optional(
    Type.Union([Type.String({ maxLength: 64 }), Type.Null()], {
      description: '自动给分群成员打的标签（随成员变化维护）/ Tag kept on exactly the members',
    }),
  ),
});

export function segmentRoutes(
  app: Api,
  shared: { Paging: Record<string, TSchema>; MemberPage: TSchema },
): void {
  const tags = ['crm'];
  app.get(
    '/crm/members',
    {
      schema: {
        tags,
        summary: '会员列表（可按分群筛选）/ Members, optionally in a segment',
        querystring: Type.Object({
          ...shared.Paging,
          q: Type.Optional(Type.String({ maxLength: 64 })),
          segment_id: Type.Optional(Type.String({ maxLength: 64 })),
        }),
        response: withErrors({ 200: shared.MemberPage }),
      },
    },
    (request) => {
      const { limit, cursor, q, segment_id } = request.query as {
        limit?: number;
        cursor?: string;
        q?: string;
        segment_id?: string;
      };
      return listMembers(request.ctx, { limit: limit ?? 50, cursor, q, segment_id });
    },
  );
  app.post(
    '/crm/members/query',
    {
      schema: {
        tags,
        summary: '按条件查询会员及人数（实时）/ Members and live count for a rule tree',
        body: Type.Object({
          rules: Rules,
          limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 200 })),
          cursor: Type.Optional(Type.String({ maxLength: 64 })),
        }),
        response: withErrors({
          200: Type.Object({
            count: Type.Integer(),
            items: Type.Array(Type.Unknown()),
            next_cursor: Nullable(Type.String()),
          }),
        }),
      },
    },
    async (request) => {
      const rules = request.body.rules as RuleGroup;
      const limit = request.body.limit ?? 20;
      const [count, page] = await Promise.all([
        countMembers(request.ctx, rules),
        limit > 0
          ? listMembers(request.ctx, { rules, limit, cursor: request.body.cursor })
          : { items: [], next_cursor: null },
      ]);
      return { count, ...page };
    },
  );

  app.get(
    '/crm/segments',
    { schema: { tags, response: withErrors({ 200: Type.Array(Segment) }) } },
    (request) => listSegments(request.ctx),
  );
  app.post(
    '/crm/segments',
    {
      schema: {
        tags,
        summary: '保存分群 / Save a segment',
        body: SegmentBody,
        response: withErrors({ 201: Segment }),
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(await saveSegment(request.ctx, { ...request.body, rules: request.body.rules as RuleGroup })),
  );
  app.get(
    '/crm/segments/:id',
    {
      schema: {
        tags,
        params: IdParams,
        response: withErrors({ 200: Type.Object({ ...Segment.properties, count: Type.Integer() }) }),
      },
    },
    async (request) => {
      const segment = await getSegment(request.ctx, request.params.id);
      return { ...segment, count: await countMembers(request.ctx, segment.rules) };
    },
  );
  app.put(
    '/crm/segments/:id',
    { schema: { tags, params: IdParams, body: SegmentBody, response: withErrors({ 200: Segment }) } },
    (request) =>
      saveSegment(
        request.ctx,
        { ...request.body, rules: request.body.rules as RuleGroup },
        request.params.id,
      ),
  );
  app.delete(
    '/crm/segments/:id',
    { schema: { tags, params: IdParams, response: withErrors({ 200: Ok }) } },
    async (request) => {
      await deleteSegment(request.ctx, request.params.id);
      return { ok: true };
    },
  );
  app.post(
    '/crm/segments/:id/snapshots',
    {
      schema: {
        tags,
        summary: '冻结分群当前成员（群发用）/ Freeze the members as of now (for a broadcast)',
        params: IdParams,
        response: withErrors({
          201: Type.Object({
            id: Type.String(),
            segment_id: Type.String(),
            members: Type.Integer(),
            created_at: Type.Integer(),
          }),
        }),
      },
    },
    async (request, reply) => reply.status(201).send(await snapshotSegment(request.ctx, request.params.id)),
  );
  app.get(
    '/crm/snapshots/:id/members',
    {
      schema: {
        tags,
        params: IdParams,
        querystring: Type.Object({
          after: Type.Optional(Type.String({ maxLength: 64 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
        }),
        response: withErrors({
          200: Type.Object({
            members: Type.Array(
              Type.Object({
                member_id: Type.String(),
                openids: Type.Array(Type.Object({ account_id: Type.String(), openid: Type.String() })),
              }),
            ),
            next: Nullable(Type.String()),
          }),
        }),
      },
    },
    (request) =>
      snapshotAudience(request.ctx, request.params.id, {
        limit: request.query.limit ?? 500,
        after: request.query.after,
      }),
  );
}
