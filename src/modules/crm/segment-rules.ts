import { type Expression, type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Ctx } from '../../context.ts';
import type { DialectName } from '../../platform/db/database.ts';
import { badRequest } from '../../platform/http/errors.ts';
import { DEFAULT_RFM, type RfmBands, rfmBands, rfmCondition } from './rfm.service.ts';

/**
 * A segment is a tree of AND/OR groups over conditions on members' fields, merchant-defined
 * attributes, tags and behaviour. It compiles to one SQL condition on `crm_members`, so counting
 * and paging run in the database over indexes, never in memory.
 */
export type Comparison = 'eq' | 'neq' | 'contains' | 'gt' | 'gte' | 'lt' | 'lte' | 'set' | 'unset';

export const MEMBER_FIELDS = [
  'name',
  'phone',
  'region',
  'gender',
  'birthday',
  'source_account_id',
  'order_count',
  'spend',
  'last_order_at',
  'first_contact_at',
  'last_contact_at',
] as const;
export type MemberField = (typeof MEMBER_FIELDS)[number];

export type Condition =
  | { type: 'field'; field: MemberField; op: Comparison; value?: string | number }
  | { type: 'attr'; key: string; op: Comparison; value?: string | number | boolean }
  | { type: 'tag'; tag_id: string; negate?: boolean }
  | { type: 'bought_category'; category: string; days: number }
  | { type: 'spent'; min_fen: number; days: number }
  | { type: 'talked'; hours: number }
  | { type: 'silent'; days: number }
  | { type: 'source_qr'; qrcode_id: string }
  /** RFM band: the member's recency / frequency / monetary score (1–5) between min and max. */
  | { type: 'rfm'; dimension: 'r' | 'f' | 'm'; min?: number; max?: number };

export interface RuleGroup {
  op: 'and' | 'or';
  rules: Array<Condition | RuleGroup>;
}

const DAY = 86_400_000;
const MAX_CONDITIONS = 50;
const MAX_DEPTH = 4;

const invalid = (why: string) =>
  badRequest('invalid_segment', `分群条件不合法：${why}`, `Invalid segment rule: ${why}`);

function compare(left: RawBuilder<unknown>, op: Comparison, value: unknown): RawBuilder<SqlBool> {
  switch (op) {
    case 'set':
      return sql<SqlBool>`${left} is not null`;
    case 'unset':
      return sql<SqlBool>`${left} is null`;
    case 'contains':
      return sql<SqlBool>`${left} like ${`%${String(value).replace(/[%_\\]/g, '')}%`}`;
  }
  if (value === undefined || value === null || value === '') throw invalid(`${op} needs a value`);
  if (typeof value !== 'string' && typeof value !== 'number') throw invalid('value');
  const operators = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;
  return sql<SqlBool>`${left} ${sql.raw(operators[op])} ${value}`;
}

function attrRef(dialect: DialectName, key: string, numeric: boolean): RawBuilder<unknown> {
  if (!/^[a-z][a-z0-9_]{0,31}$/.test(key)) throw invalid(`attribute ${key}`);
  if (dialect === 'postgres') {
    const text = sql`(crm_members.attrs::jsonb ->> ${key})`;
    return numeric ? sql`cast(${text} as numeric)` : text;
  }
  // SQLite's json_extract keeps JSON numbers numeric and strings textual.
  return sql`json_extract(crm_members.attrs, ${`$.${key}`})`;
}

const finite = (n: unknown, what: string): number => {
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw invalid(`${what} must be a number ≥ 0`);
  return n;
};
const text = (s: unknown, what: string): string => {
  if (typeof s !== 'string' || s.length === 0 || s.length > 200) throw invalid(`${what} must be text`);
  return s;
};

/** Behaviour checked by a subquery per member when a selective sibling narrows the group. */
const PER_MEMBER = new Set<unknown>(['spent']);

/** Conditions that by themselves keep few members: behaviour beside them is checked per member. */
function selective(rule: Condition | RuleGroup): boolean {
  if (!rule || typeof rule !== 'object' || 'rules' in rule) return false;
  if (rule.type === 'tag') return !rule.negate;
  if (rule.type === 'source_qr') return true;
  return (rule.type === 'field' || rule.type === 'attr') && rule.op === 'eq';
}

