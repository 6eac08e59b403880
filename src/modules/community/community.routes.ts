import { Type } from '@fastify/type-provider-typebox';
import type { Api } from '../../deps.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { IdParams, Ok, withErrors } from '../../platform/http/schemas.ts';
import {
  createArticle,
  createListReply,
  deleteArticle,
  deleteListReply,
  getArticle,
  listArticles,
  listListReplies,
  updateArticle,
} from './articles.service.ts';
import {
  banAuthor,
  boardStats,
  getSettings,
  liftBan,
  listBans,
  listPosts,
  moderatePost,
  moderationQueue,
  saveSettings,
} from './board.service.ts';
import {
  ArticleBody,
  ArticleSchema,
  ArticleSummary,
  BanSchema,
  ListReplyBody,
  ListReplySchema,
  MembershipSchema,
  PlanBody,
  PlanSchema,
  PostSchema,
  SalesSchema,
  SettingsSchema,
} from './community.schemas.ts';
import { listMemberships, planSales } from './membership.service.ts';
import { createPlan, listPlans, planRow, planView, updatePlan } from './plans.service.ts';

const tags = ['community'];

/** Admin: articles and their chat replies, membership plans and sales, board moderation. */
export function communityAdminRoutes(app: Api): void {
  app.get(
    '/community/articles',
    {
      schema: {
        tags,
        summary: '文章列表 / Articles',
        response: withErrors({ 200: Type.Array(ArticleSummary) }),
      },
    },
    async (request) => listArticles(request.ctx),
  );
  app.post(
    '/community/articles',
    {
      schema: {
        tags,
        summary: '新建文章（正文按白名单清洗）/ Create an article (body sanitised)',
        body: ArticleBody,
        response: withErrors({ 201: ArticleSchema }),
      },
    },
    async (request, reply) => reply.status(201).send(await createArticle(request.ctx, request.body)),
  );
  app.get(
    '/community/articles/:id',
    {
      schema: {
        tags,
        summary: '文章 / An article',
        params: IdParams,
        response: withErrors({ 200: ArticleSchema }),
      },
    },
    async (request) => getArticle(request.ctx, request.params.id),
  );
  app.put(
    '/community/articles/:id',
    {
      schema: {
        tags,
        summary: '保存文章 / Save an article',
        params: IdParams,
        body: ArticleBody,
        response: withErrors({ 200: ArticleSchema }),
      },
    },
    async (request) => updateArticle(request.ctx, request.params.id, request.body),
  );
  app.delete(
    '/community/articles/:id',
    {
      schema: {
        tags,
        summary: '删除文章 / Delete an article',
        params: IdParams,
        response: withErrors({ 200: Ok }),
      },
    },
    async (request) => {
      await deleteArticle(request.ctx, request.params.id);
      return { ok: true };
    },
  );
  app.get(
    '/community/list-replies',
    {
      schema: {
        tags,
        summary: '菜单文章列表 / Menu clicks that answer with an article list',
        response: withErrors({ 200: Type.Array(ListReplySchema) }),
      },
    },
    async (request) => listListReplies(request.ctx),
  );
  app.post(
    '/community/list-replies',
    {
      schema: {
        tags,
        summary: '菜单点击回复文章列表 / A menu click answers with an article list',
        body: ListReplyBody,
        response: withErrors({ 201: ListReplySchema }),
      },
    },
    async (request, reply) => reply.status(201).send(await createListReply(request.ctx, request.body)),
  );
  app.delete(
    '/community/list-replies/:id',
    { schema: { tags, summary: '删除 / Delete', params: IdParams, response: withErrors({ 200: Ok }) } },
    async (request) => {
      await deleteListReply(request.ctx, request.params.id);
      return { ok: true };
    },
  );

  app.get(
    '/community/plans',
    {
      schema: {
        tags,
        summary: '付费会员方案 / Membership plans',
        response: withErrors({ 200: Type.Array(PlanSchema) }),
      },
    },
    async (request) => listPlans(request.ctx),
  );
  app.post(
    '/community/plans',
    {
      schema: {
        tags,
        summary: '新建付费会员方案 / Create a membership plan',
        body: PlanBody,
        response: withErrors({ 201: PlanSchema }),
      },
    },
    async (request, reply) => reply.status(201).send(await createPlan(request.ctx, request.body)),
  );
  app.get(
    '/community/plans/:id',
    {
      schema: {
        tags,
        summary: '会员方案 / A plan',
        params: IdParams,
        response: withErrors({ 200: PlanSchema }),
      },
    },
    async (request) => {
      requireRole(request.ctx, 'operator', 'agent');
      return planView(request.ctx, await planRow(request.ctx, request.params.id));
    },
  );
  app.put(
    '/community/plans/:id',
    {
      schema: {
        tags,
        summary: '保存会员方案 / Save a plan',
        params: IdParams,
        body: PlanBody,
        response: withErrors({ 200: PlanSchema }),
      },
    },
    async (request) => updatePlan(request.ctx, request.params.id, request.body),
  );
  app.get(
    '/community/plans/:id/sales',
    {
      schema: {
        tags,
        summary: '会员销售 / Plan sales',
        params: IdParams,
        response: withErrors({ 200: SalesSchema }),
      },
    },
    async (request) => planSales(request.ctx, request.params.id),
  );
  app.get(
    '/community/memberships',
    {
      schema: {
        tags,
        summary: '付费会员 / Paid members',
        querystring: Type.Object({
          plan_id: Type.Optional(Type.String({ maxLength: 64 })),
          status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('ended')])),
        }),
        response: withErrors({ 200: Type.Array(MembershipSchema) }),
      },
    },
    async (request) => listMemberships(request.ctx, request.query),
  );

  app.get(
    '/community/posts',
    {
      schema: {
        tags,
        summary: '社区帖子 / Board posts',
        querystring: Type.Object({
          status: Type.Optional(Type.Union([Type.Literal('visible'), Type.Literal('hidden')])),
          reported: Type.Optional(Type.Boolean()),
          cursor: Type.Optional(Type.String({ maxLength: 64 })),
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
        }),
        response: withErrors({
          200: Type.Object({
            items: Type.Array(PostSchema),
            next_cursor: Type.Union([Type.String(), Type.Null()]),
          }),
        }),
      },
    },
    async (request) => listPosts(request.ctx, request.query),
  );
  app.get(
    '/community/moderation',
    {
      schema: {
        tags,
        summary: '待审核（被举报的帖子）/ Moderation queue (reported posts)',
        response: withErrors({
          200: Type.Array(
            Type.Object({
              post: PostSchema,
              reports: Type.Array(
                Type.Object({
                  id: Type.String(),
                  post_id: Type.String(),
                  reason: Type.String(),
                  openid: Type.String(),
                  created_at: Type.Integer(),
                }),
              ),
            }),
          ),
        }),
      },
    },
    async (request) => moderationQueue(request.ctx),
  );
  app.get(
    '/community/stats',
    {
      schema: {
        tags,
        summary: '社区概况 / Board counts',
        response: withErrors({ 200: Type.Object({ posts: Type.Integer(), hidden: Type.Integer() }) }),
      },
    },
    async (request) => boardStats(request.ctx),
  );
  app.patch(
    '/community/posts/:id',
    {
      schema: {
        tags,
        summary: '置顶或隐藏帖子 / Pin or hide a post',
        params: IdParams,
        body: Type.Object({ pinned: Type.Optional(Type.Boolean()), hidden: Type.Optional(Type.Boolean()) }),
        response: withErrors({ 200: PostSchema }),
      },
    },
    async (request) => moderatePost(request.ctx, request.params.id, request.body),
  );
  app.post(
    '/community/posts/:id/ban',
    {
      schema: {
        tags,
        summary: "禁言作者 / Ban the post's author",
        params: IdParams,
        body: Type.Object({
          reason: Type.String({ minLength: 1, maxLength: 200 }),
          days: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 3650 }), Type.Null()])),
        }),
        response: withErrors({ 200: BanSchema }),
      },
    },
    async (request) => banAuthor(request.ctx, request.params.id, request.body),
  );
  app.get(
    '/community/bans',
    { schema: { tags, summary: '禁言名单 / Bans', response: withErrors({ 200: Type.Array(BanSchema) }) } },
    async (request) => listBans(request.ctx),
  );
  app.delete(
    '/community/bans/:id',
    {
      schema: { tags, summary: '解除禁言 / Lift a ban', params: IdParams, response: withErrors({ 200: Ok }) },
    },
    async (request) => {
      await liftBan(request.ctx, request.params.id);
      return { ok: true };
    },
  );
  app.get(
    '/community/settings',
    { schema: { tags, summary: '社区设置 / Board settings', response: withErrors({ 200: SettingsSchema }) } },
    async (request) => {
      requireRole(request.ctx, 'operator', 'agent');
      return getSettings(request.ctx);
    },
  );
  app.put(
    '/community/settings',
    {
      schema: {
        tags,
        summary: '敏感词与发帖频率 / Sensitive words and post rate',
        body: SettingsSchema,
        response: withErrors({ 200: SettingsSchema }),
      },
    },
    async (request) => saveSettings(request.ctx, request.body),
  );
}
