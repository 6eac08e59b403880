import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { found } from '../../platform/db/paging.ts';
import { badRequest } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { getAccount, listAccounts } from '../accounts/index.ts';
import { createRule, deleteRule, updateRule } from '../channel/index.ts';
import { type BusinessHours, validHours } from './business-hours.ts';

/** The seeds' bar: a reply within 10 minutes. */
export const DEFAULT_SLA_MINUTES = 10;

/** Words that, in a fan's text, mean "a person, please". */
export const DEFAULT_HANDOFF = ['人工', '客服', '转人工', '真人'];
/** The handoff rule wins over the merchant's own keyword rules. */
const HANDOFF_PRIORITY = 10_000;

export interface InboxSettings {
  sla_minutes: number;
  business_hours: BusinessHours | null;
  handoff_keywords: string[];
  notice_template_id: string | null;
}

export async function inboxSettings(ctx: Pick<Ctx, 'db' | 'merchantId'>): Promise<InboxSettings> {
  const row = await ctx.db
    .selectFrom('inbox_settings')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .executeTakeFirst();
  return {
    sla_minutes: row?.sla_minutes ?? DEFAULT_SLA_MINUTES,
    business_hours: row?.business_hours ? (JSON.parse(row.business_hours) as BusinessHours) : null,
    handoff_keywords: row?.handoff_keywords
      ? (JSON.parse(row.handoff_keywords) as string[])
      : DEFAULT_HANDOFF,
    notice_template_id: row?.notice_template_id ?? null,
  };
}

export async function slaMinutes(ctx: Pick<Ctx, 'db' | 'merchantId'>): Promise<number> {
  return (await inboxSettings(ctx)).sla_minutes;
}

