import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { notFound } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { getProduct } from '../catalog/index.ts';
import type { CommissionKind, DistRulesTable } from './distribution.schema.ts';
import { checkRates } from './distribution.settings.ts';

/** Commission rules per product or per category; the settings' default covers the rest. */
export interface RuleInput {
  scope: 'product' | 'category';
  ref: string;
  kind: CommissionKind;
  level1: number;
  level2: number;
}

export async function saveRule(ctx: Ctx, input: RuleInput): Promise<DistRulesTable> {
  requireRole(ctx, 'owner');
  checkRates(input.kind, input.level1, input.level2);
  if (input.scope === 'product') await getProduct(ctx, input.ref);
  const row: DistRulesTable = {
    id: newId('drl', ctx.now),
    merchant_id: ctx.merchantId,
    scope: input.scope,
    ref: input.ref.trim(),
    kind: input.kind,
    level1: input.level1,
    level2: input.level2,
    created_at: ctx.now,
  };
  await ctx.db
    .insertInto('growth_dist_rules')
    .values(row)
    .onConflict((oc) =>
      oc
        .columns(['merchant_id', 'scope', 'ref'])
        .doUpdateSet({ kind: row.kind, level1: row.level1, level2: row.level2 }),
    )
    .execute();
  return (await ctx.db
    .selectFrom('growth_dist_rules')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('scope', '=', row.scope)
    .where('ref', '=', row.ref)
    .executeTakeFirstOrThrow()) as DistRulesTable;
}

export async function listRules(ctx: Ctx) {
  requireRole(ctx, 'operator');
  return ctx.db
    .selectFrom('growth_dist_rules')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .orderBy('scope')
    .orderBy('ref')
    .limit(500)
    .execute();
}

export async function deleteRule(ctx: Ctx, id: string) {
  requireRole(ctx, 'owner');
  const deleted = await ctx.db
    .deleteFrom('growth_dist_rules')
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (Number(deleted.numDeletedRows) === 0) throw notFound({ zh: '佣金规则', en: 'Commission rule' });
}
