import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { inTransaction, isUniqueViolation } from '../../platform/db/database.ts';
import { found } from '../../platform/db/paging.ts';
import { badRequest, conflict } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { skusForOrder } from '../catalog/index.ts';
import type { AgentLevelsTable } from './agents.schema.ts';

export const AGENT_LEVEL = { zh: '代理等级', en: 'Agent level' };

type Reader = Pick<Ctx, 'db' | 'merchantId'>;

export async function getAgentLevel(ctx: Reader, id: string): Promise<AgentLevelsTable> {
  return found(
    await ctx.db
      .selectFrom('growth_agent_levels')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('id', '=', id)
      .executeTakeFirst(),
    AGENT_LEVEL,
  );
}

export async function listAgentLevels(ctx: Ctx) {
  requireRole(ctx, 'operator');
  const rows = await ctx.db
    .selectFrom('growth_agent_levels')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .orderBy('rank')
    .limit(50)
    .execute();
  return rows.map((r) => ({ ...r, upgrade_spend: Number(r.upgrade_spend) }));
}

export interface AgentLevelInput {
  name: string;
  rank: number;
  upgrade_spend: number;
}

/** Levels are the owner's (they set wholesale prices); rank 1 is the top, one level per rank. */
export async function saveAgentLevel(
  ctx: Ctx,
  input: AgentLevelInput,
  id?: string,
): Promise<AgentLevelsTable> {
  requireRole(ctx, 'owner');
  const name = input.name.trim();
  if (!name) throw badRequest('name_required', '请填写等级名称', 'A level needs a name');
  try {
    if (id) {
      await getAgentLevel(ctx, id);
      await ctx.db
        .updateTable('growth_agent_levels')
        .set({ name, rank: input.rank, upgrade_spend: input.upgrade_spend, updated_at: ctx.now })
        .where('merchant_id', '=', ctx.merchantId)
        .where('id', '=', id)
        .execute();
      return getAgentLevel(ctx, id);
    }
    const row: AgentLevelsTable = {
      id: newId('alv', ctx.now),
      merchant_id: ctx.merchantId,
      name,
      rank: input.rank,
      upgrade_spend: input.upgrade_spend,
      created_at: ctx.now,
      updated_at: ctx.now,
    };
    await ctx.db.insertInto('growth_agent_levels').values(row).execute();
    return row;
  } catch (error) {
    if (isUniqueViolation(error))
      throw conflict('rank_taken', '这个级别序号已被占用', 'Another level has this rank');
    throw error;
  }
}

/** Sets a level's wholesale prices (fen) for SKUs of this merchant; a SKU left out keeps its price. */
export async function setLevelPrices(
  ctx: Ctx,
  levelId: string,
  prices: Array<{ sku_id: string; price: number }>,
) {
  requireRole(ctx, 'owner');
  await getAgentLevel(ctx, levelId);
  const skus = await skusForOrder(ctx, [...new Set(prices.map((p) => p.sku_id))]);
  const known = new Set(skus.map((s) => s.id));
  const unknown = prices.find((p) => !known.has(p.sku_id));
  if (unknown)
    throw badRequest('unknown_sku', `没有这个规格：${unknown.sku_id}`, `No such SKU: ${unknown.sku_id}`);
  await inTransaction(ctx.db, async (trx) => {
    for (const p of prices) {
      await trx
        .insertInto('growth_agent_prices')
        .values({
          merchant_id: ctx.merchantId,
          level_id: levelId,
          sku_id: p.sku_id,
          price: p.price,
          updated_at: ctx.now,
        })
        .onConflict((oc) =>
          oc.columns(['level_id', 'sku_id']).doUpdateSet({ price: p.price, updated_at: ctx.now }),
        )
        .execute();
    }
  });
  return levelPrices(ctx, levelId);
}

export async function levelPrices(ctx: Ctx, levelId: string) {
  requireRole(ctx, 'operator');
  await getAgentLevel(ctx, levelId);
  const rows = await ctx.db
    .selectFrom('growth_agent_prices')
    .select(['sku_id', 'price'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('level_id', '=', levelId)
    .orderBy('sku_id')
    .limit(1000)
    .execute();
  return rows.map((r) => ({ ...r, price: Number(r.price) }));
}
