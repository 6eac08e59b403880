import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { found } from '../../platform/db/paging.ts';
import { badRequest } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { getAccount } from '../accounts/index.ts';

/** The seeds' bar: a reply within 10 minutes. */
export const DEFAULT_SLA_MINUTES = 10;

export async function slaMinutes(ctx: Pick<Ctx, 'db' | 'merchantId'>): Promise<number> {
  const row = await ctx.db
    .selectFrom('inbox_settings')
    .select('sla_minutes')
    .where('merchant_id', '=', ctx.merchantId)
    .executeTakeFirst();
  return row?.sla_minutes ?? DEFAULT_SLA_MINUTES;
}

export async function saveSettings(ctx: Ctx, input: { sla_minutes: number }) {
  requireRole(ctx, 'operator');
  if (!Number.isInteger(input.sla_minutes) || input.sla_minutes < 1 || input.sla_minutes > 1440)
    throw badRequest('invalid_sla', '响应时限为 1–1440 分钟', 'The SLA is 1–1440 minutes');
  await ctx.db
    .insertInto('inbox_settings')
    .values({ merchant_id: ctx.merchantId, sla_minutes: input.sla_minutes, updated_at: ctx.now })
    .onConflict((oc) =>
      oc.column('merchant_id').doUpdateSet({ sla_minutes: input.sla_minutes, updated_at: ctx.now }),
    )
    .execute();
  return { sla_minutes: input.sla_minutes };
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
