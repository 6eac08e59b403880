import { Type } from '@fastify/type-provider-typebox';
import type { Api } from '../../deps.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { IdParams, Ok, withErrors } from '../../platform/http/schemas.ts';
import { deleteRule, listRules, saveRule } from './commission-rules.service.ts';
import { listCommissions, statement } from './commissions.service.ts';
import {
  Commission,
  Distributor,
  DistributorRow,
  Kind,
  Page,
  PageQuery,
  Rule,
  Settings,
  SettingsBody,
  Statement,
  Tree,
  Withdrawal,
  WithdrawalRow,
} from './distribution.schemas.ts';
import { distSettings, saveDistSettings } from './distribution.settings.ts';
import { distributorTree, listDistributors, listFlags } from './distributors.queries.ts';
import { becomeDistributor, moveDistributor, reviewDistributor } from './distributors.service.ts';
import { listWithdrawals, reviewWithdrawal } from './withdrawals.service.ts';

const tags = ['growth'];

/** Admin: distribution settings, distributors and their tree, rules, commissions, withdrawals. */
export function distributionAdminRoutes(app: Api): void {
  app.get(
    '/growth/distribution/settings',
    {
      schema: { tags, summary: '分销设置 / Distribution settings', response: withErrors({ 200: Settings }) },
    },
    async (request) => {
      requireRole(request.ctx, 'operator');
      return distSettings(request.ctx);
    },
  );
  app.put(
    '/growth/distribution/settings',
    { schema: { tags, body: SettingsBody, response: withErrors({ 200: Settings }) } },
    async (request) => saveDistSettings(request.ctx, request.body),
  );
  app.get(
    '/growth/distributors',
    {
      schema: {
        tags,
        summary: '分销员 / Distributors',
        querystring: Type.Object({
          ...PageQuery,
          status: Type.Optional(
            Type.Union(['pending', 'active', 'rejected', 'suspended'].map((s) => Type.Literal(s))),
          ),
          flagged: Type.Optional(Type.Boolean()),
        }),
        response: withErrors({ 200: Page(DistributorRow) }),
      },
    },
    async (request) => listDistributors(request.ctx, request.query),
  );
  app.post(
    '/growth/distributors',
    {
      schema: {
        tags,
        summary: '直接添加分销员 / Add a distributor',
        body: Type.Object({
          account_id: Type.String({ maxLength: 64 }),
          openid: Type.String({ minLength: 1, maxLength: 64 }),
        }),
        response: withErrors({ 201: Distributor }),
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(
          await becomeDistributor(
            request.ctx,
            { accountId: request.body.account_id, openid: request.body.openid },
            'admin',
          ),
        ),
  );
  app.get(
    '/growth/distributors/tree',
    { schema: { tags, summary: '分销关系树 / The tree', response: withErrors({ 200: Tree }) } },
    async (request) => distributorTree(request.ctx),
  );
  app.get(
    '/growth/distributors/:id/statement',
    {
      schema: {
        tags,
        summary: '对账单 / Statement',
        params: IdParams,
        response: withErrors({ 200: Statement }),
      },
    },
    async (request) => {
      requireRole(request.ctx, 'operator');
      return statement(request.ctx, request.params.id);
    },
  );
  app.post(
    '/growth/distributors/:id/review',
    {
      schema: {
        tags,
        summary: '审核 / 停用 / 恢复 — Approve, reject, suspend, restore (owner)',
        params: IdParams,
        body: Type.Object({
          decision: Type.Union(['approve', 'reject', 'suspend', 'restore'].map((d) => Type.Literal(d))),
        }),
        response: withErrors({ 200: Distributor }),
      },
    },
    async (request) => reviewDistributor(request.ctx, request.params.id, request.body.decision as 'approve'),
  );
  app.put(
    '/growth/distributors/:id/parent',
    {
      schema: {
        tags,
        summary: '调整上级（拒绝成环）/ Move under another (cycles refused)',
        params: IdParams,
        body: Type.Object({ parent_id: Type.Union([Type.String({ maxLength: 64 }), Type.Null()]) }),
        response: withErrors({ 200: Distributor }),
      },
    },
    async (request) => moveDistributor(request.ctx, request.params.id, request.body.parent_id),
  );
  app.get(
    '/growth/distribution/flags',
    {
      schema: {
        tags,
        summary: '异常提醒 / Suspicious patterns',
        response: withErrors({
          200: Type.Array(
            Type.Object({
              id: Type.String(),
              distributor_id: Type.String(),
              kind: Type.String(),
              detail: Type.String(),
              created_at: Type.Integer(),
            }),
          ),
        }),
      },
    },
    async (request) => listFlags(request.ctx),
  );
  app.get(
    '/growth/distribution/rules',
    {
      schema: {
        tags,
        summary: '佣金规则 / Commission rules',
        response: withErrors({ 200: Type.Array(Rule) }),
      },
    },
    async (request) => listRules(request.ctx),
  );
  app.post(
    '/growth/distribution/rules',
    {
      schema: {
        tags,
        body: Type.Object({
          scope: Type.Union([Type.Literal('product'), Type.Literal('category')]),
          ref: Type.String({ minLength: 1, maxLength: 64 }),
          kind: Kind,
          level1: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
          level2: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
        }),
        response: withErrors({ 201: Rule }),
      },
    },
    async (request, reply) => reply.status(201).send(await saveRule(request.ctx, request.body)),
  );
  app.delete(
    '/growth/distribution/rules/:id',
    { schema: { tags, params: IdParams, response: withErrors({ 200: Ok }) } },
    async (request) => {
      await deleteRule(request.ctx, request.params.id);
      return { ok: true };
    },
  );
  app.get(
    '/growth/commissions',
    {
      schema: {
        tags,
        summary: '佣金明细 / Commissions',
        querystring: Type.Object({
          ...PageQuery,
          distributor_id: Type.Optional(Type.String({ maxLength: 64 })),
          status: Type.Optional(Type.Union(['pending', 'settled', 'reversed'].map((s) => Type.Literal(s)))),
        }),
        response: withErrors({ 200: Page(Commission) }),
      },
    },
    async (request) => {
      requireRole(request.ctx, 'operator');
      return listCommissions(request.ctx, request.query);
    },
  );
  app.get(
    '/growth/withdrawals',
    {
      schema: {
        tags,
        summary: '提现申请 / Withdrawals',
        querystring: Type.Object({
          ...PageQuery,
          distributor_id: Type.Optional(Type.String({ maxLength: 64 })),
          status: Type.Optional(
            Type.Union(['requested', 'paying', 'paid', 'rejected', 'failed'].map((s) => Type.Literal(s))),
          ),
        }),
        response: withErrors({ 200: Page(WithdrawalRow) }),
      },
    },
    async (request) => listWithdrawals(request.ctx, request.query),
  );
  app.post(
    '/growth/withdrawals/:id/review',
    {
      schema: {
        tags,
        summary: '审核提现（店主）/ Approve or reject a withdrawal (owner)',
        params: IdParams,
        body: Type.Object({
          approve: Type.Boolean(),
          reason: Type.Optional(Type.String({ maxLength: 200 })),
        }),
        response: withErrors({ 200: Withdrawal }),
      },
    },
    async (request) => reviewWithdrawal(request.ctx, request.params.id, request.body),
  );
}
