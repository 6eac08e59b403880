import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { expiringMap } from '../../platform/cache/cache.ts';
import { badRequest, notFound } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { PassiveReply } from '../../wechat/messages.ts';
import { getAccount } from '../accounts/index.ts';
import type { MatchType, ReplyRulesTable, RuleKind } from './channel.schema.ts';
import { compileRules, isSafeRegex, normalize, type RuleMatcher } from './rule-matcher.ts';

export interface RuleInput {
  account_id: string;
  kind: RuleKind;
  match_type?: MatchType | null;
  keyword?: string | null;
  priority?: number;
  reply: PassiveReply;
  tag_fan?: string | null;
  enabled?: boolean;
  starts_at?: number | null;
  ends_at?: number | null;
}

export type RuleView = Omit<ReplyRulesTable, 'reply' | 'enabled'> & { reply: PassiveReply; enabled: boolean };

const NOT_FOUND = { zh: '回复规则', en: 'Reply rule' };
const TEXT_LIMIT_BYTES = 2048;

export function ruleView(row: ReplyRulesTable): RuleView {
  return { ...row, reply: JSON.parse(row.reply) as PassiveReply, enabled: row.enabled === 1 };
}

function validateRule(input: RuleInput): void {
  if (input.kind === 'keyword' || input.kind === 'click') {
    if (!input.keyword?.trim()) throw badRequest('keyword_required', '请填写关键词', 'A keyword is required');
  }
  if (input.kind === 'keyword' && input.match_type === 'regex' && !isSafeRegex(input.keyword ?? '')) {
    throw badRequest(
      'invalid_regex',
      '正则表达式无效或过于复杂',
      'The regular expression is invalid or too complex',
    );
  }
  if (input.reply.type === 'text' && Buffer.byteLength(input.reply.content) > TEXT_LIMIT_BYTES) {
    throw badRequest('reply_too_long', '文本回复不能超过 2048 字节', 'A text reply is limited to 2048 bytes');
  }
  if (input.reply.type === 'news' && input.reply.articles.length !== 1) {
    throw badRequest(
      'one_article',
      '被动回复的图文消息只能包含 1 篇文章',
      'A passive news reply holds exactly one article',
    );
  }
  if (input.starts_at && input.ends_at && input.ends_at <= input.starts_at) {
    throw badRequest('invalid_window', '结束时间必须晚于开始时间', 'The window must end after it starts');
  }
}

export async function createRule(ctx: Ctx, input: RuleInput): Promise<RuleView> {
  requireRole(ctx, 'operator');
  await getAccount(ctx, input.account_id);
  validateRule(input);
  const row: ReplyRulesTable = {
    id: newId('rule', ctx.now),
    merchant_id: ctx.merchantId,
    account_id: input.account_id,
    kind: input.kind,
    match_type: input.kind === 'keyword' ? (input.match_type ?? 'exact') : null,
    keyword: input.kind === 'keyword' || input.kind === 'click' ? (input.keyword ?? '').trim() : null,
    priority: input.priority ?? 0,
    reply: JSON.stringify(input.reply),
    tag_fan: input.tag_fan?.trim() || null,
    enabled: input.enabled === false ? 0 : 1,
    starts_at: input.starts_at ?? null,
    ends_at: input.ends_at ?? null,
    created_at: ctx.now,
    updated_at: ctx.now,
  };
  await ctx.db.insertInto('reply_rules').values(row).execute();
  forgetMatcher(ctx, row.account_id);
  return ruleView(row);
}

/** The default reply and the welcome are one per account: setting one replaces the other. */
export async function setSingletonRule(
  ctx: Ctx,
  input: RuleInput & { kind: 'default' | 'welcome' },
): Promise<RuleView> {
  requireRole(ctx, 'operator');
  await getAccount(ctx, input.account_id);
  await ctx.db
    .deleteFrom('reply_rules')
    .where('merchant_id', '=', ctx.merchantId)
    .where('account_id', '=', input.account_id)
    .where('kind', '=', input.kind)
    .execute();
  return createRule(ctx, input);
}

