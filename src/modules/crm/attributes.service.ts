import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { isUniqueViolation } from '../../platform/db/database.ts';
import { found } from '../../platform/db/paging.ts';
import { badRequest, conflict } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { CrmAttributeDefsTable } from './crm.schema.ts';

export type AttributeType = CrmAttributeDefsTable['type'];

export interface AttributeDef {
  id: string;
  key: string;
  label: string;
  type: AttributeType;
  options: string[] | null;
}

const KEY = /^[a-z][a-z0-9_]{0,31}$/;

function defView(row: CrmAttributeDefsTable): AttributeDef {
  return {
    id: row.id,
    key: row.key,
    label: row.label,
    type: row.type,
    options: row.options ? (JSON.parse(row.options) as string[]) : null,
  };
}

export async function listAttributeDefs(ctx: Ctx): Promise<AttributeDef[]> {
  const rows = await ctx.db
    .selectFrom('crm_attribute_defs')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .orderBy('created_at')
    .execute();
  return rows.map(defView);
}

/** A merchant-defined field such as 肤质 (skin type, a choice) or 身高 (height, a number). */
export async function createAttributeDef(
  ctx: Ctx,
  input: { key: string; label: string; type: AttributeType; options?: string[] },
): Promise<AttributeDef> {
  requireRole(ctx, 'operator');
  if (!KEY.test(input.key))
    throw badRequest('invalid_key', '字段键只能用小写字母、数字和下划线', 'Keys use a-z, 0-9 and _ only');
  if (input.type === 'choice' && !input.options?.length)
    throw badRequest('options_required', '选项字段需要至少一个选项', 'A choice field needs options');
  const row = {
    id: newId('attr', ctx.now),
    merchant_id: ctx.merchantId,
    key: input.key,
    label: input.label,
    type: input.type,
    options: input.type === 'choice' ? JSON.stringify(input.options) : null,
    created_at: ctx.now,
  };
  try {
    await ctx.db.insertInto('crm_attribute_defs').values(row).execute();
  } catch (error) {
    if (isUniqueViolation(error))
      throw conflict('attribute_exists', '字段已存在', 'This field already exists');
    throw error;
  }
  return defView(row);
}

export async function deleteAttributeDef(ctx: Ctx, id: string): Promise<void> {
  requireRole(ctx, 'operator');
  const result = await ctx.db
    .deleteFrom('crm_attribute_defs')
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) found(undefined, { zh: '字段', en: 'Field' });
}

/** Checks one value against its definition; returns the value as stored. */
export function checkValue(def: AttributeDef, value: unknown): unknown {
  const bad = () =>
    badRequest(
      'invalid_attribute',
      `字段「${def.label}」的值不合法`,
      `Invalid value for field "${def.label}" (${def.type})`,
    );
  if (value === null || value === '') return null;
  switch (def.type) {
    case 'text':
      if (typeof value !== 'string' || value.length > 200) throw bad();
      return value;
    case 'number': {
      const n = typeof value === 'string' ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isFinite(n)) throw bad();
      return n;
    }
    case 'date':
      if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value)))
        throw bad();
      return value;
    case 'boolean':
      if (value === true || value === 'true' || value === '1') return true;
      if (value === false || value === 'false' || value === '0') return false;
      throw bad();
    case 'choice':
      if (typeof value !== 'string' || !def.options?.includes(value)) throw bad();
      return value;
  }
}

/** Validates a whole attribute object against the merchant's definitions; unknown keys are refused. */
export async function validateAttrs(
  ctx: Ctx,
  attrs: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const defs = new Map((await listAttributeDefs(ctx)).map((d) => [d.key, d]));
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(attrs)) {
    const def = defs.get(key);
    if (!def) throw badRequest('unknown_attribute', `未定义的字段：${key}`, `Unknown field: ${key}`);
    const checked = checkValue(def, value);
    if (checked !== null) out[key] = checked;
  }
  return out;
}
