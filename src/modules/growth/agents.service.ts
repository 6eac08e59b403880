import type { Ctx } from '../../context.ts';
import type { Db } from '../../database.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { found } from '../../platform/db/paging.ts';
import { badRequest, conflict } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { OutOfStockError, takeStock } from '../catalog/index.ts';
import { getAgentLevel } from './agent-levels.service.ts';
import type { AgentsTable, StockOrdersTable } from './agents.schema.ts';

export const AGENT = { zh: '代理', en: 'Agent' };

type Reader = Pick<Ctx, 'db' | 'merchantId'>;

export async function getAgent(ctx: Reader, id: string): Promise<AgentsTable> {
  return found(
    await ctx.db
      .selectFrom('growth_agents')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('id', '=', id)
      .executeTakeFirst(),
    AGENT,
  );
}

const rankOf = async (ctx: Reader, levelId: string) => Number((await getAgentLevel(ctx, levelId)).rank);

/**
 * Adds a dealer under an agent (or under the merchant). The parent must be of a higher level
 * (smaller rank): ranks fall strictly down every branch, which is also why the tree cannot loop.
 */
export async function createAgent(
  ctx: Ctx,
  input: { name: string; phone: string; level_id: string; parent_id?: string | null },
): Promise<AgentsTable> {
  requireRole(ctx, 'operator');
  const rank = await rankOf(ctx, input.level_id);
  const parentId = input.parent_id ?? null;
  if (parentId) {
    const parent = await getAgent(ctx, parentId);
    if ((await rankOf(ctx, parent.level_id)) >= rank)
      throw conflict(
        'parent_not_higher',
        '上级代理的等级必须高于下级',
        "The parent's level must be above the agent's",
      );
  }
  const row: AgentsTable = {
    id: newId('agt', ctx.now),
    merchant_id: ctx.merchantId,
    name: input.name.trim(),
    phone: input.phone.trim(),
    level_id: input.level_id,
    parent_id: parentId,
    purchased: 0,
    created_at: ctx.now,
    updated_at: ctx.now,
  };
  await ctx.db.insertInto('growth_agents').values(row).execute();
  await recordChange(
    ctx.db,
    ctx,
    row.id,
    { from: null, to: row.level_id, fromParent: null, toParent: parentId },
    'created',
  );
  return row;
}

async function recordChange(
  db: Db,
  ctx: Pick<Ctx, 'merchantId' | 'now'>,
  agentId: string,
  move: { from: string | null; to: string; fromParent: string | null; toParent: string | null },
  reason: string,
) {
  await db
    .insertInto('growth_agent_changes')
    .values({
      id: newId('agc', ctx.now),
      merchant_id: ctx.merchantId,
      agent_id: agentId,
      from_level_id: move.from,
      to_level_id: move.to,
      from_parent_id: move.fromParent,
      to_parent_id: move.toParent,
      reason: reason.slice(0, 200),
      created_at: ctx.now,
    })
    .execute();
}

/** The nearest ancestor (from `parentId` up) whose level is above `rank`; null = the merchant. */
async function nearestAbove(ctx: Reader, parentId: string | null, rank: number): Promise<string | null> {
  let current = parentId;
  for (let depth = 0; current && depth < 64; depth++) {
    const agent = await getAgent(ctx, current);
    if ((await rankOf(ctx, agent.level_id)) < rank) return agent.id;
    current = agent.parent_id;
  }
  return null;
}

/**
 * Moves an agent to a level. Going up past the parent's level makes the agent buy from the nearest
 * ancestor still above them (or the merchant): an agent never sits under an equal. Going down is
 * refused while a direct dealer would then outrank them.
 */
async function moveLevel(tx: Ctx, agent: AgentsTable, levelId: string, reason: string): Promise<void> {
  const rank = await rankOf(tx, levelId);
  const children = await tx.db
    .selectFrom('growth_agents')
    .innerJoin('growth_agent_levels', 'growth_agent_levels.id', 'growth_agents.level_id')
    .select((eb) => eb.fn.min<number>('growth_agent_levels.rank').as('top'))
    .where('growth_agents.merchant_id', '=', tx.merchantId)
    .where('growth_agents.parent_id', '=', agent.id)
    .executeTakeFirst();
  if (children?.top != null && Number(children.top) <= rank)
    throw conflict(
      'children_outrank',
      '有下级代理的等级不低于目标等级',
      'A dealer under this agent would outrank them',
    );
  const parentId = await nearestAbove(tx, agent.parent_id, rank);
  await tx.db
    .updateTable('growth_agents')
    .set({ level_id: levelId, parent_id: parentId, updated_at: tx.now })
    .where('id', '=', agent.id)
    .execute();
  await recordChange(
    tx.db,
    tx,
    agent.id,
    { from: agent.level_id, to: levelId, fromParent: agent.parent_id, toParent: parentId },
    reason,
  );
}