const escapeRegex = (word: string) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Keeps one channel keyword rule per account that answers the handoff words with WeChat's
 * transfer_customer_service reply (the fan's message goes to customer service, not a bot).
 */
async function syncHandoffRules(ctx: Ctx, keywords: string[]) {
  const pattern = keywords.map(escapeRegex).join('|');
  const known = new Map(
    (
      await ctx.db
        .selectFrom('inbox_handoff_rules')
        .select(['account_id', 'rule_id'])
        .where('merchant_id', '=', ctx.merchantId)
        .execute()
    ).map((r) => [r.account_id, r.rule_id]),
  );
  for (const account of await listAccounts(ctx)) {
    const ruleId = known.get(account.id);
    if (keywords.length === 0) {
      if (ruleId) {
        await deleteRule(ctx, ruleId).catch(() => undefined);
        await ctx.db.deleteFrom('inbox_handoff_rules').where('account_id', '=', account.id).execute();
      }
      continue;
    }
    const rule = { match_type: 'regex' as const, keyword: pattern, priority: HANDOFF_PRIORITY };
    const kept = ruleId
      ? await updateRule(ctx, ruleId, { ...rule, reply: { type: 'transfer_customer_service' } }).catch(
          () => null,
        )
      : null;
    if (kept) continue;
    const created = await createRule(ctx, {
      account_id: account.id,
      kind: 'keyword',
      ...rule,
      reply: { type: 'transfer_customer_service' },
    });
    await ctx.db
      .insertInto('inbox_handoff_rules')
      .values({
        account_id: account.id,
        merchant_id: ctx.merchantId,
        rule_id: created.id,
        updated_at: ctx.now,
      })
      .onConflict((oc) => oc.column('account_id').doUpdateSet({ rule_id: created.id, updated_at: ctx.now }))
      .execute();
  }
}

export async function saveSettings(ctx: Ctx, input: Partial<InboxSettings>): Promise<InboxSettings> {
  requireRole(ctx, 'operator');
  const current = await inboxSettings(ctx);
  const next = { ...current, ...input };
  if (!Number.isInteger(next.sla_minutes) || next.sla_minutes < 1 || next.sla_minutes > 1440)
    throw badRequest('invalid_sla', '响应时限为 1–1440 分钟', 'The SLA is 1–1440 minutes');
  if (next.business_hours && !validHours(next.business_hours))
    throw badRequest(
      'invalid_hours',
      '营业时间须为 1–7 的星期几，以及 HH:MM 的开始与结束（结束晚于开始）',
      'Business hours need weekdays 1–7 and HH:MM start and end (end after start)',
    );
  const keywords = [...new Set(next.handoff_keywords.map((k) => k.trim()).filter(Boolean))];
  if (keywords.length > 20 || keywords.some((k) => k.length > 20))
    throw badRequest(
      'invalid_handoff',
      '转人工关键词最多 20 个，每个最多 20 字',
      'At most 20 handoff words of 20 characters',
    );
  const values = {
    sla_minutes: next.sla_minutes,
    business_hours: next.business_hours ? JSON.stringify(next.business_hours) : null,
    handoff_keywords: JSON.stringify(keywords),
    notice_template_id: next.notice_template_id?.trim() || null,
    updated_at: ctx.now,
  };
  await ctx.db
    .insertInto('inbox_settings')
    .values({ merchant_id: ctx.merchantId, ...values })
    .onConflict((oc) => oc.column('merchant_id').doUpdateSet(values))
    .execute();
  if (input.handoff_keywords !== undefined) await syncHandoffRules(ctx, keywords);
  return inboxSettings(ctx);
}

export interface Persona {
  account_id: string;
  name: string;
  avatar_url: string | null;
  signature: string | null;
  guidelines: string | null;
}

export async function getPersona(ctx: Ctx, accountId: string): Promise<Persona | null> {
  await getAccount(ctx, accountId);
  const row = await ctx.db
    .selectFrom('inbox_personas')
    .select(['account_id', 'name', 'avatar_url', 'signature', 'guidelines'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  return row ?? null;
}

/** The persona agents speak as on an account (name, avatar, signature, tone guidelines). */
export async function savePersona(
  ctx: Ctx,
  accountId: string,
  input: Omit<Persona, 'account_id'>,
): Promise<Persona> {
  requireRole(ctx, 'operator');
  await getAccount(ctx, accountId);
  const values = { ...input, account_id: accountId, merchant_id: ctx.merchantId, updated_at: ctx.now };
  await ctx.db
    .insertInto('inbox_personas')
    .values(values)
    .onConflict((oc) => oc.column('account_id').doUpdateSet({ ...input, updated_at: ctx.now }))
    .execute();
  return { account_id: accountId, ...input };
}

export async function listCanned(ctx: Ctx) {
  requireRole(ctx, 'agent', 'operator');
  return ctx.db
    .selectFrom('inbox_canned')
    .select(['id', 'title', 'body', 'created_at'])
    .where('merchant_id', '=', ctx.merchantId)
    .orderBy('title')
    .limit(500)
    .execute();
}

export async function createCanned(ctx: Ctx, input: { title: string; body: string }) {
  requireRole(ctx, 'operator');
  const row = { id: newId('cnd', ctx.now), merchant_id: ctx.merchantId, ...input, created_at: ctx.now };
  await ctx.db.insertInto('inbox_canned').values(row).execute();
  const { merchant_id: _m, ...view } = row;
  return view;
}

export async function deleteCanned(ctx: Ctx, id: string) {
  requireRole(ctx, 'operator');
  found(
    await ctx.db
      .selectFrom('inbox_canned')
      .select('id')
      .where('merchant_id', '=', ctx.merchantId)
      .where('id', '=', id)
      .executeTakeFirst(),
    { zh: '快捷回复', en: 'Canned reply' },
  );
  await ctx.db
    .deleteFrom('inbox_canned')
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .execute();
}

/** Fills {{name}}, {{persona}}, {{agent}}; unknown variables stay visible so the agent notices. */
export function renderCanned(body: string, vars: Record<string, string | null | undefined>): string {
  return body.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, key: string) => vars[key] ?? whole);
}