function condition(
  dialect: DialectName,
  c: Condition,
  now: number,
  merchantId: string,
  narrowed: boolean,
  rfm: RfmBands,
): RawBuilder<SqlBool> {
  if (typeof c !== 'object' || c === null) throw invalid('condition');
  switch (c.type) {
    case 'field':
      if (!['eq', 'neq', 'contains', 'gt', 'gte', 'lt', 'lte', 'set', 'unset'].includes(c.op))
        throw invalid('op');
      if (!MEMBER_FIELDS.includes(c.field)) throw invalid(`field ${String(c.field)}`);
      return compare(sql.ref(`crm_members.${c.field}`), c.op, c.value);
    case 'attr': {
      if (!['eq', 'neq', 'contains', 'gt', 'gte', 'lt', 'lte', 'set', 'unset'].includes(c.op))
        throw invalid('op');
      if (c.value !== undefined && !['string', 'number', 'boolean'].includes(typeof c.value))
        throw invalid('value');
      const value = typeof c.value === 'boolean' && dialect === 'postgres' ? String(c.value) : c.value;
      const numeric = typeof c.value === 'number';
      return compare(
        attrRef(dialect, c.key, numeric),
        c.op,
        typeof value === 'boolean' ? (value ? 1 : 0) : value,
      );
    }
    case 'tag': {
      text(c.tag_id, 'tag_id');
      // As an IN list the tag's members (one index range) can drive the query.
      const members = sql`(select mt.member_id from crm_member_tags mt where mt.tag_id = ${c.tag_id})`;
      return c.negate
        ? sql<SqlBool>`crm_members.id not in ${members}`
        : sql<SqlBool>`crm_members.id in ${members}`;
    }
    case 'bought_category':
      finite(c.days, 'days');
      text(c.category, 'category');
      return sql<SqlBool>`exists (select 1 from crm_member_orders o where o.member_id = crm_members.id and o.paid_at >= ${now - c.days * DAY} and o.categories like ${`%|${c.category.replace(/[%_|\\]/g, '')}|%`})`;
    case 'spent':
      finite(c.days, 'days');
      finite(c.min_fen, 'min_fen');
      // Beside a selective sibling (a tag, an exact field) only a few members remain: sum each
      // one's recent orders through the member index. Alone, one pass over the covering
      // (merchant, paid_at, member, total, refunded) index beats a lookup per member.
      if (narrowed)
        return sql<SqlBool>`(select coalesce(sum(o.total - o.refunded), 0) from crm_member_orders o where o.member_id = crm_members.id and o.paid_at >= ${now - c.days * DAY}) >= ${c.min_fen}`;
      return sql<SqlBool>`crm_members.id in (select o.member_id from crm_member_orders o where o.merchant_id = ${merchantId} and o.paid_at >= ${now - c.days * DAY} group by o.member_id having sum(o.total - o.refunded) >= ${c.min_fen})`;
    case 'talked':
      finite(c.hours, 'hours');
      return sql<SqlBool>`crm_members.last_contact_at >= ${now - c.hours * 3_600_000}`;
    case 'silent':
      finite(c.days, 'days');
      return sql<SqlBool>`(crm_members.last_contact_at is null or crm_members.last_contact_at < ${now - c.days * DAY})`;
    case 'source_qr':
      text(c.qrcode_id, 'qrcode_id');
      return sql<SqlBool>`crm_members.source_qrcode_id = ${c.qrcode_id}`;
    case 'rfm': {
      if (!['r', 'f', 'm'].includes(c.dimension)) throw invalid(`rfm dimension ${String(c.dimension)}`);
      const min = c.min ?? 1;
      const max = c.max ?? 5;
      if (![min, max].every((n) => Number.isInteger(n) && n >= 1 && n <= 5) || min > max)
        throw invalid('rfm scores are 1–5 with min ≤ max');
      return rfmCondition(rfm, c.dimension, min, max, now);
    }
    default:
      throw invalid(`type ${(c as { type: string }).type}`);
  }
}