export async function setAgentLevel(ctx: Ctx, id: string, levelId: string): Promise<AgentsTable> {
  requireRole(ctx, 'owner');
  const agent = await getAgent(ctx, id);
  await getAgentLevel(ctx, levelId);
  if (agent.level_id === levelId) return agent;
  await inTransaction(ctx.db, (trx) => moveLevel({ ...ctx, db: trx }, agent, levelId, 'manual'));
  return getAgent(ctx, id);
}

/**
 * An agent orders stock at their level's wholesale price, from the agent above (whose stock is
 * taken with a guard, so two dealers can never get more than is there) or from the merchant
 * (catalog stock, guarded the same way). The purchase counts towards upgrades, applied at once.
 */
export async function placeStockOrder(
  ctx: Ctx,
  agentId: string,
  input: { from: 'parent' | 'merchant'; items: Array<{ sku_id: string; quantity: number }> },
): Promise<StockOrdersTable & { items: Array<{ sku_id: string; quantity: number; unit_price: number }> }> {
  requireRole(ctx, 'operator');
  if (input.items.length === 0) throw badRequest('items_required', '请选择进货商品', 'Choose what to order');
  await getAgent(ctx, agentId);
  return inTransaction(ctx.db, async (trx) => {
    // The agent's row, locked on PostgreSQL: a concurrent upgrade cannot change the level or the
    // parent between pricing this order and taking the stock (SQLite has one writer anyway).
    let query = trx
      .selectFrom('growth_agents')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('id', '=', agentId);
    if (ctx.dialect === 'postgres') query = query.forUpdate();
    const agent = await query.executeTakeFirstOrThrow();
    const supplierId = input.from === 'parent' ? agent.parent_id : null;
    if (input.from === 'parent' && !supplierId)
      throw conflict(
        'no_parent',
        '该代理没有上级，请向总部进货',
        'This agent has no parent; order from the merchant',
      );
    const prices = await trx
      .selectFrom('growth_agent_prices')
      .select(['sku_id', 'price'])
      .where('merchant_id', '=', ctx.merchantId)
      .where('level_id', '=', agent.level_id)
      .where(
        'sku_id',
        'in',
        input.items.map((i) => i.sku_id),
      )
      .execute();
    const priceOf = new Map(prices.map((p) => [p.sku_id, Number(p.price)]));
    const lines = input.items.map((item) => {
      const unit = priceOf.get(item.sku_id);
      if (unit === undefined)
        throw badRequest(
          'no_wholesale_price',
          '该等级没有这个商品的拿货价',
          'No wholesale price for this SKU at this level',
        );
      return { ...item, unit_price: unit, subtotal: unit * item.quantity };
    });
    const total = lines.reduce((sum, l) => sum + l.subtotal, 0);
    const order: StockOrdersTable = {
      id: newId('sto', ctx.now),
      merchant_id: ctx.merchantId,
      agent_id: agent.id,
      supplier_id: supplierId,
      total,
      created_at: ctx.now,
    };
    for (const line of lines) {
      if (supplierId) {
        const taken = await trx
          .updateTable('growth_agent_stock')
          .set((eb) => ({ quantity: eb('quantity', '-', line.quantity), updated_at: ctx.now }))
          .where('agent_id', '=', supplierId)
          .where('sku_id', '=', line.sku_id)
          .where('quantity', '>=', line.quantity)
          .executeTakeFirst();
        if (Number(taken.numUpdatedRows) === 0)
          throw conflict('supplier_out_of_stock', '上级代理库存不足', "The parent agent hasn't enough stock");
      } else {
        try {
          await takeStock(trx, ctx.merchantId, line.sku_id, line.quantity, ctx.now);
        } catch (error) {
          if (error instanceof OutOfStockError)
            throw conflict('out_of_stock', '总部库存不足', "The merchant hasn't enough stock");
          throw error;
        }
      }
      await trx
        .insertInto('growth_agent_stock')
        .values({
          merchant_id: ctx.merchantId,
          agent_id: agent.id,
          sku_id: line.sku_id,
          quantity: line.quantity,
          updated_at: ctx.now,
        })
        .onConflict((oc) =>
          oc.columns(['agent_id', 'sku_id']).doUpdateSet((eb) => ({
            quantity: eb('growth_agent_stock.quantity', '+', line.quantity),
            updated_at: ctx.now,
          })),
        )
        .execute();
    }
    await trx.insertInto('growth_stock_orders').values(order).execute();
    await trx
      .insertInto('growth_stock_order_items')
      .values(
        lines.map((l) => ({
          id: newId('sti', ctx.now),
          merchant_id: ctx.merchantId,
          stock_order_id: order.id,
          sku_id: l.sku_id,
          quantity: l.quantity,
          unit_price: l.unit_price,
          subtotal: l.subtotal,
        })),
      )
      .execute();
    const updated = await trx
      .updateTable('growth_agents')
      .set((eb) => ({ purchased: eb('purchased', '+', total), updated_at: ctx.now }))
      .where('id', '=', agent.id)
      .returning(['purchased'])
      .executeTakeFirstOrThrow();
    await upgradeIfDue(
      { ...ctx, db: trx },
      await getAgent({ db: trx, merchantId: ctx.merchantId }, agent.id),
      Number(updated.purchased),
    );
    return {
      ...order,
      items: lines.map(({ sku_id, quantity, unit_price }) => ({ sku_id, quantity, unit_price })),
    };
  });
}

