import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { badRequest } from '../../platform/http/errors.ts';
import type { LevelRule, LoyaltyProgramsTable, TopUpRule } from './loyalty.schema.ts';

export interface ProgramView {
  name: string;
  cover_url: string;
  color: string;
  terms: string;
  levels: LevelRule[];
  points_per_yuan: number;
  excluded_categories: string[];
  checkin_points: number;
  review_points: number;
  expiry_days: number;
  issue_on_first_order: boolean;
  topup_rules: TopUpRule[];
  status: 'active' | 'paused';
  notice_template_id: string;
  /** False until the merchant saves one: the defaults below are shown, nothing is issued. */
  configured: boolean;
}

const level = (key: string, name: string, over: Partial<LevelRule>): LevelRule => ({
  key,
  name,
  min_spend: 0,
  min_points: 0,
  earn_rate: 1,
  discount_pct: 0,
  free_shipping: false,
  birthday_gift: '',
  store_perks: {},
  ...over,
});

/** The program a merchant starts from: 普通 / 银卡 / 金卡 by lifetime spend. */
export const DEFAULT_LEVELS: LevelRule[] = [
  level('basic', '普通会员', {}),
  level('silver', '银卡会员', { min_spend: 100_000, earn_rate: 1.5, discount_pct: 2 }),
  level('gold', '金卡会员', {
    min_spend: 500_000,
    earn_rate: 2,
    discount_pct: 5,
    free_shipping: true,
    birthday_gift: '生日当月赠饮一杯',
  }),
];

function defaults(): ProgramView {
  return {
    name: '会员卡',
    cover_url: '',
    color: '#1f2937',
    terms: '',
    levels: DEFAULT_LEVELS,
    points_per_yuan: 100,
    excluded_categories: [],
    checkin_points: 5,
    review_points: 20,
    expiry_days: 365,
    issue_on_first_order: true,
    topup_rules: [{ amount: 50_000, bonus: 5_000 }],
    status: 'active',
    notice_template_id: '',
    configured: false,
  };
}

function toView(row: LoyaltyProgramsTable): ProgramView {
  return {
    name: row.name,
    cover_url: row.cover_url,
    color: row.color,
    terms: row.terms,
    levels: JSON.parse(row.levels) as LevelRule[],
    points_per_yuan: Number(row.points_per_yuan),
    excluded_categories: JSON.parse(row.excluded_categories) as string[],
    checkin_points: Number(row.checkin_points),
    review_points: Number(row.review_points),
    expiry_days: Number(row.expiry_days),
    issue_on_first_order: Number(row.issue_on_first_order) === 1,
    topup_rules: JSON.parse(row.topup_rules) as TopUpRule[],
    status: row.status,
    notice_template_id: row.notice_template_id ?? '',
    configured: true,
  };
}

export async function getProgram(ctx: Pick<Ctx, 'db' | 'merchantId'>): Promise<ProgramView> {
  const row = await ctx.db
    .selectFrom('loyalty_programs')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .executeTakeFirst();
  return row ? toView(row) : defaults();
}

export type ProgramInput = Omit<ProgramView, 'configured' | 'notice_template_id'> & {
  notice_template_id?: string;
};

function validate(input: ProgramInput): void {
  const { levels } = input;
  if (levels.length === 0 || levels.length > 10)
    throw badRequest('invalid_levels', '等级数需为 1–10 个', 'A program needs 1–10 levels');
  const keys = new Set(levels.map((l) => l.key));
  if (keys.size !== levels.length)
    throw badRequest('invalid_levels', '等级标识不能重复', 'Level keys must be unique');
  if (levels[0]?.min_spend !== 0 || levels[0]?.min_points !== 0)
    throw badRequest('invalid_levels', '第一个等级的门槛必须为 0', 'The first level must have no threshold');
  for (let i = 1; i < levels.length; i++) {
    const [prev, cur] = [levels[i - 1] as LevelRule, levels[i] as LevelRule];
    if (cur.min_spend < prev.min_spend || cur.min_points < prev.min_points)
      throw badRequest('invalid_levels', '等级门槛需逐级递增', 'Level thresholds must rise level by level');
  }
}

/** Saves the program (owner or operator). Cards keep their level until their next event. */
export async function saveProgram(ctx: Ctx, input: ProgramInput): Promise<ProgramView> {
  requireRole(ctx, 'operator');
  validate(input);
  const row: LoyaltyProgramsTable = {
    merchant_id: ctx.merchantId,
    name: input.name,
    cover_url: input.cover_url,
    color: input.color,
    terms: input.terms,
    levels: JSON.stringify(input.levels),
    points_per_yuan: input.points_per_yuan,
    excluded_categories: JSON.stringify(input.excluded_categories),
    checkin_points: input.checkin_points,
    review_points: input.review_points,
    expiry_days: input.expiry_days,
    issue_on_first_order: input.issue_on_first_order ? 1 : 0,
    topup_rules: JSON.stringify([...input.topup_rules].sort((a, b) => a.amount - b.amount)),
    status: input.status,
    updated_at: ctx.now,
    notice_template_id: input.notice_template_id ?? '',
  };
  const { merchant_id: _, ...changes } = row;
  await ctx.db
    .insertInto('loyalty_programs')
    .values(row)
    .onConflict((oc) => oc.column('merchant_id').doUpdateSet(changes))
    .execute();
  return getProgram(ctx);
}

/** The level a card deserves: the highest whose spend or points threshold it reaches. */
export function levelFor(
  levels: readonly LevelRule[],
  totalSpend: number,
  lifetimePoints: number,
): LevelRule {
  let reached = levels[0] as LevelRule;
  for (const l of levels) {
    const bySpend = l.min_spend > 0 && totalSpend >= l.min_spend;
    const byPoints = l.min_points > 0 && lifetimePoints >= l.min_points;
    if (l === levels[0] || bySpend || byPoints) reached = l;
  }
  return reached;
}

export const levelRule = (program: ProgramView, key: string): LevelRule =>
  program.levels.find((l) => l.key === key) ?? (program.levels[0] as LevelRule);