/** Compiles a rule tree; an empty group matches everyone. */
export function compileRules(
  dialect: DialectName,
  group: RuleGroup,
  now: number,
  merchantId: string,
  rfm: RfmBands = DEFAULT_RFM,
): Expression<SqlBool> {
  let conditions = 0;
  const walk = (g: RuleGroup, depth: number): RawBuilder<SqlBool> => {
    if (depth > MAX_DEPTH) throw invalid('groups nested too deep');
    if (typeof g !== 'object' || g === null || !Array.isArray(g.rules)) throw invalid('group');
    if (g.op !== 'and' && g.op !== 'or') throw invalid(`operator ${String(g.op)}`);
    const narrowed = g.op === 'and' && g.rules.some(selective);
    const cheap: RawBuilder<SqlBool>[] = [];
    const perMember: RawBuilder<SqlBool>[] = [];
    for (const rule of g.rules) {
      if (rule && typeof rule === 'object' && 'rules' in rule) {
        cheap.push(walk(rule, depth + 1));
        continue;
      }
      conditions += 1;
      if (conditions > MAX_CONDITIONS) throw invalid('too many conditions');
      const compiled = condition(dialect, rule, now, merchantId, narrowed, rfm);
      (narrowed && PER_MEMBER.has(rule?.type) ? perMember : cheap).push(compiled);
    }
    if (cheap.length + perMember.length === 0) return sql<SqlBool>`1 = 1`;
    if (g.op === 'or') return sql<SqlBool>`(${sql.join(cheap, sql.raw(' or '))})`;
    if (dialect === 'postgres' && perMember.length > 0 && cheap.length > 0) {
      // PostgreSQL evaluates a per-member subquery as soon as the scan has the member, before
      // joining the tag's list: at a million members that was a subquery (and an index probe) per
      // member of the region, most of them then dropped by the tag. Behind the fence (OFFSET 0)
      // the cheap conditions meet first, as two ordered index-only scans merged, and the orders
      // are summed only for the few left. (SQLite already runs the IN list first.)
      // The sums run inside too, on the fenced ids (the derived table is named crm_members, so
      // the per-member conditions read its id): the outer query then fetches only the members
      // that match, not every member the cheap conditions left.
      const few = sql`select crm_members.id from crm_members where crm_members.merchant_id = ${merchantId} and crm_members.merged_into is null and ${sql.join(cheap, sql.raw(' and '))} offset 0`;
      return sql<SqlBool>`crm_members.id in (select crm_members.id from (${few}) as crm_members where ${sql.join(perMember, sql.raw(' and '))})`;
    }
    return sql<SqlBool>`(${sql.join([...cheap, ...perMember], sql.raw(' and '))})`;
  };
  return walk(group, 1);
}

/** Whether a rule tree has a condition of this type anywhere (e.g. to load RFM bands only when used). */
export function usesCondition(group: RuleGroup, type: Condition['type']): boolean {
  if (!group || typeof group !== 'object' || !Array.isArray(group.rules)) return false;
  return group.rules.some((rule) =>
    rule && typeof rule === 'object' && 'rules' in rule ? usesCondition(rule, type) : rule?.type === type,
  );
}

/** Conditions whose answer changes with the clock alone (a re-check is due even without an event). */
export function usesTime(group: RuleGroup): boolean {
  return (['bought_category', 'spent', 'talked', 'silent', 'rfm'] as const).some((t) =>
    usesCondition(group, t),
  );
}

/** Tags the tree names (an auto-tag segment may not depend on its own tag). */
export function tagsNamed(group: RuleGroup): string[] {
  if (!group || typeof group !== 'object' || !Array.isArray(group.rules)) return [];
  return group.rules.flatMap((rule) =>
    rule && typeof rule === 'object' && 'rules' in rule
      ? tagsNamed(rule)
      : rule?.type === 'tag'
        ? [rule.tag_id]
        : [],
  );
}

/** The rule tree as one SQL condition; RFM bands are read only when the tree uses them. */
export async function ruleFilter(ctx: Pick<Ctx, 'db' | 'dialect' | 'merchantId' | 'now'>, rules: RuleGroup) {
  const bands = usesCondition(rules, 'rfm') ? await rfmBands(ctx) : undefined;
  return compileRules(ctx.dialect, rules, ctx.now, ctx.merchantId, bands);
}