/** The highest level whose purchase threshold the agent has reached, if above their own. */
async function upgradeIfDue(tx: Ctx, agent: AgentsTable, purchased: number): Promise<void> {
  const current = await rankOf(tx, agent.level_id);
  const target = await tx.db
    .selectFrom('growth_agent_levels')
    .select(['id', 'rank'])
    .where('merchant_id', '=', tx.merchantId)
    .where('upgrade_spend', '>', 0)
    .where('upgrade_spend', '<=', purchased)
    .where('rank', '<', current)
    .orderBy('rank')
    .limit(1)
    .executeTakeFirst();
  if (target) await moveLevel(tx, agent, target.id, `auto: purchases ${purchased}`);
}

/** Every agent with level and stock, parents before children (the console nests them). */
export async function agentTree(ctx: Ctx, limit = 5000) {
  requireRole(ctx, 'operator');
  const rows = await ctx.db
    .selectFrom('growth_agents')
    .innerJoin('growth_agent_levels', 'growth_agent_levels.id', 'growth_agents.level_id')
    .select([
      'growth_agents.id',
      'growth_agents.name',
      'growth_agents.phone',
      'growth_agents.level_id',
      'growth_agents.parent_id',
      'growth_agents.purchased',
      'growth_agents.created_at',
      'growth_agent_levels.name as level_name',
      'growth_agent_levels.rank',
    ])
    .select((eb) =>
      eb
        .selectFrom('growth_agent_stock')
        .select((e) => e.fn.coalesce(e.fn.sum<number>('quantity'), e.lit(0)).as('q'))
        .whereRef('growth_agent_stock.agent_id', '=', 'growth_agents.id')
        .as('stock'),
    )
    .where('growth_agents.merchant_id', '=', ctx.merchantId)
    .orderBy('growth_agent_levels.rank')
    .orderBy('growth_agents.id')
    .limit(limit + 1)
    .execute();
  return {
    nodes: rows.slice(0, limit).map((r) => ({
      ...r,
      rank: Number(r.rank),
      purchased: Number(r.purchased),
      stock: Number(r.stock ?? 0),
    })),
    truncated: rows.length > limit,
  };
}

export async function agentDetail(ctx: Ctx, id: string) {
  requireRole(ctx, 'operator');
  const agent = await getAgent(ctx, id);
  const [stock, orders, changes] = await Promise.all([
    ctx.db
      .selectFrom('growth_agent_stock')
      .select(['sku_id', 'quantity'])
      .where('merchant_id', '=', ctx.merchantId)
      .where('agent_id', '=', id)
      .orderBy('sku_id')
      .limit(500)
      .execute(),
    ctx.db
      .selectFrom('growth_stock_orders')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('agent_id', '=', id)
      .orderBy('id', 'desc')
      .limit(50)
      .execute(),
    ctx.db
      .selectFrom('growth_agent_changes')
      .select([
        'id',
        'from_level_id',
        'to_level_id',
        'from_parent_id',
        'to_parent_id',
        'reason',
        'created_at',
      ])
      .where('merchant_id', '=', ctx.merchantId)
      .where('agent_id', '=', id)
      .orderBy('id', 'desc')
      .limit(50)
      .execute(),
  ]);
  return {
    ...agent,
    purchased: Number(agent.purchased),
    stock: stock.map((s) => ({ ...s, quantity: Number(s.quantity) })),
    orders: orders.map((o) => ({ ...o, total: Number(o.total) })),
    changes,
  };
}