export async function listRules(
  ctx: Ctx,
  filter: { account_id?: string; kind?: RuleKind },
): Promise<RuleView[]> {
  let query = ctx.db.selectFrom('reply_rules').selectAll().where('merchant_id', '=', ctx.merchantId);
  if (filter.account_id) query = query.where('account_id', '=', filter.account_id);
  if (filter.kind) query = query.where('kind', '=', filter.kind);
  const rows = await query.orderBy('priority', 'desc').orderBy('created_at').limit(5000).execute();
  return rows.map(ruleView);
}

async function getRuleRow(ctx: Ctx, id: string): Promise<ReplyRulesTable> {
  const row = await ctx.db
    .selectFrom('reply_rules')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound(NOT_FOUND);
  return row;
}

export async function getRule(ctx: Ctx, id: string): Promise<RuleView> {
  return ruleView(await getRuleRow(ctx, id));
}

export async function updateRule(
  ctx: Ctx,
  id: string,
  patch: Partial<Omit<RuleInput, 'account_id' | 'kind'>>,
): Promise<RuleView> {
  requireRole(ctx, 'operator');
  const current = ruleView(await getRuleRow(ctx, id));
  const next: RuleInput = { ...current, ...patch };
  validateRule(next);
  await ctx.db
    .updateTable('reply_rules')
    .set({
      match_type: current.kind === 'keyword' ? (next.match_type ?? 'exact') : null,
      keyword: next.keyword?.trim() ?? null,
      priority: next.priority ?? 0,
      reply: JSON.stringify(next.reply),
      tag_fan: next.tag_fan?.trim() || null,
      enabled: next.enabled === false ? 0 : 1,
      starts_at: next.starts_at ?? null,
      ends_at: next.ends_at ?? null,
      updated_at: ctx.now,
    })
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .execute();
  forgetMatcher(ctx, current.account_id);
  return getRule(ctx, id);
}

export async function deleteRule(ctx: Ctx, id: string): Promise<void> {
  requireRole(ctx, 'operator');
  const row = await getRuleRow(ctx, id);
  await ctx.db
    .deleteFrom('reply_rules')
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .execute();
  forgetMatcher(ctx, row.account_id);
}

// Compiled matchers per account, kept in the app. Edits here clear the entry at once; other
// processes pick an edit up within the TTL.
const matchers = (ctx: Pick<Ctx, 'deps'>) =>
  ctx.deps.local.slot('channel.matchers', () => expiringMap<RuleMatcher>(5_000));

function forgetMatcher(ctx: Pick<Ctx, 'deps'>, accountId: string): void {
  matchers(ctx).delete(accountId);
}

export async function matcherFor(
  ctx: Pick<Ctx, 'db' | 'now' | 'deps'>,
  accountId: string,
): Promise<RuleMatcher> {
  const cache = matchers(ctx);
  const hit = cache.get(accountId, ctx.now);
  if (hit) return hit;
  const rows = await ctx.db
    .selectFrom('reply_rules')
    .selectAll()
    .where('account_id', '=', accountId)
    .execute();
  const matcher = compileRules(rows);
  cache.set(accountId, matcher, ctx.now);
  return matcher;
}

/** "What would a fan get for …": the console's test box. */
export async function previewReply(ctx: Ctx, accountId: string, text: string) {
  await getAccount(ctx, accountId);
  const matcher = await matcherFor(ctx, accountId);
  const rule = matcher.match(text, ctx.now);
  const chosen = rule ?? matcher.fallback(ctx.now);
  return {
    input: normalize(text),
    matched_rule_id: rule?.id ?? null,
    used_default: !rule && Boolean(chosen),
    reply: chosen?.reply ?? null,
    tag_fan: rule?.tagFan ?? null,
  };
}
