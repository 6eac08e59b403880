import { Type } from '@fastify/type-provider-typebox';
import type { Api, AppDeps } from '../../deps.ts';
import { withErrors } from '../../platform/http/schemas.ts';
import { buyerOf, OrderSchema, requireFan } from '../orders/index.ts';
import { boardFor, createPost, reportPost } from './board.service.ts';
import { MemberOrderBody, MembershipSchema, PlanSchema, PostBody, PostSchema } from './community.schemas.ts';
import { checkoutAsMember } from './member-price.ts';
import { isActive, joinPlan, membershipOf, requireMember } from './membership.service.ts';
import { activePlans } from './plans.service.ts';

/** The fan's JSON side: membership state, joining a plan, the board. */
export function communityShopRoutes(app: Api, deps: AppDeps): void {
  const tags = ['shop'];
  const Params = Type.Object({ appid: Type.String({ maxLength: 32 }) });
  const IdParams = Type.Object({ appid: Type.String({ maxLength: 32 }), id: Type.String({ maxLength: 64 }) });
  const Thread = Type.Intersect([PostSchema, Type.Object({ replies: Type.Array(PostSchema) })]);

  app.get(
    '/shop/:appid/api/community/me',
    {
      schema: {
        tags,
        summary: '我的付费会员 / My paid membership',
        params: Params,
        response: withErrors({
          200: Type.Object({
            membership: Type.Union([MembershipSchema, Type.Null()]),
            plans: Type.Array(PlanSchema),
          }),
        }),
      },
    },
    async (request) => {
      const ctx = await requireFan(deps, request);
      const { accountId, openid } = buyerOf(ctx);
      const m = await membershipOf(ctx, accountId, openid);
      return { membership: m && { ...m, active: isActive(m, ctx.now) }, plans: await activePlans(ctx) };
    },
  );
  app.post(
    '/shop/:appid/api/community/plans/:id/join',
    {
      schema: {
        tags,
        summary:
          '购买或续费付费会员（下单，随后微信支付）/ Buy or renew a membership (an order, then WeChat Pay)',
        params: IdParams,
        response: withErrors({ 201: OrderSchema }),
      },
    },
    async (request, reply) => {
      const order = await joinPlan(await requireFan(deps, request), request.params.id);
      deps.wakeJobs();
      return reply.status(201).send(order);
    },
  );
  app.post(
    '/shop/:appid/api/community/orders',
    {
      schema: {
        tags,
        summary: "会员价下单 / Order at the members' price",
        params: Params,
        body: MemberOrderBody,
        response: withErrors({ 201: OrderSchema }),
      },
    },
    async (request, reply) => {
      const order = await checkoutAsMember(await requireFan(deps, request), request.body);
      deps.wakeJobs();
      return reply.status(201).send(order);
    },
  );
  app.get(
    '/shop/:appid/api/community/board',
    {
      schema: {
        tags,
        summary: "会员社区 / The members' board",
        params: Params,
        response: withErrors({ 200: Type.Array(Thread) }),
      },
    },
    async (request) => {
      const ctx = await requireFan(deps, request);
      const { accountId, openid } = buyerOf(ctx);
      requireMember(await membershipOf(ctx, accountId, openid), ctx.now);
      return boardFor(ctx);
    },
  );
  app.post(
    '/shop/:appid/api/community/posts',
    {
      schema: {
        tags,
        summary: '发帖或回复 / Post or reply',
        params: Params,
        body: PostBody,
        response: withErrors({ 201: PostSchema }),
      },
    },
    async (request, reply) => {
      const post = await createPost(await requireFan(deps, request), request.body);
      return reply.status(201).send({ ...post, images: JSON.parse(post.images) as string[], pinned: false });
    },
  );
  app.post(
    '/shop/:appid/api/community/posts/:id/report',
    {
      schema: {
        tags,
        summary: '举报帖子 / Report a post',
        params: IdParams,
        body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: withErrors({ 200: Type.Object({ ok: Type.Boolean() }) }),
      },
    },
    async (request) => reportPost(await requireFan(deps, request), request.params.id, request.body.reason),
  );
}
