import { Type } from '@fastify/type-provider-typebox';
import type { Api } from '../../deps.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { withErrors } from '../../platform/http/schemas.ts';
import { pullWechatUsersNow } from './datacube.service.ts';
import { followerReport } from './followers.service.ts';
import { oneAtATime } from './one-at-a-time.ts';
import { rebuildRollups } from './rollups.service.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);
/** 2100-01-01: past it a time has no calendar day to report on (Date stops at ±8.64e15). */
export const LATEST_MS = 4_102_444_800_000;
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'a local day, 2026-11-25' });

const FollowerReport = Type.Object({
  timezone: Type.String(),
  granularity: Type.Union([Type.Literal('day'), Type.Literal('week')]),
  from_day: Type.String(),
  to_day: Type.String(),
  summary: Type.Object({
    new: Type.Integer(),
    lost: Type.Integer(),
    net: Type.Integer(),
    start: Type.Integer({ description: 'followers at the start of the range' }),
    end: Type.Integer({ description: 'followers at the end of the range' }),
    compound_growth: Nullable(Type.Number({ description: 'end ÷ start − 1' })),
    compound_daily_rate: Nullable(Type.Number({ description: '(end ÷ start)^(1/days) − 1' })),
    target: Type.Number({ description: 'the seeds’ yardstick for a promotion (0.2)' }),
  }),
  series: Type.Array(
    Type.Object({
      period: Type.String(),
      new: Type.Integer(),
      lost: Type.Integer(),
      net: Type.Integer(),
      cumulative: Type.Integer(),
      growth: Nullable(Type.Number()),
    }),
  ),
  by_qrcode: Type.Array(
    Type.Object({
      qrcode_id: Nullable(Type.String()),
      name: Nullable(Type.String()),
      new: Type.Integer(),
      lost: Type.Integer(),
      net: Type.Integer(),
    }),
  ),
  wechat: Type.Array(
    Type.Object({
      period: Type.String(),
      new_user: Nullable(Type.Integer()),
      cancel_user: Nullable(Type.Integer()),
      net: Nullable(Type.Integer()),
      cumulate_user: Nullable(Type.Integer()),
    }),
  ),
});

export function followerRoutes(app: Api): void {
  app.get(
    '/analytics/followers',
    {
      schema: {
        tags: ['analytics'],
        summary: '粉丝增长：新增、取关、净增、累计、复合增长、渠道二维码 / Follower growth',
        querystring: Type.Object({
          from: Type.Integer({ minimum: 0, maximum: LATEST_MS, description: 'epoch ms' }),
          to: Type.Integer({ minimum: 0, maximum: LATEST_MS, description: 'epoch ms (exclusive)' }),
          account_id: Type.Optional(Type.String({ maxLength: 64 })),
          granularity: Type.Optional(Type.Union([Type.Literal('day'), Type.Literal('week')])),
        }),
        response: withErrors({ 200: FollowerReport }),
      },
    },
    (request) => followerReport(request.ctx, request.query),
  );
  app.post(
    '/analytics/rollups/rebuild',
    {
      schema: {
        tags: ['analytics'],
        summary: '按日期重建粉丝与消息日汇总 / Rebuild the daily rollups for a range of local days',
        body: Type.Object({ from: Day, to: Day }, { additionalProperties: false }),
        response: withErrors({
          200: Type.Object({
            from: Type.String(),
            to: Type.String(),
            days: Type.Integer(),
            log_rows: Type.Integer(),
          }),
        }),
      },
    },
    (request) => {
      requireRole(request.ctx, 'operator');
      return oneAtATime(request.ctx, 'rebuild', () => rebuildRollups(request.ctx, request.body));
    },
  );
  app.post(
    '/analytics/wechat-users/pull',
    {
      schema: {
        tags: ['analytics'],
        summary: '从微信拉取用户分析（getusersummary / getusercumulate）/ Pull WeChat’s follower figures',
        body: Type.Object(
          {
            account_id: Type.Optional(Type.String({ maxLength: 64 })),
            from: Type.Optional(Day),
            to: Type.Optional(Day),
          },
          { additionalProperties: false },
        ),
        response: withErrors({
          200: Type.Object({
            from: Type.String(),
            to: Type.String(),
            accounts: Type.Array(Type.Object({ account_id: Type.String(), days: Type.Integer() })),
          }),
        }),
      },
    },
    (request) => pullWechatUsersNow(request.ctx, request.body ?? {}),
  );
}
